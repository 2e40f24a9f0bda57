"""The dashboard query through the ASGI app in this process: CPU per request, no HTTP server.

On a shared machine the CPU time of one process, one request at a time, repeats far
better than requests per second across processes: this script gives before/after
figures for a change inside the app (GraphQL execution, context, serialization,
middleware). It seeds the same reports as `dashboard.py`, calls the app (and the
bare baseline app) as uvicorn would, with the same request for users in turn, and
prints the CPU ms per request of the best of several rounds. `--profile FILE` writes
a cProfile of the API's requests (read it with `python -m pstats FILE`).

Without `--http` the HTTP server's own work (uvicorn parsing the request, writing the
response) is not counted; with it, the app is served by uvicorn in this process with
graph.serve's options (the baseline with uvicorn's defaults, as `dashboard.py` runs
it) and called over one loopback keep-alive connection, whose client side is counted
too (the same small cost on both sides). `dashboard.py` measures the real servers.

    .venv/bin/python -m benchmarks.dashboard_inprocess [--requests 500] [--rounds 5]
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import functools
import gc
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from benchmarks import clients, common, dashboard
from graph.serve import event_loop
from infra.auth import TokenAuthenticator

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=0.0, clients=1)
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--reports-per-user", type=int, default=24)
    p.add_argument("--requests", type=int, default=500, help="requests per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--profile", help="write a cProfile of the API's requests to this file")
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--baseline-only", action="store_true", help="for callgrind: one side a run")
    p.add_argument(
        "--http", action="store_true", help="through uvicorn on loopback (HTTP parsing counted)"
    )
    p.add_argument(
        "--reuse-db", action="store_true", help="use the --database a --keep-db run left seeded"
    )
    return p.parse_args()


def _scope(path: str, body: bytes, token: str) -> Scope:
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"authorization", f"Bearer {token}".encode()),
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def call(app: ASGIApp, path: str, body: bytes, token: str) -> tuple[int, bytes]:
    """One request through the app, as an ASGI server would make it."""
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # a disconnect never comes: the client stays
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(_scope(path, body, token), receive, send)
    return status, b"".join(chunks)


Caller = Callable[[str, bytes, str], Awaitable[tuple[int, bytes]]]


async def rounds(
    call_app: Caller, path: str, tokens: list[str], args: Any, profile: cProfile.Profile | None
) -> list[float]:
    body = json.dumps({"query": dashboard.QUERY}).encode()
    for token in tokens:  # warm-up: caches, pools, first-call imports
        await call_app(path, body, token)
    results = []
    for _ in range(args.rounds):
        gc.collect()
        common.callgrind("on")
        started = time.process_time()
        if profile:
            profile.enable()
        for n in range(args.requests):
            status, _ = await call_app(path, body, tokens[n % len(tokens)])
            assert status == 200, status
        if profile:
            profile.disable()
        results.append((time.process_time() - started) / args.requests * 1000)
        common.callgrind("off")
    return results


@contextlib.asynccontextmanager
async def serving(app: Any, http: bool, options: dict[str, Any]) -> AsyncIterator[Caller]:
    """The app's lifespan, and a way to call it: directly, or with `http` through uvicorn
    on a loopback port of this process (one keep-alive connection)."""
    if not http:
        async with app.router.lifespan_context(app):
            yield functools.partial(call, app)
        return
    import uvicorn

    port = common.free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, loop="none", **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(600):  # up to 30 s for migrations and startup
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    if not server.started:
        raise SystemExit("uvicorn did not start")
    connection = await clients.HttpConnection.open(port)
    built: dict[tuple[str, bytes, str], bytes] = {}

    async def over_http(path: str, body: bytes, token: str) -> tuple[int, bytes]:
        request = built.get((path, body, token))
        if request is None:
            head = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            request = built[path, body, token] = clients.http_request("POST", path, body, head)
        return await connection.send(request)

    try:
        yield over_http
    finally:
        await connection.close()
        server.should_exit = True
        await task


async def main(args: Any) -> None:
    users = [f"bench-user-{i:04d}" for i in range(args.users)]
    if args.reuse_db:
        url = common.database_url(common.checked_name(args.database))
    else:
        url = await common.recreate_database(args.database)
        count = await dashboard.seed(url, users, args.reports_per_user)
        print(f"seeded {count} reports for {len(users)} users")
    auth = TokenAuthenticator(common.JWT_SECRET)
    tokens = [auth.mint(u) for u in users]
    os.environ.update(
        DATA_DIR=tempfile.mkdtemp(prefix="bench-inprocess-"),
        DATABASE_URL=url,
        AUTH_JWT_SECRET=common.JWT_SECRET,
        LLM_WEBHOOK_SECRET=common.WEBHOOK_SECRET,
        LLM_SERVICE_API_SECRET=common.LLM_API_SECRET,
        OFFLINE_STEP_DELAY_MS=common.STALLED_STEP_DELAY_MS,
        SWEEP_INTERVAL_SECONDS="3600",
        # The embedded LLM service's fallback poll (every 2 s) is work no request
        # causes: left out, the figures are the requests' own.
        LLM_WEBHOOK_POLL_SECONDS="3600",
        LOG_LEVEL="warning",
    )
    from benchmarks import baseline_dashboard
    from graph.app import create_app
    from graph.serve import server_options
    from infra.settings import Settings

    figures: dict[str, list[float]] = {}
    body = json.dumps({"query": dashboard.QUERY}).encode()
    settings = Settings()
    # As production runs them: the API with graph.serve's options, the baseline with
    # the benchmarks' (common.baseline_server).
    api_options = server_options(settings)
    base_options = {"ws_per_message_deflate": False, "ws_max_size": 65536, "log_level": "warning"}
    try:
        if not args.baseline_only:
            async with serving(create_app(settings), args.http, api_options) as call_api:
                _, answer = await call_api("/graphql", body, tokens[0])
                profile = cProfile.Profile(time.process_time) if args.profile else None
                figures["api"] = await rounds(call_api, "/graphql", tokens, args, profile)
                if profile:
                    profile.dump_stats(args.profile)
        if not args.no_baseline:
            async with serving(baseline_dashboard.app, args.http, base_options) as call_base:
                _, expected = await call_base("/reports", body, tokens[0])
                figures["baseline"] = await rounds(call_base, "/reports", tokens, args, None)
            if "api" in figures:
                same = json.loads(answer) == json.loads(expected)
                print(f"same answer as the baseline: {same}")
    finally:
        if not args.keep_db:
            await common.drop_database(args.database)
    for name, values in figures.items():
        shown = ", ".join(f"{v:.3f}" for v in values)
        print(f"{name:8}: best {min(values):.3f} ms CPU per request (rounds: {shown})")
    if "baseline" in figures and "api" in figures:
        ratio = min(figures["baseline"]) / min(figures["api"])
        how = "through uvicorn" if args.http else "no HTTP server"
        print(f"baseline / API CPU per request, in-process ({how}): {ratio:.0%}")


if __name__ == "__main__":
    arguments = parse_args()
    if event_loop() == "uvloop":  # as graph.serve runs the API
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    common.run(lambda: main(arguments))
