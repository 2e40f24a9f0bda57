"""Shared fixtures: databases (SQLite always; PostgreSQL and Redis when reachable).

Under CI=true the PostgreSQL and Redis tests must run: an unreachable server is
a failure there, not a skip.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NoReturn

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.common import free_port as free_port  # re-exported: one rule for ports
from infra.db.engine import Engines, create_engines
from infra.db.migrate import upgrade_to_head

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"

# A test that hangs shows which of its awaits never returned.
pytest_plugins = ["tests.support.hang_report"]


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def skip_or_fail(message: str, tests: str) -> NoReturn:
    """Skips the test here; under CI=true, where the `tests` tests must run, fails it."""
    if IN_CI:
        pytest.fail(f"{message}; under CI=true the {tests} tests must run", pytrace=False)
    pytest.skip(message)


def require_server(name: str, host: str, port: int) -> None:
    if not _reachable(host, port):
        skip_or_fail(f"{name} is not reachable at {host}:{port}; start it to run these tests", name)


def _run_in_own_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    # Session fixtures may be first requested from inside a test's running loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


async def _admin(statement: str) -> None:
    engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def scratch_postgres_database(prefix: str) -> tuple[str, Callable[[], None]]:
    """A new, empty database of our own (so parallel test runs never share one)."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _run_in_own_loop(_admin(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        _run_in_own_loop(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name, drop


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    require_server("PostgreSQL", "127.0.0.1", 5432)
    url, drop = scratch_postgres_database("mp_test")
    yield url
    drop()


@pytest.fixture(scope="session")
def redis_url() -> str:
    require_server("Redis", "127.0.0.1", 6379)
    return REDIS_URL


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


_postgres_migrated: set[str] = set()


async def migrated_postgres_url(url: str) -> str:
    """The test database, rebuilt from the migrations once per session."""
    if url not in _postgres_migrated:
        await reset_postgres(url)
        result = create_engines(url)
        await upgrade_to_head(result.writer, with_llm_service=True)
        await result.dispose()
        _postgres_migrated.add(url)
    return url


class SqliteTemplates:
    """Migrated SQLite files, one per set of migration trees, made once per test process.

    A test's fresh SQLite database is a copy of one: running the migrations took about
    a second per test (their commits are fsynced), for over 200 tests. The migrations
    themselves are tested in tests/integration/test_migrations.py."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._made: dict[bool, Path] = {}

    async def fresh_database(self, path: Path, *, with_llm_service: bool) -> str:
        """A new database at `path`, at head; its URL."""
        template = self._made.get(with_llm_service)
        if template is None:
            template = self._directory / f"template-{int(with_llm_service)}.db"
            result = create_engines(f"sqlite+aiosqlite:///{template}")
            await upgrade_to_head(result.writer, with_llm_service=with_llm_service)
            await result.dispose()  # the last connection closed: no -wal file is left
            self._made[with_llm_service] = template
        shutil.copy(template, path)  # keeps its mode (0600, as create_engines makes it)
        return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    return SqliteTemplates(tmp_path_factory.mktemp("sqlite-templates"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_templates: SqliteTemplates
) -> str:
    """A migrated database: a fresh SQLite file, or the shared PostgreSQL test database.

    Both migration trees, as in the default deployment (the LLM service embedded)."""
    if request.param == "sqlite":
        return await sqlite_templates.fresh_database(tmp_path / "test.db", with_llm_service=True)
    url = await migrated_postgres_url(request.getfixturevalue("postgres_url"))
    await forget_unfinished_jobs(url)
    return url


async def forget_unfinished_jobs(url: str) -> None:
    """Drops the jobs and webhooks earlier tests left unfinished in the shared database.

    An API started on it resumes them (a stopping runner hands its jobs back): they
    would run, and be metered and delivered, inside this test, and fill its runner's
    slots. Which ones are left depends on which tests this process ran before."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM llm_workflow_jobs WHERE status IN ('queued', 'running')")
            )
            await conn.execute(text("DELETE FROM llm_webhook_outbox WHERE status = 'pending'"))
    finally:
        await engine.dispose()


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[Engines]:
    result = create_engines(database_url)
    yield result
    await result.dispose()
