"""Every benchmark script runs once at a tiny size, so none of them rots unnoticed.

No timing is asserted (the machine is shared): each script must exit 0 and print
its figure line (`FIGURE {...}`, what `make bench` collects into its table), having
started and stopped its own servers and dropped its own scratch database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

from benchmarks import cpu_quota
from benchmarks.common import PROJECT_ROOT, parse_figures
from benchmarks.run_all import SCRIPTS
from tests.conftest import require_server

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

# The smallest sizes at which each script still runs every one of its phases.
TINY: dict[str, list[str]] = {
    "dashboard": ["--users", "2", "--reports-per-user", "20", "--duration", "0.5",
                  "--rounds", "1", "--warmup", "0.2", "--clients", "2"],
    "webhook_pipeline": ["--subscriptions", "3", "--rate", "20", "--duration", "0.5",
                         "--clients", "2"],
    "delivery": ["--subscriptions", "3", "--rate", "20", "--duration", "0.5", "--clients", "2"],
    "streaming_plans": ["--start-plans", "2", "--max-plans", "2", "--duration", "1"],
    "idle_memory": ["--subscriptions", "24", "--reports", "2", "--duration", "0.5",
                    "--settle", "0.2"],
    "subscribe_rate": ["--subscriptions", "24", "--reports", "2"],
    "idle_cpu": ["--subscriptions", "24", "--reports", "2", "--duration", "0.5",
                 "--settle", "0.2"],
    "two_processes": ["--subscriptions", "4", "--duration", "0.5", "--clients", "2"],
    "llm_workers": ["--jobs", "4", "--step-delay-ms", "0"],
}  # fmt: skip
# Scripts outside `make bench` (measurement tools for before/after comparisons), by
# name and, after a space, the mode the run is for.
TOOLS: dict[str, list[str]] = {
    "webhook_cpu": ["--reports", "3", "--rounds", "1"],
    "webhook_cpu --subscribers": ["--reports", "2", "--subscribers", "2", "--rounds", "1"],
    "webhook_route_cpu": ["--webhooks", "20", "--rounds", "1"],
    "webhook_cpu --redis": ["--reports", "3", "--rounds", "1", "--redis"],
    "subscribe_cpu": ["--reports", "24", "--at-once", "2"],
    "webhook_cpu --delta": ["--delta", "--reports", "3", "--deltas", "4", "--rounds", "1",
                            "--seed-draft", "100"],
    "gc_pauses": ["--subscriptions", "3", "--moves", "1", "--freeze-seconds", "0.2"],
    "two_processes --cpu-per-process": ["--subscriptions", "4", "--duration", "0.5",
                                        "--clients", "2", "--cpu-per-process", "1"],
}  # fmt: skip


def test_every_script_of_make_bench_has_a_tiny_run() -> None:
    assert {name for name, _, _ in SCRIPTS} == set(TINY)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("script", sorted(TINY | TOOLS))
def test_script_runs_and_prints_its_figure(script: str) -> None:
    require_server("PostgreSQL", "127.0.0.1", 5432)
    needs_redis = script.startswith("two_processes") or "--redis" in script
    if needs_redis and shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed")
    if "--cpu-per-process" in script and not cpu_quota.available():
        # CI runs as root on a machine with cgroups, where this must run.
        assert not os.environ.get("CI"), "CI must be able to make CPU quota cgroups"
        pytest.skip("CPU quotas need root and a cgroup cpu controller")
    database = f"bench_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    args = {**TINY, **TOOLS}[script]
    argv = [sys.executable, "-m", f"benchmarks.{script.split()[0]}", *args, "--database", database]
    done = subprocess.run(argv, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=220)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    figures = parse_figures(done.stdout)
    assert figures, output[-4000:]
    for figure in figures:
        assert set(figure) == {"figure", "api", "baseline", "ratio", "target", "met"}, figure
        assert figure["api"] and figure["met"] in {"yes", "no", "?"}, json.dumps(figure)
    assert database not in _databases(), "the script left its scratch database behind"


def _databases() -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _LIST_DATABASES], cwd=PROJECT_ROOT, capture_output=True,
        text=True, timeout=60, check=True,
    )  # fmt: skip
    return set(done.stdout.split())


_LIST_DATABASES = """
import asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from benchmarks.common import POSTGRES
async def main():
    engine = create_async_engine(POSTGRES + "/postgres")
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT datname FROM pg_database"))
        print(" ".join(r[0] for r in rows))
    await engine.dispose()
asyncio.run(main())
"""


@pytest.mark.timeout(240)
@pytest.mark.parametrize("http", [False, True])
def test_the_in_process_dashboard_runs_and_answers_as_the_baseline(http: bool) -> None:
    """Not part of `make bench` (no FIGURE line): the before/after tool of the README."""
    require_server("PostgreSQL", "127.0.0.1", 5432)
    database = f"bench_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    argv = [
        *(sys.executable, "-m", "benchmarks.dashboard_inprocess", "--users", "2"),
        *("--reports-per-user", "20", "--requests", "5", "--rounds", "1"),
        *("--database", database, *(["--http"] if http else [])),
    ]
    done = subprocess.run(argv, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=220)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "same answer as the baseline: True" in done.stdout, output[-4000:]
    assert "baseline / API CPU per request" in done.stdout, output[-4000:]
    assert database not in _databases(), "the script left its scratch database behind"
