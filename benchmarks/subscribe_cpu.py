"""API CPU per subscription opened, in-process: connection_init (token), subscribe, the
report's latest state read, the first frame.

The app runs in this process on its ASGI interface (as `webhook_cpu.py` runs it), with
`--reports` seeded generating reports; each gets one `missionEvents` subscription on an
in-memory websocket, opened `--at-once` at a time, and the first frame of each is waited
for. `time.process_time()` over the openings divided by their number is the API's own
CPU per subscription (PostgreSQL's is not in it): the figure for before/after changes to
the subscribe path, which `subscribe_rate.py` measures through sockets on a shared
machine, where it moves by tens of percent between runs.

    .venv/bin/python -m benchmarks.subscribe_cpu
    BENCH_CALLGRIND=1 valgrind --tool=callgrind --instr-atstart=no \\
        .venv/bin/python -m benchmarks.subscribe_cpu --reports 220
        # instructions of the measured openings only ("Collected" / subscriptions)
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import common, seeding
from benchmarks.webhook_cpu import FakeSocket, hang_up, running_app, subscribe

WARM_UP = 20


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=0.0, clients=1)
    p.add_argument("--reports", type=int, default=520, help="subscriptions (one report each)")
    p.add_argument("--at-once", type=int, default=50, help="opened together, as clients do")
    p.add_argument("--profile", help="write a cProfile (CPU time) of the openings here")
    return p.parse_args()


async def opened(app: Any, reports: list[dict[str, Any]], frames: Any) -> list[FakeSocket]:
    sockets = [await subscribe(app, report, frames) for report in reports]
    for _ in sockets:  # each one's first frame
        await asyncio.wait_for(frames.get(), 60 if os.environ.get("BENCH_CALLGRIND") else 10)
    return sockets


async def main(args: Any) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-subscribe-cpu-"))
    url = await common.recreate_database(args.database)
    sockets: list[FakeSocket] = []
    try:
        reports = await seeding.seed_generating(url, max(args.reports, WARM_UP + 1), "sub")
        async with running_app(url, workdir) as app:
            frames: asyncio.Queue[str] = asyncio.Queue()
            sockets += await opened(app, reports[:WARM_UP], frames)  # warm: the caches and the pool
            measured = reports[WARM_UP:]
            profile = cProfile.Profile(time.process_time) if args.profile else None
            common.callgrind("on")
            started = time.process_time()
            if profile:
                profile.enable()
            for i in range(0, len(measured), args.at_once):
                sockets += await opened(app, measured[i : i + args.at_once], frames)
            if profile:
                profile.disable()
            cpu = time.process_time() - started
            common.callgrind("off")
            if profile:
                profile.dump_stats(args.profile)
            await hang_up(sockets)
    finally:
        if not args.keep_db:
            await common.drop_database(args.database)
    per = cpu / len(measured) * 1000
    count, at_once = len(measured), args.at_once
    print(f"\n{count} subscriptions opened, {at_once} at a time: {per:.3f} ms API CPU each")
    common.print_figure(
        "API CPU per subscription opened, in-process", api=f"{per:.3f} ms", baseline="",
        ratio="", target="", met=True,
    )  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
