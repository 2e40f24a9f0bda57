"""Deliveries per second with two API processes on Redis, against one.

Both runs use a throwaway `redis-server` as BROADCAST_URL and seeded generating
reports with one `missionEvents` subscriber each. One process: every subscriber
and every webhook on it. Two processes (one PostgreSQL database): report i is
watched on process i % 2 while the webhooks go round-robin to both, so half of the
frames cross processes over Redis. Closed loop with CLIENTS connections for
--duration seconds; the figure is frames read per second. Target: >= 1.6x.

    .venv/bin/python -m benchmarks.two_processes
    .venv/bin/python -m benchmarks.two_processes --subscriptions 1000 --duration 15
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection

from benchmarks import clients, common, delivery, meters, seeding
from benchmarks.redis_server import ThrowawayRedis

TARGET_SPEEDUP = 1.6


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=6.0, clients=16)
    p.add_argument("--subscriptions", type=int, default=200, help="one report each")
    return p.parse_args()


@dataclass
class Counter:
    """Counts the frames of webhooks (the subscriptions' first frames came before)."""

    frames: int = 0
    last_at: float = 0.0

    def read(self, message: str | bytes) -> None:
        if b'"next"' in (message if isinstance(message, bytes) else message.encode()):
            self.frames += 1
            self.last_at = time.perf_counter()


async def closed_loop(ports: list[int], requests: list[bytes], args: Any) -> tuple[int, int]:
    """`args.clients` connections spread over `ports`; returns (answered, errors)."""
    connections = [
        await clients.HttpConnection.open(port)
        for port in itertools.islice(itertools.cycle(ports), args.clients)
    ]
    deadline = time.perf_counter() + args.duration
    queue = iter(requests)
    answered = errors = 0

    async def worker(conn: clients.HttpConnection) -> None:
        nonlocal answered, errors
        for request in queue:
            if time.perf_counter() >= deadline:
                return
            status, _ = await conn.send(request)
            answered += 1
            errors += status >= 300

    try:
        await asyncio.wait_for(asyncio.gather(*map(worker, connections)), args.duration + 30)
    finally:
        for conn in connections:
            await conn.close()
    return answered, errors


async def run(apis: list[common.Server], url: str, args: Any, label: str) -> dict[str, Any]:
    reports = await seeding.seed_generating(url, args.subscriptions, f"two-{label}")
    opened: list[ClientConnection] = []
    for n, api in enumerate(apis):
        mine = reports[n :: len(apis)]
        jobs = [(clients.token(r["user"]), clients.WATCH, {"id": r["id"]}) for r in mine]
        opened += await clients.subscribe_many(
            api.base_url.replace("http", "ws") + "/graphql", jobs
        )
    subscribers = delivery.Subscribers(opened)
    counter = Counter()
    subscribers.sink = counter  # type: ignore[assignment]  # the same read(message) duck
    requests = [request for _, request in delivery.webhooks(reports)]
    try:
        await meters.wait_for_quiet(args.quiet_wait)
        started = time.perf_counter()
        answered, errors = await closed_loop([api.port for api in apis], requests, args)
        await common.settle(lambda: counter.frames >= answered - errors, 5.0)
    finally:
        await subscribers.close()
    elapsed = (counter.last_at or time.perf_counter()) - started
    return {"answered": answered, "errors": errors, "frames": counter.frames,
            "rate": counter.frames / elapsed}  # fmt: skip


async def main(args: Any) -> None:
    common.print_machine_note()
    workdir = Path(tempfile.mkdtemp(prefix="bench-two-"))
    url = await common.recreate_database(args.database)
    redis = ThrowawayRedis().start()
    env = {
        "BROADCAST_URL": redis.url(), "OFFLINE_STEP_DELAY_MS": common.STALLED_STEP_DELAY_MS,
        **seeding.NO_RECONCILIATION,
    }  # fmt: skip
    apis = [common.api_server(workdir, url, **env) for _ in range(2)]
    results = {}
    try:
        apis[0].start()
        results["1 process"] = await run(apis[:1], url, args, "one")
        apis[1].start()
        results["2 processes"] = await run(apis, url, args, "two")
    finally:
        for api in apis:
            api.stop()
        redis.destroy()
        if not args.keep_db:
            await common.drop_database(args.database)
    shutil.rmtree(workdir, ignore_errors=True)
    report(results, args)


def report(results: dict[str, dict[str, Any]], args: Any) -> None:
    print(f"\n{args.subscriptions} subscriptions, closed loop, {args.clients} connections, Redis")
    common.print_table(
        ["API", "webhooks answered", "errors", "frames", "deliveries/s"],
        [[name, r["answered"], r["errors"], r["frames"], f"{r['rate']:.0f}"]
         for name, r in results.items()],
    )  # fmt: skip
    one, two = results["1 process"]["rate"], results["2 processes"]["rate"]
    speedup = two / one if one else float("nan")
    print(
        f"\n2 processes / 1 process: {speedup:.2f}x (target >= 1.6x; 2 CPUs shared with PostgreSQL)"
    )
    common.print_figure(
        "deliveries/s, 2 API processes on Redis vs 1 process",
        api=f"{two:.0f}/s", baseline=f"{one:.0f}/s (1 process)", ratio=f"{speedup:.2f}x",
        target=">= 1.6x", met=speedup >= TARGET_SPEEDUP,
    )  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
