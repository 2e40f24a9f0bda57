"""Deliveries per second with two API processes on Redis, against one.

Both runs use a throwaway `redis-server` as BROADCAST_URL and seeded generating
reports with one `missionEvents` subscriber each. One process: every subscriber
and every webhook on it. Two processes (one PostgreSQL database): report i is
watched on process i % 2 while the webhooks go round-robin to both, so half of the
frames cross processes over Redis. Closed loop with CLIENTS connections for
--duration seconds; the figure is frames read per second. Target: >= 1.6x.

On 2 vCPUs the two API processes share the cores with PostgreSQL, Redis and the load
generator, so uncapped the second process mostly takes CPU from the first. With
--cpu-per-process CORES each API process is held to that share of a CPU in both runs
(`benchmarks/cpu_quota.py`, root only), as if each had a machine of that size: the
ratio then shows what spreading the work costs (database, bus, fan-out), not how
many cores the machine has. The table gives each run's CPU per delivery by process.

    .venv/bin/python -m benchmarks.two_processes
    .venv/bin/python -m benchmarks.two_processes --cpu-per-process 0.5
    .venv/bin/python -m benchmarks.two_processes --subscriptions 1000 --duration 15
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection

from benchmarks import clients, common, delivery, meters, seeding
from benchmarks.cpu_quota import CpuQuota
from benchmarks.redis_server import ThrowawayRedis

TARGET_SPEEDUP = 1.6


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=6.0, clients=16)
    p.add_argument("--subscriptions", type=int, default=200, help="one report each")
    p.add_argument(
        "--cpu-per-process", type=float, default=0.0, metavar="CORES",
        help="hold each API process to this share of a CPU (cgroup quota; root only)",
    )  # fmt: skip
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


async def run(
    apis: list[common.Server], redis_pid: int, url: str, args: Any, label: str
) -> dict[str, Any]:
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
        pids = tuple(api.pid for api in apis)
        with meters.CpuMeter(pids[0], more_servers=pids[1:], helper_pids=(redis_pid,)) as cpu:
            started = time.perf_counter()
            answered, errors = await closed_loop([api.port for api in apis], requests, args)
            await common.settle(lambda: counter.frames >= answered - errors, 5.0)
    finally:
        await subscribers.close()
    elapsed = (counter.last_at or time.perf_counter()) - started
    return {"answered": answered, "errors": errors, "frames": counter.frames,
            "rate": counter.frames / elapsed, "cpu": cpu}  # fmt: skip


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
    quotas: list[CpuQuota] = []
    results = {}
    try:
        for n, api in enumerate(apis):
            api.start()
            if args.cpu_per_process:
                quotas.append(CpuQuota(f"api{n}", args.cpu_per_process))
                quotas[-1].add(api.pid)
            if n == 0:
                results["1 process"] = await run(apis[:1], redis.pid, url, args, "one")
        results["2 processes"] = await run(apis, redis.pid, url, args, "two")
    finally:
        for api in apis:
            api.stop()
        for quota in quotas:
            quota.remove()
        redis.destroy()
        if not args.keep_db:
            await common.drop_database(args.database)
    shutil.rmtree(workdir, ignore_errors=True)
    report(results, args)


def report(results: dict[str, dict[str, Any]], args: Any) -> None:
    capped = args.cpu_per_process
    held = f", each API process held to {capped:g} CPU" if capped else ""
    print(
        f"\n{args.subscriptions} subscriptions, closed loop, {args.clients} connections, "
        f"Redis{held}; CPU in ms per delivery"
    )
    rows = []
    for name, r in results.items():
        cpu, frames = r["cpu"], max(1, r["frames"])
        per = [f"{seconds / frames * 1000:.2f}" for seconds in
               (cpu.server, cpu.postgres, cpu.helpers, cpu.client)]  # fmt: skip
        busy = f"{cpu.busy / cpu.wall / (os.cpu_count() or 1):.0%}"
        rows.append([name, r["answered"], r["errors"], r["frames"], f"{r['rate']:.0f}",
                     *per, busy, f"{cpu.others / cpu.wall:.0%}"])  # fmt: skip
    common.print_table(
        ["API", "webhooks answered", "errors", "frames", "deliveries/s", "API CPU",
         "PostgreSQL CPU", "Redis CPU", "load-gen CPU", "machine busy", "other procs CPU"],
        rows,
    )  # fmt: skip
    one, two = results["1 process"]["rate"], results["2 processes"]["rate"]
    speedup = two / one if one else float("nan")
    why = (
        f"each held to {capped:g} CPU"
        if capped
        else f"{os.cpu_count()} CPUs shared with PostgreSQL"
    )
    print(f"\n2 processes / 1 process: {speedup:.2f}x (target >= 1.6x; {why})")
    common.print_figure(
        "deliveries/s, 2 API processes on Redis vs 1 process"
        + (f", each held to {capped:g} CPU" if capped else ""),
        api=f"{two:.0f}/s", baseline=f"{one:.0f}/s (1 process)", ratio=f"{speedup:.2f}x",
        target=">= 1.6x", met=speedup >= TARGET_SPEEDUP,
    )  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
