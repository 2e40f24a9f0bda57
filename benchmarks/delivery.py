"""Event delivery: signed webhook in, database write, broadcast, websocket frame out.

Submits SUBSCRIPTIONS reports through `submitMissionPlan` (the embedded LLM
service stalls in step one), opens one `missionEvents` subscription per report
(raw `websockets`, graphql-transport-ws), then posts signed `workflow.step_started`
/ `workflow.progress` webhooks that move each report one step on:

1. at a fixed RATE, measuring webhook-to-frame latency (POST sent -> frame read);
2. closed-loop with CLIENTS connections, measuring the most deliveries per second.

The same requests then go to `benchmarks.baseline_fanout`, which pushes frames of
the same shape to the same number of clients. Targets: API >= 50% of the
baseline's deliveries/s, p99 < 50 ms at 200 webhooks/s with 1,000 subscriptions:

    .venv/bin/python -m benchmarks.delivery                      # 200 subs, 100/s
    .venv/bin/python -m benchmarks.delivery --subscriptions 1000 --rate 200 --duration 15
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from benchmarks import clients, common, meters
from infra.webhook_signing import sign
from tests.support.job_events import webhook_event

WEBHOOK_PATH = "/api/webhooks/llm-callback"
DEFINITION = common.workflow_definition()
Key = tuple[str, str, float]  # (report id, step id, percentage): what one webhook shows


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=8.0, clients=16)
    p.add_argument("--subscriptions", type=int, default=200, help="one report each")
    p.add_argument("--rate", type=float, default=100.0, help="webhooks/s in the fixed phase")
    p.add_argument("--broadcast", default="memory://", help="BROADCAST_URL of the API")
    p.add_argument("--show-frames", action="store_true", help="print one frame of each")
    p.add_argument(
        "--open-seconds", type=float, default=0.0,
        help="keep the subscriptions open this long before measuring (35: past the API's "
        "GC_FREEZE_SECONDS, as subscriptions open for minutes are)",
    )  # fmt: skip
    return p.parse_args()


def ladder() -> list[tuple[str, str, float]]:
    """The webhooks that each move a report one visible step (progress never goes down)."""
    steps = DEFINITION.progress_of_steps()
    moves = [("workflow.progress", steps[0].step_id, steps[0].end_percentage)]
    for step in steps[1:]:
        moves.append(("workflow.step_started", step.step_id, step.start_percentage))
        moves.append(("workflow.progress", step.step_id, step.end_percentage))
    return moves


def webhooks(reports: list[dict[str, Any]]) -> list[tuple[Key, bytes]]:
    """Signed requests, round-robin over the reports, built before any clock starts."""
    names = {s.step_id: s.display_name for s in DEFINITION.progress_of_steps()}
    built = []
    for n, (kind, step_id, percentage) in enumerate(ladder()):
        for report in reports:
            event = webhook_event(
                report, kind, 1000 + n, step_id=step_id, display_name=names[step_id]
            )
            body = json.dumps(event).encode()
            headers = sign(common.WEBHOOK_SECRET, f"msg_{uuid.uuid4().hex}", int(time.time()), body)
            request = clients.http_request("POST", WEBHOOK_PATH, body, headers)
            built.append(((report["id"], step_id, percentage), request))
    return built


@dataclass
class Sink:
    """Frames read by the clients, matched with the time their webhook was sent."""

    expected: int = 0
    sent: dict[Key, float] = field(default_factory=dict)
    all_read: asyncio.Event = field(default_factory=asyncio.Event)
    sample: str | bytes = ""
    latencies: list[float] = field(default_factory=list)
    received: int = 0
    unmatched: int = 0
    errors: int = 0  # webhooks not answered 2xx
    other: list[dict[str, Any]] = field(default_factory=list)
    frame_bytes: int = 0
    last_at: float = 0.0

    def read(self, message: str | bytes) -> None:
        now = time.perf_counter()
        decoded = json.loads(message)
        if decoded.get("type") != "next":  # an error or a completion: not a delivery
            self.other.append(decoded)
            return
        event = decoded["payload"]["data"]["missionEvents"]
        progress = event.get("progress") or {}
        key: Key = (event["reportId"], progress.get("stepId", ""), progress.get("percentage", -1))
        sent = self.sent.pop(key, None)
        if sent is None:
            self.unmatched += 1
            return
        self.received += 1
        self.frame_bytes += len(message)
        self.latencies.append(now - sent)
        self.last_at = now
        self.sample = self.sample or message
        if self.received >= self.expected:
            self.all_read.set()


@dataclass
class Subscribers:
    """The open subscriptions, each read by one task into the current sink."""

    connections: list[ClientConnection]
    sink: Sink = field(default_factory=Sink)

    def __post_init__(self) -> None:
        self._readers = [asyncio.create_task(self._read(ws)) for ws in self.connections]

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for message in ws:
                self.sink.read(message)
        except ConnectionClosed:
            pass

    async def close(self) -> None:
        await clients.close_all(self.connections)
        await asyncio.wait(self._readers, timeout=10)


async def drained(sink: Sink) -> None:
    """Waits (5 s at most) for the frames of every webhook sent."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(sink.all_read.wait(), 5.0)


async def fixed_rate(port: int, items: list[tuple[Key, bytes]], rate: float, sink: Sink) -> float:
    """Open loop: webhook i leaves at start + i/rate. Returns the worst send lag."""
    pool: asyncio.Queue[clients.HttpConnection] = asyncio.Queue()
    for _ in range(32):
        pool.put_nowait(await clients.HttpConnection.open(port))
    tasks: set[asyncio.Task[None]] = set()
    worst_lag = 0.0

    async def post(conn: clients.HttpConnection, key: Key, request: bytes) -> None:
        sink.sent[key] = time.perf_counter()
        try:
            status, _ = await conn.send(request)
            sink.errors += status >= 300
            pool.put_nowait(conn)
        except (OSError, asyncio.IncompleteReadError):
            sink.errors += 1
            pool.put_nowait(await clients.HttpConnection.open(port))

    start = time.perf_counter()
    for i, (key, request) in enumerate(items):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        try:
            conn = await asyncio.wait_for(pool.get(), 15)
        except TimeoutError:
            raise RuntimeError("the server answered no webhook for 15 s") from None
        worst_lag = max(worst_lag, time.perf_counter() - (start + i / rate))
        task = asyncio.create_task(post(conn, key, request))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    await drained(sink)
    while not pool.empty():
        await pool.get_nowait().close()
    return worst_lag


async def run_phases(
    server: common.Server,
    reports: list[dict[str, Any]],
    items: list[tuple[Key, bytes]],
    args: Any,
    profiler: meters.Profiler,
) -> dict[str, Any]:
    jobs = [(clients.token(r["user"]), clients.WATCH, {"id": r["id"]}) for r in reports]
    ws_url = server.base_url.replace("http", "ws") + "/graphql"
    subscribers = Subscribers(await clients.subscribe_many(ws_url, jobs))
    fixed_count = min(int(args.rate * args.duration), len(items) // 2)
    warm = min(len(reports), 50)
    try:
        await asyncio.sleep(args.open_seconds)
        await meters.wait_for_quiet(args.quiet_wait)
        subscribers.sink = Sink(expected=warm)
        await fixed_rate(server.port, items[:warm], args.rate, subscribers.sink)  # not counted
        subscribers.sink = sink = Sink(expected=fixed_count)
        profiler.start(server, f"delivery-{server.name}-fixed", fixed_count / args.rate)
        with meters.CpuMeter(server.pid) as fixed_cpu:
            lag = await fixed_rate(server.port, items[warm : warm + fixed_count], args.rate, sink)
        profiler.stop()
        fixed = {"sink": sink, "cpu": fixed_cpu, "lag": lag, "posted": fixed_count}
        rest = items[warm + fixed_count :]
        subscribers.sink = sat = Sink(expected=len(rest))
        sat.sent.update({key: 0.0 for key, _ in rest})  # to match frames; latency not used
        started = time.perf_counter()
        profiler.start(server, f"delivery-{server.name}-saturation", 3)
        with meters.CpuMeter(server.pid) as sat_cpu:
            load = await clients.closed_loop(
                server.port, [r for _, r in rest], clients=args.clients,
                duration=args.duration, cycle=False,
            )  # fmt: skip
            sat.expected = len(load.latencies)  # what was posted before the time ran out
            if sat.received >= sat.expected:
                sat.all_read.set()
            await drained(sat)
        profiler.stop()
        elapsed = (sat.last_at or time.perf_counter()) - started
        saturation = {"sink": sat, "cpu": sat_cpu, "rate": sat.received / elapsed, "load": load}
        return {"fixed": fixed, "saturation": saturation, "elapsed": elapsed}
    finally:
        await subscribers.close()


BetweenRuns = Callable[[str], Awaitable[None]]


async def nothing(url: str) -> None:
    return None


async def compare(
    args: Any, baseline_app: str, before_baseline: BetweenRuns = nothing
) -> dict[str, dict[str, Any]]:
    """Runs the phases against the API, then against `baseline_app` (given DATABASE_URL
    and LLM_WEBHOOK_SECRET), on the same reports and the same signed requests."""
    common.print_machine_note()
    workdir = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    url = await common.recreate_database(args.database)
    api = common.api_server(
        workdir, url, BROADCAST_URL=args.broadcast,
        OFFLINE_STEP_DELAY_MS=common.STALLED_STEP_DELAY_MS,
    )  # fmt: skip
    base = common.baseline_server(
        workdir, baseline_app, "/healthz", DATABASE_URL=url,
        LLM_WEBHOOK_SECRET=common.WEBHOOK_SECRET,
    )  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    profiler = meters.Profiler(args.py_spy, args.profile_dir)
    try:
        api.start()
        started = time.perf_counter()
        users = [f"bench-delivery-{i:05d}" for i in range(args.subscriptions)]
        reports = await clients.submit_reports(api, users)
        await clients.outbox_drained(url)
        print(f"submitted {len(reports)} reports in {time.perf_counter() - started:.1f} s")
        items = webhooks(reports)
        results["api"] = await run_phases(api, reports, items, args, profiler)
        api.stop()
        await before_baseline(url)
        base.start()
        results["baseline"] = await run_phases(base, reports, items, args, profiler)
    finally:
        api.stop()
        base.stop()
        if not args.keep_db:
            await common.drop_database(args.database)
    shutil.rmtree(workdir, ignore_errors=True)  # kept when a run fails: it has the logs
    return results


async def main(args: Any) -> None:
    report(await compare(args, "benchmarks.baseline_fanout:app"), args)


def report(results: dict[str, dict[str, Any]], args: Any) -> None:
    print(
        f"\n{args.subscriptions} subscriptions (one report each), broadcast {args.broadcast}; "
        f"fixed phase {args.rate:.0f} webhooks/s for {args.duration:.0f} s, then closed loop "
        f"with {args.clients} connections"
    )
    rows = []
    for name in ("baseline", "api"):
        fixed, sat = results[name]["fixed"], results[name]["saturation"]
        sink: Sink = fixed["sink"]
        delivered = sink.received or 1
        errors = sink.errors + sat["load"].errors
        rows.append([
            name, f"{sink.received}/{fixed['posted']}", errors,
            f"{sink.received / fixed['cpu'].wall:.0f}",
            meters.ms(meters.percentile(sink.latencies, 50)),
            meters.ms(meters.percentile(sink.latencies, 99)), meters.ms(fixed["lag"]),
            f"{fixed['cpu'].server / delivered * 1000:.2f}",
            f"{sink.frame_bytes / delivered:.0f}", f"{sat['rate']:.0f}",
            f"{sat['cpu'].client / sat['cpu'].wall:.0%}",
            f"{max(c.others / c.wall for c in (fixed['cpu'], sat['cpu'])):.0%}",
        ])  # fmt: skip
    common.print_table(
        ["target", "delivered", "errors", "deliv/s", "p50 ms", "p99 ms", "send lag ms",
         "server CPU ms/deliv", "frame B", "max deliv/s", "load-gen CPU",
         "other procs CPU"],
        rows,
    )  # fmt: skip
    for name in ("baseline", "api"):
        sinks = [results[name][phase]["sink"] for phase in ("fixed", "saturation")]
        unmatched = sum(sink.unmatched for sink in sinks)
        other = [m.get("type") for sink in sinks for m in sink.other]
        if unmatched or other:
            print(f"{name}: {unmatched} frames matched no webhook; other messages: {other[:5]}")
    if args.show_frames:
        for name in ("baseline", "api"):
            print(f"{name} frame: {results[name]['fixed']['sink'].sample!s}")
    api, base = results["api"], results["baseline"]
    ratio = api["saturation"]["rate"] / base["saturation"]["rate"]
    p99 = meters.percentile(api["fixed"]["sink"].latencies, 99)
    print(f"\nAPI / baseline max deliveries/s: {ratio:.0%} (target >= 50%)")
    print(f"API p99 webhook-to-frame at {args.rate:.0f}/s: {meters.ms(p99)} ms (target < 50 ms)")
    api_rate = api["saturation"]["rate"]
    common.print_figure(
        "most deliveries/s, one API process", api=f"{api_rate:.0f}/s",
        baseline=f"{base['saturation']['rate']:.0f}/s (raw fan-out)", ratio=f"{ratio:.0%}",
        target=">= 1,000/s", met=api_rate >= 1000,
    )  # fmt: skip
    common.print_figure(
        f"p99 webhook-to-frame, {args.subscriptions} subs, {args.rate:.0f}/s",
        api=f"{meters.ms(p99)} ms",
        baseline=f"{meters.ms(meters.percentile(base['fixed']['sink'].latencies, 99))} ms",
        ratio="", target="< 50 ms", met=None if p99 != p99 else p99 < 0.050,
    )  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
