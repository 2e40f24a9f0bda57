"""Garbage-collector pauses under webhooks, with many subscriptions open: steward off, then on.

The app runs in-process on its ASGI interface (as `webhook_cpu.py`) with
`--subscriptions` open `missionEvents` subscriptions, one report each; then
`--moves` step moves per report arrive, `--concurrency` at a time. Every collection's
CPU time is taken from `gc.callbacks` (CPU, not wall time: a descheduled process does
not count). Each side runs in a process of its own, since the collector's state is
the process's: first with `GC_FREEZE_SECONDS=0` (CPython's collector as it is), then
with the collector steward (infra/gc_steward.py) freezing every `--freeze-seconds`
(30 s in production; shorter here so that it acts within the run). The figure is the
longest full (generation 2) collection: the loop stops that long, every delivery in
flight waits, and that is what sets the p99 of `delivery.py --subscriptions 1000`.

    .venv/bin/python -m benchmarks.gc_pauses                    # 1,000 subscriptions
    .venv/bin/python -m benchmarks.gc_pauses --subscriptions 5000
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import common, meters, seeding, webhook_cpu
from infra.gc_steward import PauseMeter


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=0.0, clients=1)
    p.add_argument("--subscriptions", type=int, default=1000, help="open, one report each")
    p.add_argument("--moves", type=int, default=3, help="step-move webhooks per report")
    p.add_argument("--concurrency", type=int, default=4, help="webhooks in flight at once")
    p.add_argument("--freeze-seconds", type=float, default=2.0, help="the steward's interval")
    p.add_argument("--side", choices=["off", "on"], help="(internal) run one side, print JSON")
    return p.parse_args()


async def one_side(args: Any) -> dict[str, Any]:
    url = await common.recreate_database(args.database)
    try:
        reports = await seeding.seed_generating(url, args.subscriptions, "gc")
        async with webhook_cpu.running_app(url, Path(tempfile.mkdtemp())) as app:
            frames: asyncio.Queue[str] = asyncio.Queue()
            sockets = [await webhook_cpu.subscribe(app, r, frames) for r in reports]
            for _ in reports:  # the snapshots
                await asyncio.wait_for(frames.get(), 60)
            await asyncio.sleep(args.freeze_seconds * 1.5)  # the steward's first turn
            # CPU seconds of each collection, by generation.
            by_generation: dict[int, list[float]] = {0: [], 1: [], 2: []}
            pauses = PauseMeter(lambda generation, s: by_generation[generation].append(s))
            gc.callbacks.append(pauses)
            batch = webhook_cpu.signed(reports, args.moves)
            user, system, got, errors = await webhook_cpu.one_round(
                app, batch, frames, args.concurrency, 1
            )
            gc.callbacks.remove(pauses)
            await webhook_cpu.hang_up(sockets)
    finally:
        if not args.keep_db:
            await common.drop_database(args.database)
    return {
        "webhooks": len(batch),
        "frames": got,
        "errors": errors,
        "cpu_ms": (user + system) / len(batch) * 1000,
        "pauses": by_generation,
    }


def run_side(side: str, args: Any) -> dict[str, Any]:
    freeze = "0" if side == "off" else str(args.freeze_seconds)
    command = [sys.executable, "-m", "benchmarks.gc_pauses", "--side", side]
    command += ["--subscriptions", str(args.subscriptions), "--moves", str(args.moves)]
    command += [
        "--concurrency",
        str(args.concurrency),
        "--freeze-seconds",
        str(args.freeze_seconds),
    ]
    command += ["--database", f"{args.database}_{side}", "--quiet-wait", "0"]
    env = {**os.environ, "GC_FREEZE_SECONDS": freeze}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"the {side} side failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _row(side: str, result: dict[str, Any]) -> str:
    cells = [side, f"{result['frames']}/{result['webhooks']}", f"{result['cpu_ms']:.2f}"]
    for generation in ("0", "1", "2"):
        pauses = result["pauses"][generation]
        longest = max(pauses, default=0.0) * 1000
        cells.append(f"{len(pauses)} x, longest {longest:.1f} ms")
    return "  ".join(f"{c:>22}" for c in cells)


def main(args: Any) -> None:
    if args.side:
        print(json.dumps(asyncio.run(one_side(args))))
        return
    asyncio.run(meters.wait_for_quiet(args.quiet_wait))
    results = {side: run_side(side, args) for side in ("off", "on")}
    print(
        f"{args.subscriptions} subscriptions, {args.moves} step moves each, "
        f"{args.concurrency} in flight; collection CPU time by generation"
    )
    head = ["steward", "frames", "CPU ms/webhook", "gen 0", "gen 1", "gen 2"]
    print("  ".join(f"{h:>22}" for h in head))
    for side, result in results.items():
        print(_row(side, result))
    off, on = (max(results[s]["pauses"]["2"], default=0.0) * 1000 for s in ("off", "on"))
    common.print_figure(
        f"longest full collection, {args.subscriptions} subscriptions, webhooks arriving",
        api=f"{on:.1f} ms", baseline=f"{off:.1f} ms (collector as CPython runs it)",
        ratio=f"{on / off:.0%}" if off else "", target="", met=None,
    )  # fmt: skip


if __name__ == "__main__":
    main(parse_args())
