"""Helpers shared by the benchmark scripts: database, servers, load clients, figures.

Everything runs on loopback and every loop is bounded in count and in time. The
scripts print figures; they never assert (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from domain.workflow import WorkflowDefinition
from infra.db.engine import create_engines
from infra.db.migrate import upgrade_to_head

PROJECT_ROOT = Path(__file__).resolve().parents[1]
JWT_SECRET = "benchmark-jwt-secret-0123456789-0123456789"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"benchmark-webhook-secret-32bytes").decode()
LLM_API_SECRET = "benchmark-llm-api-secret"
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"
# Never dropped: other people's and the tests' databases.
PROTECTED_DATABASES = frozenset({"test", "postgres", "root", "template0", "template1"})
# The embedded LLM service pauses this long per step: submitted jobs stall in step one.
STALLED_STEP_DELAY_MS = str(24 * 3600 * 1000)
DEFINITION_FILE = PROJECT_ROOT / "llm_service/workflows/definitions/mission_generation.json"


def workflow_definition() -> WorkflowDefinition:
    """The mission_generation steps, from the LLM service's own definition file."""
    return WorkflowDefinition.from_dict(json.loads(DEFINITION_FILE.read_text()))


# ---------------------------------------------------------------- arguments


def parser(description: str, *, duration: float, clients: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--duration", type=float, default=duration, help="seconds per measurement")
    p.add_argument("--clients", type=int, default=clients, help="concurrent load connections")
    p.add_argument(
        "--database", default=f"bench_{os.getpid()}", help="PostgreSQL database to (re)create"
    )
    p.add_argument("--keep-db", action="store_true", help="leave the database for inspection")
    p.add_argument("--profile-dir", type=Path, help="record py-spy profiles of the API here")
    p.add_argument("--py-spy", default=_default_py_spy(), help="py-spy executable")
    p.add_argument(
        "--quiet-wait", type=float, default=0.0,
        help="wait up to this many seconds for other processes to leave the CPUs alone",
    )  # fmt: skip
    return p


def _default_py_spy() -> str | None:
    return shutil.which("py-spy") or next(
        (str(p) for p in [Path("/tmp/bench-tools/bin/py-spy")] if p.exists()), None
    )


# ---------------------------------------------------------------- database


def database_url(name: str) -> str:
    return f"{POSTGRES}/{name}"


async def recreate_database(name: str) -> str:
    """A fresh database with the app's migrations applied (both trees, as when the
    LLM service is embedded); returns its URL."""
    await _admin(f'DROP DATABASE IF EXISTS "{checked_name(name)}" WITH (FORCE)')
    await _admin(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    engines = create_engines(url)
    try:
        await upgrade_to_head(engines.writer, with_llm_service=True)
    finally:
        await engines.dispose()
    return url


async def create_empty_database(name: str) -> str:
    """A fresh database with no tables (for a service that migrates its own); its URL."""
    await _admin(f'DROP DATABASE IF EXISTS "{checked_name(name)}" WITH (FORCE)')
    await _admin(f'CREATE DATABASE "{name}"')
    return database_url(name)


async def drop_database(name: str) -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{checked_name(name)}" WITH (FORCE)')


def checked_name(name: str) -> str:
    if name in PROTECTED_DATABASES or not name.isidentifier():
        raise SystemExit(f"refusing to drop or create database {name!r}")
    return name


async def _admin(statement: str) -> None:
    engine = create_async_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


# ---------------------------------------------------------------- servers


def free_port() -> int:
    """A loopback port that is free now, for a server started next.

    The test suite runs these servers from several pytest-xdist workers at once, and a
    port is only taken when the server binds it: a worker keeps to ports of its own
    residue class (port % workers == its index), so two workers never pick the same one
    in between. Outside xdist every port qualifies.
    """
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    mine = (int(worker) if worker.isdigit() else 0) % workers
    port = 0
    for _ in range(64 * workers):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port % workers == mine:
            break
    return port


@dataclass
class Server:
    """A server in a child process, on a free loopback port."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    health_path: str = "/healthz"
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60.0) -> Server:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                if httpx.get(self.base_url + self.health_path, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not start in {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def api_server(workdir: Path, database: str, **env: str) -> Server:
    """`python -m graph.serve`, the way production runs it, with known secrets."""
    port = free_port()
    full_env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATA_DIR": str(workdir / "api-data"),
        "DATABASE_URL": database,
        "AUTH_JWT_SECRET": JWT_SECRET,
        "LLM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LLM_SERVICE_API_SECRET": LLM_API_SECRET,
        "LOG_LEVEL": "warning",  # no access log line per request, for both servers
        "SWEEP_INTERVAL_SECONDS": "3600",
        **env,
    }
    argv = [sys.executable, "-m", "graph.serve"]
    return Server("api", argv, full_env, port, workdir / f"api-{port}.log")


def baseline_server(workdir: Path, app: str, health_path: str, **env: str) -> Server:
    """A bare app under uvicorn with the API's server settings (no deflate, same caps)."""
    port = free_port()
    argv = [
        *(sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)),
        *("--ws-per-message-deflate", "false", "--ws-max-size", "65536"),
        *("--log-level", "warning"),
    ]
    full_env = {**os.environ, **env}
    return Server("baseline", argv, full_env, port, workdir / f"baseline-{port}.log", health_path)


# ---------------------------------------------------------------- figures


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        print(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if index == 0:
            print("  ".join("-" * w for w in widths))


def run(main: Callable[[], Coroutine[Any, Any, None]], budget_seconds: float = 900) -> None:
    """Runs `main` so that SIGTERM, Ctrl-C or the time budget still stop every server."""

    async def guarded() -> None:
        task = asyncio.current_task()
        assert task is not None
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, task.cancel)
        await asyncio.wait_for(main(), budget_seconds)

    try:
        asyncio.run(guarded())
    except asyncio.CancelledError:
        sys.exit("stopped")


def print_machine_note() -> None:
    print(
        f"machine: {os.cpu_count()} CPUs, python {sys.version.split()[0]}; the load "
        "generator runs in this process, on the same CPUs as the servers and PostgreSQL"
    )


async def settle(done: Callable[[], bool], seconds: float, step: float = 0.05) -> bool:
    """Polls `done` for up to `seconds` (a bounded loop); returns its last answer."""
    for _ in range(max(1, int(seconds / step))):
        if done():
            return True
        await asyncio.sleep(step)
    return done()


# ---------------------------------------------------------------- the figure line

FIGURE_PREFIX = "FIGURE "


def print_figure(
    figure: str, *, api: str, baseline: str, ratio: str, target: str, met: bool | None
) -> None:
    """One machine-readable line per figure, which `benchmarks.run_all` collects into its table.

    `met` is None when the run could not tell (e.g. no frame arrived).
    """
    verdict = "?" if met is None else ("yes" if met else "no")
    fields = {"figure": figure, "api": api, "baseline": baseline, "ratio": ratio}
    print(FIGURE_PREFIX + json.dumps({**fields, "target": target, "met": verdict}), flush=True)


def parse_figures(output: str) -> list[dict[str, str]]:
    return [
        json.loads(line[len(FIGURE_PREFIX) :])
        for line in output.splitlines()
        if line.startswith(FIGURE_PREFIX)
    ]


def callgrind(state: str) -> None:
    """Under `valgrind --tool=callgrind --instr-atstart=no` with BENCH_CALLGRIND=1, count
    only what lies between "on" and "off": instruction counts repeat where CPU time on a
    shared machine does not."""
    if os.environ.get("BENCH_CALLGRIND"):
        subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True)
