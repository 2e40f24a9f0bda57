"""Subscriptions opened per second: the API against raw websocket accepts.

Opens SUBSCRIPTIONS graphql-transport-ws connections, --clients at a time, each
with one `missionEvents` subscription on a generating report, and counts how many
are running (first frame read) per second; then closes them. The same clients open
the same number against `benchmarks.baseline_fanout`, a raw Starlette websocket that
answers the same handshake. Target: API >= 50% of the baseline.

    .venv/bin/python -m benchmarks.subscribe_rate                       # 500
    .venv/bin/python -m benchmarks.subscribe_rate --subscriptions 5000
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import clients, common, idle_memory, meters, seeding

TARGET_RATIO = 0.50
WARM_UP = 20


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=0.0, clients=50)
    p.add_argument("--subscriptions", type=int, default=500)
    p.add_argument("--reports", type=int, default=50, help="one user each")
    return p.parse_args()


async def opening_rate(
    server: common.Server, jobs: list[tuple[str, str, dict[str, Any]]], args: Any
) -> dict[str, float]:
    ws_url = server.base_url.replace("http", "ws") + "/graphql"
    await clients.close_all(await clients.subscribe_many(ws_url, jobs[:WARM_UP]))
    await asyncio.sleep(1.0)
    await meters.wait_for_quiet(args.quiet_wait)
    started = time.perf_counter()
    with meters.CpuMeter(server.pid) as cpu:
        opened = await clients.subscribe_many(ws_url, jobs, concurrency=args.clients)
    elapsed = time.perf_counter() - started
    await clients.close_all(opened)
    count = len(opened)
    return {
        "rate": count / elapsed, "count": count, "cpu_ms": cpu.server / count * 1000,
        "others": cpu.others / cpu.wall,
    }  # fmt: skip


async def main(args: Any) -> None:
    common.print_machine_note()
    count = idle_memory.raise_file_limit(args.subscriptions)
    workdir = Path(tempfile.mkdtemp(prefix="bench-subscribe-"))
    url = await common.recreate_database(args.database)
    api, base = seeding.subscription_servers(workdir, url)
    results: dict[str, dict[str, float]] = {}
    try:
        reports = await seeding.seed_generating(
            url, seeding.users_for(count, args.reports), "bench-subscribe"
        )
        jobs = [
            (clients.token(r["user"]), clients.WATCH, {"id": r["id"]})
            for r in (reports[i % len(reports)] for i in range(count))
        ]
        api.start()
        results["api"] = await opening_rate(api, jobs, args)
        api.stop()
        base.start()
        results["baseline"] = await opening_rate(base, jobs, args)
    finally:
        api.stop()
        base.stop()
        if not args.keep_db:
            await common.drop_database(args.database)
    shutil.rmtree(workdir, ignore_errors=True)
    report(results, args)


def report(results: dict[str, dict[str, float]], args: Any) -> None:
    print(f"\nsubscriptions opened, {args.clients} at a time (first frame read)")
    common.print_table(
        ["target", "opened", "opened/s", "server CPU ms/sub", "other procs CPU"],
        [[name, f"{r['count']:.0f}", f"{r['rate']:.0f}", f"{r['cpu_ms']:.2f}",
          f"{r['others']:.0%}"] for name, r in results.items()],
    )  # fmt: skip
    api, base = results["api"]["rate"], results["baseline"]["rate"]
    ratio = api / base
    print(f"\nAPI / raw websocket accepts: {ratio:.0%} (target >= 50%)")
    common.print_figure(
        "subscriptions opened per second vs raw websocket accepts",
        api=f"{api:.0f}/s", baseline=f"{base:.0f}/s", ratio=f"{ratio:.0%}",
        target=">= 50%", met=ratio >= TARGET_RATIO,
    )  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
