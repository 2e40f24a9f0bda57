"""`make bench`: every figure of the performance table, short versions, one table at the end.

Runs each benchmark script in turn (each starts and stops its own servers and
database), collects the FIGURE lines they print and prints the table: figure, API,
baseline, ratio, target, met? -- plus a Markdown version with the date, commit and
command of each figure, for benchmarks/README.md. A script that fails is shown
as failed with the tail of its output; the others still run.

    .venv/bin/python -m benchmarks.run_all              # short versions, < 5 minutes
    .venv/bin/python -m benchmarks.run_all --only delivery,subscribe_rate
    .venv/bin/python -m benchmarks.run_all --full       # the issue's sizes (long)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import UTC, datetime

from benchmarks.common import PROJECT_ROOT, parse_figures, print_table

# (script, short arguments, full arguments)
SCRIPTS: list[tuple[str, list[str], list[str]]] = [
    ("dashboard", "--duration 4 --rounds 1 --warmup 1".split(), []),
    ("webhook_pipeline", "--duration 4".split(), "--subscriptions 1000 --rate 200".split()),
    ("delivery", "--duration 4".split(),
     "--subscriptions 1000 --rate 200 --duration 10".split()),
    ("streaming_plans", "--duration 3 --max-plans 320".split(),
     "--duration 10 --max-plans 640".split()),
    ("idle_memory", "--subscriptions 500 --duration 3".split(), "--subscriptions 1000".split()),
    ("subscribe_rate", "--subscriptions 500".split(), "--subscriptions 5000".split()),
    ("idle_cpu", "--subscriptions 1000 --duration 35 --no-baseline".split(),
     "--subscriptions 10000 --duration 30".split()),
    # Capped at 0.4 CPU per API process: two of them, PostgreSQL and the load generator
    # then fit the 2 vCPUs with room (benchmarks/README.md, "Two processes").
    ("two_processes", "--duration 4 --subscriptions 600 --cpu-per-process 0.4".split(),
     "--duration 15 --subscriptions 1500 --cpu-per-process 0.4".split()),
    ("llm_workers", "--jobs 48".split(), "--jobs 200 --concurrency 8".split()),
]  # fmt: skip
SCRIPT_TIMEOUT_SECONDS = 900


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--only", default="", help="comma-separated script names")
    p.add_argument(
        "--full", action="store_true", help="the issue's sizes instead of the short ones"
    )
    p.add_argument("--quiet-wait", default="0", help="passed to each script")
    return p.parse_args()


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def run_script(name: str, extra: list[str], quiet_wait: str) -> tuple[list[dict[str, str]], str]:
    argv = [sys.executable, "-m", f"benchmarks.{name}", *extra, "--quiet-wait", quiet_wait]
    command = " ".join(["python", *argv[1:]])
    print(f"\n=== {command}", flush=True)
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=SCRIPT_TIMEOUT_SECONDS
        )
        output, failed = done.stdout + done.stderr, done.returncode != 0
    except subprocess.TimeoutExpired as exc:
        partial = [
            part.decode() if isinstance(part, bytes) else part for part in (exc.stdout, exc.stderr)
        ]
        output, failed = "".join(p or "" for p in partial) + "\ntimed out", True
    print(output if not failed else output[-3000:], flush=True)
    print(f"=== {name}: {time.monotonic() - started:.0f} s{' (FAILED)' if failed else ''}")
    figures = parse_figures(output)
    if failed or not figures:
        figures = [{"figure": name, "api": "FAILED", "baseline": "", "ratio": "", "target": "",
                    "met": "?"}]  # fmt: skip
    for figure in figures:
        figure["command"] = command
    return figures, output


def main() -> None:
    args = parse_args()
    wanted = {n for n in args.only.split(",") if n}
    figures: list[dict[str, str]] = []
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    for name, short, full in SCRIPTS:
        if wanted and name not in wanted:
            continue
        found, _ = run_script(name, full if args.full else short, args.quiet_wait)
        figures += found
    keys = ["figure", "api", "baseline", "ratio", "target", "met"]
    print()
    print_table(["figure", "API", "baseline", "ratio", "target", "met?"],
                [[f[k] for k in keys] for f in figures])  # fmt: skip
    print(f"\nMarkdown (date {when} UTC, commit {commit()}):\n")
    print("| figure | API | baseline | ratio | target | met? | command |")
    print("|---|---|---|---|---|---|---|")
    for f in figures:
        cells = [f[k] for k in keys] + [f"`{f['command']}`"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
