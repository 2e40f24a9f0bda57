"""API CPU per webhook, in-process: signed webhook -> DB -> bus -> subscription frame.

The app runs in this process on its ASGI interface, with no sockets: each report has
one `missionEvents` subscriber on an in-memory websocket, and the webhooks are ASGI
calls. `time.process_time()` over a run divided by the webhooks is the API's own CPU
per delivery (PostgreSQL's is not in it), which moves far less with the rest of a
shared machine than req/s do: the figure for before/after comparisons of the path.

    .venv/bin/python -m benchmarks.webhook_cpu                 # 100 reports, 1,500 webhooks
    .venv/bin/python -m benchmarks.webhook_cpu --concurrency 16  # group commit at work
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from benchmarks import clients, common, delivery, seeding
from infra.webhook_signing import sign
from tests.support.job_events import webhook_event

WS_PROTOCOL = "graphql-transport-ws"


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=0.0, clients=1)
    p.add_argument("--reports", type=int, default=100, help="one subscriber each")
    p.add_argument("--concurrency", type=int, default=1, help="webhooks in flight at once")
    p.add_argument("--rounds", type=int, default=5, help="measured rounds (best and median)")
    return p.parse_args()


class FakeSocket:
    """One websocket as ASGI sees it: messages in through a queue, frames counted."""

    def __init__(self, frames: asyncio.Queue[str]) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.frames = frames
        self.incoming.put_nowait({"type": "websocket.connect"})

    def send_text(self, message: dict[str, Any]) -> None:
        self.incoming.put_nowait({"type": "websocket.receive", "text": json.dumps(message)})

    async def receive(self) -> dict[str, Any]:
        return await self.incoming.get()

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "websocket.send":
            self.frames.put_nowait(message.get("text") or "")

    def scope(self) -> dict[str, Any]:
        return {
            "type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "path": "/graphql",
            "raw_path": b"/graphql", "query_string": b"", "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"sec-websocket-protocol", WS_PROTOCOL.encode())],
            "subprotocols": [WS_PROTOCOL], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2),
            "state": {},
        }  # fmt: skip


async def post(app: Any, body: bytes, headers: dict[str, str]) -> int:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": delivery.WEBHOOK_PATH, "raw_path": delivery.WEBHOOK_PATH.encode(),
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2), "state": {},
        "headers": [(b"host", b"127.0.0.1"), (b"content-length", str(len(body)).encode())]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    status = 0
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def subscribe(app: Any, report: dict[str, Any], frames: asyncio.Queue[str]) -> FakeSocket:
    socket = FakeSocket(frames)
    task = asyncio.create_task(app(socket.scope(), socket.receive, socket.send))
    socket.task = task  # type: ignore[attr-defined]  # kept referenced
    auth = {"authorization": f"Bearer {clients.token(report['user'])}"}
    socket.send_text({"type": "connection_init", "payload": auth})
    query = {"query": clients.WATCH, "variables": {"id": report["id"]}}
    socket.send_text({"id": "1", "type": "subscribe", "payload": query})
    return socket


def signed(reports: list[dict[str, Any]], moves: int) -> list[tuple[bytes, dict[str, str]]]:
    """`moves` rounds of one step move per report (at most the ladder's length: progress
    never goes back), each with its own webhook id, in order."""
    names = {s.step_id: s.display_name for s in delivery.DEFINITION.progress_of_steps()}
    built = []
    ladder = delivery.ladder()
    for n in range(moves):
        kind, step_id, _ = ladder[n % len(ladder)]
        for report in reports:
            event = webhook_event(
                report, kind, 1000 + n, step_id=step_id, display_name=names[step_id]
            )
            body = json.dumps(event).encode()
            headers = sign(common.WEBHOOK_SECRET, f"msg_{uuid.uuid4().hex}", int(time.time()), body)
            built.append((body, headers))
    return built


@contextlib.asynccontextmanager
async def running_app(url: str, workdir: Path) -> AsyncIterator[Any]:
    os.environ.update(
        DATABASE_URL=url, DATA_DIR=str(workdir), AUTH_JWT_SECRET=common.JWT_SECRET,
        LLM_WEBHOOK_SECRET=common.WEBHOOK_SECRET, LLM_SERVICE_API_SECRET=common.LLM_API_SECRET,
        OFFLINE_STEP_DELAY_MS=common.STALLED_STEP_DELAY_MS, LOG_LEVEL="warning",
        WS_MAX_CONNECTIONS_PER_USER="100000", **seeding.NO_RECONCILIATION,
    )  # fmt: skip
    from graph.app import create_app

    app = create_app()
    async with app.router.lifespan_context(app):
        yield app


async def one_round(
    app: Any, batch: list[tuple[bytes, dict[str, str]]], frames: asyncio.Queue[str], width: int
) -> tuple[float, float, int, int]:
    """(user CPU s, system CPU s, frames, errors) for the batch, `width` webhooks in flight."""
    errors = 0
    gc.collect()
    started = os.times()
    it = iter(batch)

    async def worker() -> None:
        nonlocal errors
        for body, headers in it:
            if await post(app, body, headers) != 200:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(width)))
    got = 0
    deadline = time.monotonic() + 30
    while got < len(batch) and time.monotonic() < deadline:
        try:
            await asyncio.wait_for(frames.get(), 5)
            got += 1
        except TimeoutError:
            break
    ended = os.times()
    return ended.user - started.user, ended.system - started.system, got, errors


async def main(args: Any) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhook-cpu-"))
    url = await common.recreate_database(args.database)
    try:
        reports = await seeding.seed_generating(url, args.reports, "cpu")
        requests = signed(reports, len(delivery.ladder()))  # the whole ladder once
        async with running_app(url, workdir) as app:
            frames: asyncio.Queue[str] = asyncio.Queue()
            sockets = [await subscribe(app, r, frames) for r in reports]
            for _ in reports:  # the snapshots
                await asyncio.wait_for(frames.get(), 30)
            per_round = len(requests) // (args.rounds + 1)
            results = []
            for n in range(args.rounds + 1):  # the first is warm-up
                batch = requests[n * per_round : (n + 1) * per_round]
                user, system, got, errors = await one_round(app, batch, frames, args.concurrency)
                if n:
                    ms = (user + system) / len(batch) * 1000
                    results.append((ms, user / len(batch) * 1000, got, len(batch), errors))
            for socket in sockets:
                socket.incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})
            await asyncio.gather(*(s.task for s in sockets), return_exceptions=True)  # type: ignore[attr-defined]
    finally:
        if not args.keep_db:
            await common.drop_database(args.database)
    for ms, user, got, sent, errors in results:
        print(
            f"  {ms:.3f} ms API CPU per webhook, {user:.3f} user "
            f"({got}/{sent} frames, {errors} errors)"
        )
    best = min(r[0] for r in results)
    median = statistics.median(r[0] for r in results)
    print(
        f"\nAPI CPU per webhook, in-process, concurrency {args.concurrency}: "
        f"best {best:.3f} ms, median {median:.3f} ms"
    )
    common.print_figure(
        f"API CPU per webhook in-process (concurrency {args.concurrency})",
        api=f"{best:.3f} ms", baseline="", ratio="", target="", met=True,
    )  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
