"""Concurrent plans streaming their text: how many one API process carries at p99 < 100 ms.

Each "plan" sends 4 signed `workflow.progress`-family webhooks a second (what a
plan streaming its text does) and has one `missionEvents` subscriber. For N
plans in turn (10, 20, 40, ... up to --max-plans, then --refine steps halving the gap
between the last N carried and the first missed), the webhooks leave on an open
schedule (4N/s, spread evenly) for --duration seconds, and each frame is matched
with its webhook (per report, in order); the step's figure is the p99 of
webhook-to-frame. The answer is the largest N whose p99 stays under 100 ms.
Target: >= 200 plans.

Without --delta, each webhook moves its report one step (step started / step
finished), and a plan moves on to a fresh report once its ladder is done, so
every webhook makes exactly one frame whether or not the API knows text deltas.
With --delta, every webhook is a `workflow.progress` of the generation step with
`data.delta` (a few words) and `data.draft_length` (the text so far): the shape
of a streamed plan, for an API that turns deltas into events.

    .venv/bin/python -m benchmarks.streaming_plans                  # up to 160 plans
    .venv/bin/python -m benchmarks.streaming_plans --max-plans 640 --duration 10
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import tempfile
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import clients, common, delivery, meters, seeding
from infra.webhook_signing import sign
from tests.support.job_events import webhook_event

DELTAS_PER_SECOND = 4.0
P99_LIMIT = 0.100
TARGET_PLANS = 200
GENERATION_STEP = "generate_mission_plan"
DELTA = "Fill the bathtub before landfall. "
Scheduled = tuple[float, str, bytes]  # (seconds after start, report id, request)


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=3.0, clients=0)
    p.add_argument("--start-plans", type=int, default=10)
    p.add_argument("--max-plans", type=int, default=160)
    p.add_argument("--delta", action="store_true", help="send text deltas (see above)")
    p.add_argument("--broadcast", default="memory://", help="BROADCAST_URL of the API")
    p.add_argument(
        "--refine", type=int, default=2, help="steps halving the gap after the first miss"
    )
    return p.parse_args()


def plan_counts(start: int, limit: int) -> list[int]:
    counts, n = [], max(1, start)
    while n <= limit:
        counts.append(n)
        n *= 2
    return counts


def between(carried: int, missed: int) -> int | None:
    """The count halfway between one carried and one missed, in tens where the gap allows;
    None when there is none left to try."""
    middle = (carried + missed) // 2
    if missed - carried > 20:
        middle = round(middle, -1)
    return middle if carried < middle < missed else None


def signed(body: dict[str, Any]) -> bytes:
    raw = json.dumps(body).encode()
    headers = sign(common.WEBHOOK_SECRET, f"msg_{uuid.uuid4().hex}", int(time.time()), raw)
    return clients.http_request("POST", delivery.WEBHOOK_PATH, raw, headers)


def ladder_bodies(report: dict[str, Any]) -> list[dict[str, Any]]:
    names = {s.step_id: s.display_name for s in delivery.DEFINITION.progress_of_steps()}
    return [
        webhook_event(report, kind, 1000 + n, step_id=step_id, display_name=names[step_id])
        for n, (kind, step_id, _) in enumerate(delivery.ladder())
    ]


def delta_bodies(report: dict[str, Any], count: int) -> list[dict[str, Any]]:
    bodies = []
    for n in range(count):
        body = webhook_event(report, "workflow.progress", 1000 + n, step_id=GENERATION_STEP)
        body["data"].update(delta=DELTA, draft_length=len(DELTA) * (n + 1))
        bodies.append(body)
    return bodies


def reports_needed(plans: int, args: Any) -> int:
    per_plan = DELTAS_PER_SECOND * args.duration
    return plans * (1 if args.delta else math.ceil(per_plan / len(delivery.ladder())))


def schedule(plans: int, reports: list[dict[str, Any]], args: Any) -> list[Scheduled]:
    """Plan p sends at p/(4N) + k/4 s; its k-th webhook goes to its current report."""
    per_plan = int(DELTAS_PER_SECOND * args.duration)
    rolling = not args.delta
    items: list[Scheduled] = []
    for p in range(plans):
        own = reports[p::plans]
        bodies = []
        for report in own:
            bodies += ladder_bodies(report) if rolling else delta_bodies(report, per_plan)
        offset = p / (DELTAS_PER_SECOND * plans)
        for k, body in enumerate(bodies[:per_plan]):
            at = offset + k / DELTAS_PER_SECOND
            items.append((at, body["metadata"]["report_id"], signed(body)))
    return sorted(items, key=lambda item: item[0])


@dataclass
class Frames:
    """Frames matched with their webhooks: the k-th frame of a report answers its k-th."""

    sent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    latencies: list[float] = field(default_factory=list)
    unmatched: int = 0
    errors: int = 0

    def read(self, message: str | bytes) -> None:
        now = time.perf_counter()
        decoded = json.loads(message)
        if decoded.get("type") != "next":
            return
        event = (decoded["payload"].get("data") or {}).get("missionEvents") or {}
        waiting = self.sent.get(str(event.get("reportId")))
        if not waiting:
            self.unmatched += 1
            return
        self.latencies.append(now - waiting.popleft())

    @property
    def missing(self) -> int:
        return sum(len(q) for q in self.sent.values())


async def send_on_schedule(port: int, items: list[Scheduled], frames: Frames) -> float:
    """Open loop over a pool of keep-alive connections; returns the worst send lag."""
    pool: asyncio.Queue[clients.HttpConnection] = asyncio.Queue()
    for _ in range(32):
        pool.put_nowait(await clients.HttpConnection.open(port))
    tasks: set[asyncio.Task[None]] = set()
    worst = 0.0

    async def post(conn: clients.HttpConnection, report_id: str, request: bytes) -> None:
        frames.sent[report_id].append(time.perf_counter())
        try:
            status, _ = await conn.send(request)
            frames.errors += status >= 300
        except (OSError, asyncio.IncompleteReadError):
            frames.errors += 1
            conn = await clients.HttpConnection.open(port)
        pool.put_nowait(conn)

    start = time.perf_counter()
    for at, report_id, request in items:
        await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
        conn = await asyncio.wait_for(pool.get(), 15)
        worst = max(worst, time.perf_counter() - start - at)
        task = asyncio.create_task(post(conn, report_id, request))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    await common.settle(lambda: not frames.missing, 5.0)
    while not pool.empty():
        await pool.get_nowait().close()
    return worst


async def one_step(api: common.Server, url: str, plans: int, args: Any) -> dict[str, Any]:
    reports = await seeding.seed_generating(url, reports_needed(plans, args), f"stream-{plans}")
    items = schedule(plans, reports, args)
    jobs = [(clients.token(r["user"]), clients.WATCH, {"id": r["id"]}) for r in reports]
    subscribers = delivery.Subscribers(
        await clients.subscribe_many(api.base_url.replace("http", "ws") + "/graphql", jobs)
    )
    frames = Frames()
    subscribers.sink = frames  # type: ignore[assignment]  # the same read(message) duck
    try:
        await meters.wait_for_quiet(args.quiet_wait)
        with meters.CpuMeter(api.pid) as cpu:
            lag = await send_on_schedule(api.port, items, frames)
    finally:
        await subscribers.close()
    p99 = meters.percentile(frames.latencies, 99)
    return {
        "plans": plans, "sent": len(items), "frames": len(frames.latencies),
        "missing": frames.missing, "errors": frames.errors, "lag": lag,
        "p50": meters.percentile(frames.latencies, 50), "p99": p99,
        "cpu": cpu.server / cpu.wall, "others": cpu.others / cpu.wall,
    }  # fmt: skip


def carried(step: dict[str, Any]) -> bool:
    """Every frame arrived, in time, and the sender kept to its schedule."""
    on_time = step["p99"] < P99_LIMIT and step["lag"] < P99_LIMIT
    return bool(step["frames"]) and not step["missing"] and not step["errors"] and on_time


async def main(args: Any) -> None:
    common.print_machine_note()
    workdir = Path(tempfile.mkdtemp(prefix="bench-streaming-"))
    url = await common.recreate_database(args.database)
    env = {"BROADCAST_URL": args.broadcast, **seeding.NO_RECONCILIATION}
    api = common.api_server(workdir, url, OFFLINE_STEP_DELAY_MS=common.STALLED_STEP_DELAY_MS, **env)
    steps: list[dict[str, Any]] = []

    async def step_of(plans: int) -> bool:
        step = await one_step(api, url, plans, args)
        steps.append(step)
        print(
            f"  {plans:5} plans: p99 {meters.ms(step['p99'])} ms, "
            f"{step['frames']}/{step['sent']} frames, send lag {meters.ms(step['lag'])} ms"
        )
        return carried(step)

    try:
        api.start()
        await one_step(api, url, max(1, args.start_plans // 2), args)  # warm-up, not counted
        best, missed = 0, None
        for plans in plan_counts(args.start_plans, args.max_plans):
            if not await step_of(plans):
                missed = plans
                break
            best = plans
        # Doubling leaves the answer somewhere below the miss: halve that gap a few times.
        for _ in range(args.refine if missed is not None else 0):
            plans_next = between(best, missed) if missed is not None else None
            if plans_next is None:
                break
            if await step_of(plans_next):
                best = plans_next
            else:
                missed = plans_next
    finally:
        api.stop()
        if not args.keep_db:
            await common.drop_database(args.database)
    shutil.rmtree(workdir, ignore_errors=True)
    report(steps, args)


def report(steps: list[dict[str, Any]], args: Any) -> None:
    mode = "text deltas" if args.delta else "step moves (no deltas)"
    print(f"\n{DELTAS_PER_SECOND:.0f} webhooks/s per plan ({mode}), {args.duration:.0f} s per step")
    common.print_table(
        ["plans", "webhooks", "frames", "missing", "errors", "p50 ms", "p99 ms", "send lag ms",
         "API CPU", "other procs CPU"],
        [[s["plans"], s["sent"], s["frames"], s["missing"], s["errors"], meters.ms(s["p50"]),
          meters.ms(s["p99"]), meters.ms(s["lag"]), f"{s['cpu']:.0%}", f"{s['others']:.0%}"]
         for s in steps],
    )  # fmt: skip
    good = [s["plans"] for s in steps if carried(s)]
    best = max(good, default=0)
    capped = bool(steps) and all(carried(s) for s in steps)
    shown = f">= {best}" if capped else str(best)
    print(f"\nmost concurrent plans at p99 < 100 ms: {shown} (target >= {TARGET_PLANS})")
    common.print_figure(
        f"concurrent streaming plans (4/s each), p99 < 100 ms{' [deltas]' if args.delta else ''}",
        api=shown, baseline="", ratio=f"{best / TARGET_PLANS:.0%} of target",
        target=f">= {TARGET_PLANS}", met=best >= TARGET_PLANS,
    )  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
