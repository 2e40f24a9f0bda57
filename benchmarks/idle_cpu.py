"""Idle CPU of one API process holding many idle subscriptions, against raw websockets.

Opens SUBSCRIPTIONS `missionEvents` subscriptions (spread over REPORTS generating
reports, one user each) and measures the server's CPU while nothing happens for
--duration seconds; the same against `benchmarks.baseline_fanout`'s raw
websockets. The figure of the issue is at 10,000 (target < 5% of a core);
the short version holds 1,000.

    .venv/bin/python -m benchmarks.idle_cpu                                   # 1,000
    .venv/bin/python -m benchmarks.idle_cpu --subscriptions 10000 --duration 30
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import clients, common, idle_memory, meters, seeding

TARGET_SHARE = 0.05


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=10.0, clients=50)
    p.add_argument("--subscriptions", type=int, default=1000)
    p.add_argument("--reports", type=int, default=100, help="one user each")
    p.add_argument("--no-baseline", action="store_true")
    idle_memory.add_settle_argument(p)
    args = p.parse_args()
    args.kind = "report"  # what idle_memory.measure opens
    return args


async def main(args: Any) -> None:
    common.print_machine_note()
    count = idle_memory.raise_file_limit(args.subscriptions)
    workdir = Path(tempfile.mkdtemp(prefix="bench-idle-cpu-"))
    url = await common.recreate_database(args.database)
    api, base = seeding.subscription_servers(workdir, url)
    profiler = meters.Profiler(args.py_spy, args.profile_dir)
    results: dict[str, dict[str, Any]] = {}
    try:
        reports = await seeding.seed_generating(
            url, seeding.users_for(count, args.reports), "bench-idle-cpu"
        )
        jobs = [
            (clients.token(r["user"]), clients.WATCH, {"id": r["id"]})
            for r in (reports[i % len(reports)] for i in range(count))
        ]
        api.start()
        results["api"] = await idle_memory.measure(api, jobs, args, profiler)
        api.stop()
        if not args.no_baseline:
            base.start()
            results["baseline"] = await idle_memory.measure(base, jobs, args, profiler)
    finally:
        api.stop()
        base.stop()
        if not args.keep_db:
            await common.drop_database(args.database)
    shutil.rmtree(workdir, ignore_errors=True)
    report(results, args)


def report(results: dict[str, dict[str, Any]], args: Any) -> None:
    shares = {name: r["idle"].server / r["idle"].wall for name, r in results.items()}
    print(f"\nidle CPU over {args.duration:.0f} s with the subscriptions open")
    common.print_table(
        ["target", "subs", "idle CPU (share of a core)", "other procs CPU"],
        [[name, r["count"], f"{shares[name]:.1%}", f"{r['idle'].others / r['idle'].wall:.0%}"]
         for name, r in results.items()],
    )  # fmt: skip
    api = shares["api"]
    base = shares.get("baseline")
    count = results["api"]["count"]
    common.print_figure(
        f"{count:,} idle subscriptions on one process: idle CPU",
        api=f"{api:.1%} of a core", baseline="" if base is None else f"{base:.1%}",
        ratio="", target="< 5% of a core", met=api < TARGET_SHARE,
    )  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
