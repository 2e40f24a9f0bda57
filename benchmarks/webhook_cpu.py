"""API CPU per webhook, in-process: signed webhook -> DB -> bus -> subscription frame.

The app runs in this process on its ASGI interface, with no sockets: each report has
one `missionEvents` subscriber (or `--subscribers` of them, same user and document: the
fan-out's cost per extra frame) on an in-memory websocket, and the webhooks are ASGI
calls. `time.process_time()` over a run divided by the webhooks is the API's own CPU
per delivery (PostgreSQL's is not in it), which moves far less with the rest of a
shared machine than req/s do: the figure for before/after comparisons of the path.

    .venv/bin/python -m benchmarks.webhook_cpu                 # 100 reports, 1,500 webhooks
    .venv/bin/python -m benchmarks.webhook_cpu --concurrency 16  # group commit at work
    .venv/bin/python -m benchmarks.webhook_cpu --delta          # text deltas, as a plan streams
    BENCH_CALLGRIND=1 valgrind --tool=callgrind --instr-atstart=no \
        .venv/bin/python -m benchmarks.webhook_cpu --rounds 1 --concurrency 16
        # instructions of the measured round only ("Collected"; divide by its webhooks)

With --delta every webhook is a `workflow.progress` of the generation step carrying
`--delta-chars` of plan text, each report's in order, on drafts seeded
`--seed-draft` characters long: the stream `streaming_plans.py --delta` sends, on the
drafts a plan has halfway through (a delta costs more when its draft is larger).
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
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

from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import clients, common, delivery, seeding, streaming_plans
from benchmarks.redis_server import ThrowawayRedis
from infra.db.tables import mission_reports
from infra.webhook_signing import sign
from tests.support.job_events import webhook_event

WS_PROTOCOL = "graphql-transport-ws"


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=0.0, clients=1)
    p.add_argument("--reports", type=int, default=100, help="--subscribers each")
    p.add_argument("--subscribers", type=int, default=1, help="per report: same user and document")
    p.add_argument("--concurrency", type=int, default=1, help="webhooks in flight at once")
    p.add_argument("--rounds", type=int, default=5, help="measured rounds (best and median)")
    p.add_argument("--delta", action="store_true", help="send text deltas (see above)")
    p.add_argument("--delta-chars", type=int, default=200, help="plan text per delta")
    p.add_argument("--deltas", type=int, default=30, help="deltas per report (--delta)")
    p.add_argument("--seed-draft", type=int, default=20_000, help="draft seeded (--delta)")
    p.add_argument("--profile", help="write a cProfile (CPU time) of the measured rounds here")
    p.add_argument(
        "--redis", action="store_true",
        help="the bus on a throwaway redis-server (BROADCAST_URL) instead of memory://",
    )  # fmt: skip
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


async def hang_up(sockets: list[FakeSocket]) -> None:
    """Every socket's client hangs up; returns once the app has ended each connection."""
    for socket in sockets:
        socket.incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})
    await asyncio.gather(*(s.task for s in sockets), return_exceptions=True)  # type: ignore[attr-defined]


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


def signed_deltas(
    reports: list[dict[str, Any]], count: int, chars: int, seeded: int
) -> list[tuple[bytes, dict[str, str]]]:
    """`count` rounds of one text delta per report, each continuing the report's draft."""
    text = (streaming_plans.DELTA * (chars // len(streaming_plans.DELTA) + 1))[:chars]
    built = []
    for n in range(count):
        for report in reports:
            event = webhook_event(
                report, "workflow.progress", 1000 + n, step_id=streaming_plans.GENERATION_STEP
            )
            event["data"].update(delta=text, draft_length=seeded + chars * (n + 1))
            body = json.dumps(event).encode()
            headers = sign(common.WEBHOOK_SECRET, f"msg_{uuid.uuid4().hex}", int(time.time()), body)
            built.append((body, headers))
    return built


def resigned(batch: list[tuple[bytes, dict[str, str]]]) -> list[tuple[bytes, dict[str, str]]]:
    """The batch signed now: under callgrind a round starts minutes after the first, past
    the signatures' tolerance (a 401 for each webhook late)."""
    now = int(time.time())
    return [
        (body, sign(common.WEBHOOK_SECRET, f"msg_{uuid.uuid4().hex}", now, body))
        for body, _ in batch
    ]


async def seed_drafts(url: str, reports: list[dict[str, Any]], chars: int) -> None:
    """Each report's draft `chars` long, as if that much of its plan had streamed."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(mission_reports)
                .where(mission_reports.c.id.in_([r["id"] for r in reports]))
                .values(draft="x" * chars)
            )
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def running_app(url: str, workdir: Path) -> AsyncIterator[Any]:
    os.environ.update(
        DATABASE_URL=url, DATA_DIR=str(workdir), AUTH_JWT_SECRET=common.JWT_SECRET,
        LLM_WEBHOOK_SECRET=common.WEBHOOK_SECRET, LLM_SERVICE_API_SECRET=common.LLM_API_SECRET,
        OFFLINE_STEP_DELAY_MS=common.STALLED_STEP_DELAY_MS, LOG_LEVEL="warning",
        WS_MAX_CONNECTIONS_PER_USER="100000", **seeding.NO_RECONCILIATION,
    )  # fmt: skip
    if os.environ.get("BENCH_CALLGRIND"):
        # ~50x slower, the bus's own heartbeat comes back late: a reconnect and a RESYNC
        # (every subscriber reads the log) would be counted with the webhooks.
        os.environ["BUS_HEARTBEAT_SECONDS"] = "3600"
    from graph.app import create_app

    app = create_app()
    async with app.router.lifespan_context(app):
        yield app


async def one_round(
    app: Any,
    batch: list[tuple[bytes, dict[str, str]]],
    frames: asyncio.Queue[str],
    width: int,
    fan_out: int,
    profile: cProfile.Profile | None = None,
    *,
    measured: bool = True,
) -> tuple[float, float, int, int]:
    """(user CPU s, system CPU s, frames, errors) for the batch, `width` webhooks in
    flight, each webhook `fan_out` frames. Callgrind counts a measured round only (the
    warm-up's were in "Collected" too)."""
    errors = 0
    gc.collect()
    if profile:
        profile.enable()
    if measured:
        common.callgrind("on")
    started = os.times()
    it = iter(batch)

    async def worker() -> None:
        nonlocal errors
        for body, headers in it:
            status = await post(app, body, headers)
            if status != 200:
                errors += 1
                if errors == 1:
                    print(f"  a webhook was answered {status}")

    await asyncio.gather(*(worker() for _ in range(width)))
    got = 0
    # Under callgrind everything runs ~50x slower: the frames still all count.
    patience = 20.0 if os.environ.get("BENCH_CALLGRIND") else 1.0
    deadline = time.monotonic() + 30 * patience
    while got < len(batch) * fan_out and time.monotonic() < deadline:
        try:
            await asyncio.wait_for(frames.get(), 5 * patience)
            got += 1
        except TimeoutError:
            break
    ended = os.times()
    if measured:
        common.callgrind("off")
    if profile:
        profile.disable()
    return ended.user - started.user, ended.system - started.system, got, errors


async def main(args: Any) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhook-cpu-"))
    url = await common.recreate_database(args.database)
    redis = ThrowawayRedis().start() if args.redis else None
    if redis is not None:
        os.environ["BROADCAST_URL"] = redis.url()
    try:
        reports = await seeding.seed_generating(url, args.reports, "cpu")
        if args.delta:
            if args.seed_draft:
                await seed_drafts(url, reports, args.seed_draft)
            requests = signed_deltas(reports, args.deltas, args.delta_chars, args.seed_draft)
        else:
            requests = signed(reports, len(delivery.ladder()))  # the whole ladder once
        async with running_app(url, workdir) as app:
            frames: asyncio.Queue[str] = asyncio.Queue()
            sockets = [
                await subscribe(app, r, frames) for r in reports for _ in range(args.subscribers)
            ]
            for _ in sockets:  # the snapshots
                await asyncio.wait_for(frames.get(), 30)
            per_round = len(requests) // (args.rounds + 1)
            results = []
            profile = cProfile.Profile(time.process_time) if args.profile else None
            for n in range(args.rounds + 1):  # the first is warm-up
                batch = resigned(requests[n * per_round : (n + 1) * per_round])
                user, system, got, errors = await one_round(
                    app,
                    batch,
                    frames,
                    args.concurrency,
                    args.subscribers,
                    profile if n else None,
                    measured=n > 0,
                )
                if n:
                    ms = (user + system) / len(batch) * 1000
                    frames_due = len(batch) * args.subscribers
                    results.append((ms, user / len(batch) * 1000, got, frames_due, errors))
            await hang_up(sockets)
            if profile:
                profile.dump_stats(args.profile)
    finally:
        if redis is not None:
            redis.destroy()
        if not args.keep_db:
            await common.drop_database(args.database)
    for ms, user, got, sent, errors in results:
        print(
            f"  {ms:.3f} ms API CPU per webhook, {user:.3f} user "
            f"({got}/{sent} frames, {errors} errors)"
        )
    best = min(r[0] for r in results)
    kind = f", deltas of {args.delta_chars} on {args.seed_draft}+" if args.delta else ""
    if args.subscribers != 1:
        kind += f", {args.subscribers} subscribers per report"
    median = statistics.median(r[0] for r in results)
    print(
        f"\nAPI CPU per webhook, in-process, concurrency {args.concurrency}{kind}: "
        f"best {best:.3f} ms, median {median:.3f} ms"
    )
    common.print_figure(
        f"API CPU per webhook in-process (concurrency {args.concurrency}{kind})",
        api=f"{best:.3f} ms", baseline="", ratio="", target="", met=True,
    )  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
