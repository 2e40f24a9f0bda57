"""Deliveries per second with two API processes on Redis, against one.

Both runs use a throwaway `redis-server` as BROADCAST_URL and seeded generating
reports with one `missionEvents` subscriber each. One process: every subscriber
and every webhook on it. Two processes (one PostgreSQL database): report i is
watched on process i % 2 while the webhooks go round-robin to both, so half of the
frames cross processes over Redis. Closed loop with CLIENTS connections for
--duration seconds; the figure is frames read per second. Target: >= 1.6x.

CLIENTS is per API process (16 for one, 32 for two): the offered load grows with the
deployment, as it does when more processes serve more clients. With a fixed total,
each of two processes would see half the concurrent webhooks, and group commit
batches of half the size cost more per webhook (measured: API and PostgreSQL CPU per
delivery both doubled at 16 in all).

On 2 vCPUs the two API processes share the cores with PostgreSQL, Redis and the load
generator, so uncapped the second process mostly takes CPU from the first. With
--cpu-per-process CORES a second pass holds each API process to that share of a CPU
(`benchmarks/cpu_quota.py`, root only), as if each had a machine of that size: that
ratio shows what spreading the work costs (database, bus, fan-out), not how many
cores the machine has. The table gives each run's CPU per delivery by process.

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
CAPPED_ONE, CAPPED_TWO = "1 process, capped", "2 processes, capped"


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
    """`args.clients` connections to each of `ports`; returns (answered, errors)."""
    connections = [
        await clients.HttpConnection.open(port)
        for port in itertools.islice(itertools.cycle(ports), args.clients * len(ports))
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
    results: dict[str, dict[str, Any]] = {}

    async def measure(label: str, running: list[common.Server]) -> None:
        results[label] = await run(running, redis.pid, url, args, f"r{len(results)}")

    try:
        # The second process starts only for the runs that use it: an idle one still
        # reads every bus message, which the one-process runs should not pay for.
        apis[0].start()
        await measure("1 process", apis[:1])
        if args.cpu_per_process:
            quotas.append(CpuQuota("api0", args.cpu_per_process))
            quotas[0].add(apis[0].pid)
            await measure(CAPPED_ONE, apis[:1])
            apis[1].start()
            quotas.append(CpuQuota("api1", args.cpu_per_process))
            quotas[1].add(apis[1].pid)
            await measure(CAPPED_TWO, apis)
            for quota in quotas:
                quota.remove()  # back to the whole machine
        else:
            apis[1].start()
        await measure("2 processes", apis)
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
    held = f"; capped: each API process held to {capped:g} CPU" if capped else ""
    print(
        f"\n{args.subscriptions} subscriptions per run, closed loop, {args.clients} "
        f"connections per API process, Redis{held}; CPU in ms per delivery"
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
    print()
    figure(results["1 process"], results["2 processes"], f"{os.cpu_count()} CPUs shared")
    if capped:
        figure(results[CAPPED_ONE], results[CAPPED_TWO], f"each held to {capped:g} CPU")


def figure(one: dict[str, Any], two: dict[str, Any], how: str) -> None:
    speedup = two["rate"] / one["rate"] if one["rate"] else float("nan")
    print(f"2 processes / 1 process ({how}): {speedup:.2f}x (target >= 1.6x)")
    common.print_figure(
        f"deliveries/s, 2 API processes on Redis vs 1 process ({how})",
        api=f"{two['rate']:.0f}/s", baseline=f"{one['rate']:.0f}/s (1 process)",
        ratio=f"{speedup:.2f}x", target=">= 1.6x", met=speedup >= TARGET_SPEEDUP,
    )  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
