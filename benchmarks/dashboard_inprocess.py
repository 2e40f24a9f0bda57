"""The dashboard query through the ASGI app in this process: CPU per request, no HTTP server.

On a shared machine the CPU time of one process, one request at a time, repeats far
better than requests per second across processes: this script gives before/after
figures for a change inside the app (GraphQL execution, context, serialization,
middleware). It seeds the same reports as `dashboard.py`, calls the app (and the
bare baseline app) as uvicorn would, with the same request for users in turn, and
prints the CPU ms per request of the best of several rounds. `--profile FILE` writes
a cProfile of the API's requests (read it with `python -m pstats FILE`).

The HTTP server's own work (uvicorn parsing the request, writing the response) is
not counted here: `dashboard.py` measures the whole path.

    .venv/bin/python -m benchmarks.dashboard_inprocess [--requests 500] [--rounds 5]
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import gc
import json
import os
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from benchmarks import common, dashboard
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


async def rounds(
    app: ASGIApp, path: str, tokens: list[str], args: Any, profile: cProfile.Profile | None
) -> list[float]:
    body = json.dumps({"query": dashboard.QUERY}).encode()
    for token in tokens:  # warm-up: caches, pools, first-call imports
        await call(app, path, body, token)
    results = []
    for _ in range(args.rounds):
        gc.collect()
        _callgrind("on")
        started = time.process_time()
        if profile:
            profile.enable()
        for n in range(args.requests):
            status, _ = await call(app, path, body, tokens[n % len(tokens)])
            assert status == 200, status
        if profile:
            profile.disable()
        results.append((time.process_time() - started) / args.requests * 1000)
        _callgrind("off")
    return results


def _callgrind(state: str) -> None:
    """Under `valgrind --tool=callgrind --instr-atstart=no`, count only the rounds:
    instruction counts repeat where CPU time on a shared machine does not."""
    if os.environ.get("BENCH_CALLGRIND"):
        subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True)


@contextlib.asynccontextmanager
async def running(app: Any) -> AsyncIterator[None]:
    async with app.router.lifespan_context(app):
        yield


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
    )
    from benchmarks import baseline_dashboard
    from graph.app import create_app
    from infra.settings import Settings

    figures: dict[str, list[float]] = {}
    try:
        api = create_app(Settings())
        async with running(api):
            body = json.dumps({"query": dashboard.QUERY}).encode()
            _, answer = await call(api, "/graphql", body, tokens[0])
            profile = cProfile.Profile(time.process_time) if args.profile else None
            figures["api"] = await rounds(api, "/graphql", tokens, args, profile)
            if profile:
                profile.dump_stats(args.profile)
        if not args.no_baseline:
            async with running(baseline_dashboard.app):
                _, expected = await call(baseline_dashboard.app, "/reports", body, tokens[0])
                figures["baseline"] = await rounds(
                    baseline_dashboard.app, "/reports", tokens, args, None
                )
            print(f"same answer as the baseline: {json.loads(answer) == json.loads(expected)}")
    finally:
        if not args.keep_db:
            await common.drop_database(args.database)
    for name, values in figures.items():
        shown = ", ".join(f"{v:.3f}" for v in values)
        print(f"{name:8}: best {min(values):.3f} ms CPU per request (rounds: {shown})")
    if "baseline" in figures:
        ratio = min(figures["baseline"]) / min(figures["api"])
        print(f"baseline / API CPU per request, in-process (no HTTP server): {ratio:.0%}")


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
