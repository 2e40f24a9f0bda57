"""Server memory per idle subscription, and what idle subscriptions cost in CPU.

Starts `python -m graph.serve` (the embedded LLM service stalls, so reports stay
GENERATING), submits REPORTS reports, opens SUBSCRIPTIONS websocket connections
with one subscription each (spread over the reports) and reads the server's
VmRSS from /proc before, halfway and after. Then watches the idle server's CPU
for DURATION seconds. The same is done against `benchmarks.baseline_fanout` (a
raw websocket), whose figure is the floor. Target: <= 30 KB per subscription.
--clients is how many connections are being opened at once.

    .venv/bin/python -m benchmarks.idle_memory                         # 1,000
    .venv/bin/python -m benchmarks.idle_memory --subscriptions 10000   # needs ulimit -n
"""

from __future__ import annotations

import asyncio
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection

from benchmarks import clients, common, meters, seeding

MY_EVENTS = "subscription { myMissionEvents { __typename } }"
SETTLE_SECONDS = 3.0


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=10.0, clients=50)
    p.add_argument("--subscriptions", type=int, default=1000)
    p.add_argument("--reports", type=int, default=20, help="one user each")
    p.add_argument(
        "--kind", choices=("report", "user"), default="report",
        help="missionEvents(reportId) on a generating report, or myMissionEvents",
    )  # fmt: skip
    p.add_argument("--no-baseline", action="store_true")
    add_settle_argument(p)
    return p.parse_args()


def add_settle_argument(p: Any) -> None:
    p.add_argument(
        "--settle", type=float, default=SETTLE_SECONDS,
        help="seconds to let the heap and the CPU settle around each measurement",
    )  # fmt: skip


def raise_file_limit(subscriptions: int) -> int:
    """Lifts the soft RLIMIT_NOFILE (children inherit it); returns what fits under it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = subscriptions + 500
    if soft < needed:
        soft = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    fits = min(subscriptions, soft - 500)
    print(f"ulimit -n: soft {soft}, hard {hard}; opening {fits} subscriptions")
    return fits


async def measure(
    server: common.Server,
    jobs: list[tuple[str, str, dict[str, Any]]],
    args: Any,
    profiler: meters.Profiler,
) -> dict[str, Any]:
    ws_url = server.base_url.replace("http", "ws") + "/graphql"
    wait_first = not (server.name == "api" and args.kind == "user")
    warm = await clients.subscribe_many(ws_url, jobs[:20], wait_first=wait_first)
    await clients.close_all(warm)  # first use loads code and fills caches: not per-subscription
    await asyncio.sleep(args.settle)
    await meters.wait_for_quiet(args.quiet_wait)
    opened: list[ClientConnection] = []
    rss = [meters.rss_kib(server.pid)]
    started = time.perf_counter()
    try:
        half = len(jobs) // 2
        profiler.start(server, f"idle-{server.name}-opening", 5)
        for part in (jobs[:half], jobs[half:]):
            opened += await clients.subscribe_many(
                ws_url, part, concurrency=args.clients, wait_first=wait_first
            )
            if len(rss) == 1:
                open_rate = len(opened) / (time.perf_counter() - started)
                profiler.stop()
            await asyncio.sleep(args.settle)
            rss.append(meters.rss_kib(server.pid))
        with meters.CpuMeter(server.pid) as idle:
            await asyncio.sleep(args.duration)
        rss.append(meters.rss_kib(server.pid))
    finally:
        await clients.close_all(opened)
    await asyncio.sleep(args.settle)
    rss.append(meters.rss_kib(server.pid))
    return {"rss": rss, "count": len(opened), "idle": idle, "open_rate": open_rate}


async def main(args: Any) -> None:
    common.print_machine_note()
    count = raise_file_limit(args.subscriptions)
    workdir = Path(tempfile.mkdtemp(prefix="bench-idle-"))
    url = await common.recreate_database(args.database)
    api = common.api_server(workdir, url, OFFLINE_STEP_DELAY_MS=common.STALLED_STEP_DELAY_MS)
    base = common.baseline_server(workdir, "benchmarks.baseline_fanout:app", "/healthz")
    results: dict[str, dict[str, Any]] = {}
    profiler = meters.Profiler(args.py_spy, args.profile_dir)
    try:
        api.start()
        users = [f"bench-idle-{i:04d}" for i in range(seeding.users_for(count, args.reports))]
        reports = await clients.submit_reports(api, users)
        await clients.outbox_drained(url)
        query = clients.WATCH if args.kind == "report" else MY_EVENTS
        jobs = [
            (clients.token(r["user"]), query, {"id": r["id"]} if args.kind == "report" else {})
            for r in (reports[i % len(reports)] for i in range(count))
        ]
        results["api"] = await measure(api, jobs, args, profiler)
        api.stop()
        if not args.no_baseline:
            base.start()
            base_jobs = [(t, clients.WATCH, {"id": v.get("id", "r")}) for t, _, v in jobs]
            results["baseline"] = await measure(base, base_jobs, args, profiler)
    finally:
        api.stop()
        base.stop()
        if not args.keep_db:
            await common.drop_database(args.database)
    report(results, args)
    shutil.rmtree(workdir, ignore_errors=True)  # kept when a run fails: it has the logs


def report(results: dict[str, dict[str, Any]], args: Any) -> None:
    kind = "missionEvents(reportId)" if args.kind == "report" else "myMissionEvents"
    print(f"\nidle {kind} subscriptions, one per websocket connection, {args.reports} reports")
    rows = []
    for name, r in results.items():
        before, half, full, after_idle, closed = r["rss"]
        count = r["count"]
        rows.append([
            name, count, f"{before / 1024:.1f}", f"{full / 1024:.1f}",
            f"{(full - before) / count:.1f}", f"{(full - half) / (count - count // 2):.1f}",
            f"{(after_idle - before) / count:.1f}", f"{closed / 1024:.1f}",
            f"{r['idle'].server / r['idle'].wall:.1%}", f"{r['open_rate']:.0f}",
        ])  # fmt: skip
    common.print_table(
        ["target", "subs", "RSS before MiB", "RSS open MiB", "KiB/sub", "KiB/sub 2nd half",
         f"KiB/sub after {args.duration:.0f} s idle", "RSS closed MiB", "idle CPU",
         "opened/s"],
        rows,
    )  # fmt: skip
    if "baseline" in results:
        api, base = results["api"], results["baseline"]
        extra = (api["rss"][2] - api["rss"][0]) / api["count"] - (
            base["rss"][2] - base["rss"][0]
        ) / base["count"]
        print(f"\nAPI over the raw websocket: {extra:.1f} KiB per subscription")
        common.print_figure(
            "idle subscription over a raw websocket on the same server",
            api=f"{(api['rss'][2] - api['rss'][0]) / api['count']:.1f} KiB/sub",
            baseline=f"{(base['rss'][2] - base['rss'][0]) / base['count']:.1f} KiB/sub",
            ratio=f"{extra:+.1f} KiB", target="<= +10 KiB", met=extra <= 10,
        )  # fmt: skip
    api_kib = (results["api"]["rss"][2] - results["api"]["rss"][0]) / results["api"]["count"]
    print(f"API: {api_kib * 1.024:.1f} KB per idle subscription (target <= 30 KB)")


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
