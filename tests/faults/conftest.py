"""Fault harness: real servers, and real outages of PostgreSQL and Redis, kept short.

Every outage restarts the service in a `finally` and waits until it accepts
connections again: the rest of the suite, and anyone else on this machine,
depends on both. A file lock keeps two runs of this folder from overlapping
their outages.
"""

from __future__ import annotations

import asyncio
import fcntl
import inspect
import os
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis

from tests.e2e.client import SUBMIT, WIZARD, graphql, request, ws_session
from tests.e2e.server import RunningServer

StartServer = Callable[..., RunningServer]

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
OUTAGE_LOCK = Path("/tmp/mission-planner-faults.lock")
READY_TIMEOUT_SECONDS = 60.0

REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
    "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no",
    "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


def new_user() -> str:
    return f"faults-{uuid.uuid4().hex[:10]}"


def log_tail(server: RunningServer, chars: int = 4000) -> str:
    return server.log_text()[-chars:]


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc (psutil is not installed)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def poll(
    probe: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = "condition"
) -> Any:
    """Calls (and awaits) `probe()` until it gives something truthy; errors mean "not yet"."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = probe()
            if inspect.isawaitable(value):
                value = await value
        except Exception as exc:
            value, last_error = None, exc
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{what} not met in {timeout:g}s (last error: {last_error!r})")
        await asyncio.sleep(interval)


async def submit_plan(server: RunningServer, token: str, **overrides: Any) -> str:
    body = await graphql(server, token, SUBMIT, {"input": {**WIZARD, **overrides}})
    result = body["data"]["submitMissionPlan"]
    assert result["__typename"] == "SubmitMissionPlanSuccess", body
    return str(result["report"]["id"])


# --- servers -----------------------------------------------------------------------------


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Starts `python -m graph.serve` with env overrides; every one is stopped at teardown."""
    started: list[RunningServer] = []

    def start(data_dir: Path | None = None, port: int | None = None, **env: str) -> RunningServer:
        directory = data_dir or tmp_path / f"data-{len(started)}"
        directory.mkdir(parents=True, exist_ok=True)
        server = RunningServer(directory, env_overrides=env)
        if port is not None:
            server.port = port
        started.append(server)
        return server.start(timeout=60)

    yield start
    for server in started:
        server.stop()


# --- PostgreSQL and Redis ------------------------------------------------------------------


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def _services_up_again_at_the_end() -> Iterator[None]:
    """A last line of defence: whatever went wrong in here, both servers are left running."""
    were_up = {"pg": _listening(PG_HOST, PG_PORT), "redis": _listening(REDIS_HOST, REDIS_PORT)}
    yield
    if were_up["pg"] and not _listening(PG_HOST, PG_PORT):
        _run([*_pg_cluster(), "start"])
    if were_up["redis"] and not _listening(REDIS_HOST, REDIS_PORT):
        _run(REDIS_START)


def _pg_cluster() -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


async def wait_postgres_ready(timeout: float = READY_TIMEOUT_SECONDS) -> None:
    async def accepts() -> bool:
        conn = await asyncpg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", database="postgres", timeout=2
        )
        await conn.close()
        return True

    await poll(accepts, timeout=timeout, interval=0.1, what="PostgreSQL accepting connections")


async def wait_redis_ready(timeout: float = READY_TIMEOUT_SECONDS) -> None:
    async def accepts() -> bool:
        client = aioredis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=2)
        try:
            return bool(await client.ping())
        finally:
            await client.aclose()

    await poll(accepts, timeout=timeout, interval=0.1, what="Redis accepting connections")


@contextmanager
def _outage_lock() -> Iterator[None]:
    with OUTAGE_LOCK.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@asynccontextmanager
async def postgres_stopped() -> AsyncIterator[None]:
    """PostgreSQL really stopped (`pg_ctlcluster ... stop -m fast`) for the body's duration."""
    with _outage_lock():
        try:
            stopped = await asyncio.to_thread(_run, [*_pg_cluster(), "stop", "-m", "fast"])
            assert stopped.returncode == 0, stopped.stderr
            yield
        finally:
            await asyncio.to_thread(_run, [*_pg_cluster(), "start"])
            await wait_postgres_ready()


@asynccontextmanager
async def redis_stopped() -> AsyncIterator[None]:
    """Redis really shut down (`redis-cli shutdown nosave`) for the body's duration."""
    with _outage_lock():
        try:
            down = await asyncio.to_thread(
                _run, ["redis-cli", "-h", REDIS_HOST, "-p", str(REDIS_PORT), "shutdown", "nosave"]
            )
            # redis-cli reports the closed connection of a successful shutdown as an error.
            assert "ERR" not in down.stdout + down.stderr, down.stdout + down.stderr
            yield
        finally:
            await asyncio.to_thread(_run, REDIS_START)
            await wait_redis_ready()


async def terminate_postgres_backends(database: str) -> int:
    """Kills every connection to `database` (the server keeps running)."""
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="postgres")
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await conn.close()
    return len(rows)


@pytest.fixture
async def dedicated_postgres(postgres_url: str) -> AsyncIterator[tuple[str, str]]:
    """(name, url) of a fresh database of our own, dropped afterwards: `test` stays untouched."""
    name = f"faults_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield name, f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        await wait_postgres_ready()
        admin = await asyncpg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", database="postgres"
        )
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def pg_fetch(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url, timeout=5)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


# --- subscribers ---------------------------------------------------------------------------

EVENT_FIELDS = """
    __typename
    ... on MissionProgressEvent { sequence reportId occurredAt progress { stepId percentage } }
    ... on MissionCompletedEvent { sequence reportId occurredAt report { status } }
    ... on MissionFailedEvent { sequence reportId occurredAt error { code } }
    ... on MissionCancelledEvent { sequence reportId occurredAt }
    ... on NotificationEvent { sequence reportId occurredAt }
"""
MISSION_EVENTS_QUERY = (
    "subscription($id: ID!, $after: Int) { missionEvents(reportId: $id, afterSequence: $after) {"
    + EVENT_FIELDS
    + "} }"
)
MY_EVENTS_QUERY = "subscription { myMissionEvents {" + EVENT_FIELDS + "} }"


class Collector:
    """Runs one gql subscription in a task and keeps what arrives, with arrival times."""

    running: list[Collector] = []  # cancelled after each test (see `_stop_collectors`)

    def __init__(self, server: RunningServer, token: str, query: str, **variables: Any) -> None:
        Collector.running.append(self)
        self.events: list[dict[str, Any]] = []
        self.arrived: list[float] = []
        self.error: BaseException | None = None
        self.task = asyncio.create_task(self._run(server, token, query, variables))

    async def _run(
        self, server: RunningServer, token: str, query: str, variables: dict[str, Any]
    ) -> None:
        try:
            async with ws_session(server, token) as session:
                async for item in session.subscribe(request(query, **variables)):
                    self.events.append(next(iter(item.values())))
                    self.arrived.append(time.time())
        except Exception as exc:  # a killed server ends the stream with a transport error
            self.error = exc

    def of(self, report_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["reportId"] == report_id]

    def has(self, report_id: str, typename: str) -> bool:
        return any(e["__typename"] == typename for e in self.of(report_id))

    async def finished(self, timeout: float) -> list[dict[str, Any]]:
        await asyncio.wait_for(asyncio.shield(self.task), timeout)
        return self.events

    async def cancel(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@pytest.fixture(autouse=True)
async def _stop_collectors() -> AsyncIterator[None]:
    yield
    while Collector.running:
        await Collector.running.pop().cancel()


def assert_ends_with_the_completion(events: list[dict[str, Any]]) -> None:
    """A missionEvents stream ends with the completion and the notification written with it."""
    assert [e["__typename"] for e in events[-2:]] == [
        "MissionCompletedEvent",
        "NotificationEvent",
    ], events
    assert events[-2]["report"]["status"] == "COMPLETED"


def assert_in_order_without_gaps(events: list[dict[str, Any]]) -> None:
    """Each event follows the previous one by exactly one sequence: none lost, none twice."""
    sequences = [e["sequence"] for e in events]
    assert sequences, "no events"
    expected = list(range(sequences[0], sequences[0] + len(sequences)))
    assert sequences == expected, f"sequences {sequences}"
