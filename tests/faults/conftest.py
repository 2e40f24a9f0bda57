"""Fault harness: real servers, and real outages of PostgreSQL and Redis, kept short.

The outages hit throwaway servers the harness starts for this session (see
servers.py): the machine's own PostgreSQL and Redis are never stopped, and a check
at the end of the session proves they were left exactly as they were.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

from tests.conftest import skip_or_fail
from tests.e2e.client import SUBMIT, WIZARD, graphql, request, ws_session
from tests.e2e.server import RunningServer
from tests.faults import machine_guard
from tests.faults.servers import ServerUnavailable, ThrowawayPostgres, ThrowawayRedis

StartServer = Callable[..., RunningServer]
Server = TypeVar("Server", ThrowawayPostgres, ThrowawayRedis)

# A server under test talks to nothing shared unless a test points it somewhere.
ISOLATED_ENV = {"DATABASE_URL": "", "LLM_DATABASE_URL": "", "BROADCAST_URL": "memory://"}


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
        server = RunningServer(directory, env_overrides={**ISOLATED_ENV, **env})
        if port is not None:
            server.port = port
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


# --- PostgreSQL and Redis of our own --------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _machine_servers_untouched() -> Iterator[None]:
    """The machine's PostgreSQL and Redis are in the same state after the run as before."""
    before = machine_guard.snapshot()
    yield
    changes = machine_guard.snapshot().changes_since(before)
    assert not changes, "the fault tests changed the machine's servers: " + "; ".join(changes)


def _own_server(create: Callable[[], Server], name: str) -> Server:
    try:
        return create()
    except ServerUnavailable as exc:
        missing = str(exc)
    skip_or_fail(f"no throwaway {name}: {missing}", f"{name} fault")


@pytest.fixture(scope="session")
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    cluster = _own_server(ThrowawayPostgres.create, "PostgreSQL")
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    server = _own_server(ThrowawayRedis.create, "Redis")
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def postgres_url(throwaway_postgres: ThrowawayPostgres) -> str:
    """Shadows the shared fixture: in here "the PostgreSQL test database" is ours."""
    throwaway_postgres.create_database("test")
    return throwaway_postgres.url("test", driver="postgresql+asyncpg")


@pytest.fixture(scope="session")
def redis_url(throwaway_redis: ThrowawayRedis) -> str:
    """Shadows the shared fixture: in here "the Redis server" is ours."""
    return throwaway_redis.url()


async def _admin(cluster: ThrowawayPostgres, statement: str, *args: Any) -> Any:
    conn = await asyncpg.connect(cluster.url(), timeout=10)
    try:
        return await conn.fetch(statement, *args)
    finally:
        await conn.close()


@asynccontextmanager
async def postgres_stopped(cluster: ThrowawayPostgres) -> AsyncIterator[None]:
    """Our cluster really stopped (`pg_ctl stop -m fast`) for the body's duration."""
    await asyncio.to_thread(cluster.stop, "fast")
    try:
        yield
    finally:
        await asyncio.to_thread(cluster.start)


@asynccontextmanager
async def redis_stopped(server: ThrowawayRedis) -> AsyncIterator[None]:
    """Our Redis killed (SIGKILL) for the body's duration, then started on the same port."""
    await asyncio.to_thread(server.kill)
    try:
        yield
    finally:
        await asyncio.to_thread(server.start)


async def terminate_postgres_backends(cluster: ThrowawayPostgres, database: str) -> int:
    """Kills every connection to `database` (the server keeps running)."""
    rows = await _admin(
        cluster,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        database,
    )
    return len(rows)


@pytest.fixture
async def dedicated_postgres(
    throwaway_postgres: ThrowawayPostgres,
) -> AsyncIterator[tuple[str, str]]:
    """(name, url) of a fresh database on our cluster, dropped afterwards."""
    name = f"faults_{uuid.uuid4().hex[:12]}"
    await _admin(throwaway_postgres, f'CREATE DATABASE "{name}"')
    try:
        yield name, throwaway_postgres.url(name)
    finally:
        if not throwaway_postgres.running():  # a test that failed mid-outage
            await asyncio.to_thread(throwaway_postgres.start)
        await _admin(throwaway_postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
