"""SQLite is tuned in one place (llm_service.db) for the API's engines and the LLM service's.

Each case runs against every engine either service opens: the API's writer and reader
(infra.db.engine) and the standalone LLM service's engine.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.engine import create_engines
from llm_service.db import SQLITE_BUSY_TIMEOUT_MS, create_db_engine, write_transaction


def _api_writer(url: str) -> AsyncEngine:
    return create_engines(url).writer


def _api_reader(url: str) -> AsyncEngine:
    return create_engines(url).reader


ENGINES: dict[str, Callable[[str], AsyncEngine]] = {
    "api-writer": _api_writer,
    "api-reader": _api_reader,
    "llm-service": create_db_engine,
}


@pytest.fixture(params=sorted(ENGINES))
async def sqlite_engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    path = tmp_path / "tuned.db"
    engine = ENGINES[request.param](f"sqlite+aiosqlite:///{path}")
    try:
        yield engine, path
    finally:
        await engine.dispose()


def _write_lock_is_free(path: Path) -> bool:
    """Whether another connection can take the write lock now, without waiting."""
    probe = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as locked:
        assert "database is locked" in str(locked)
        return False
    finally:
        probe.close()


async def test_every_engine_has_the_same_pragmas(sqlite_engine: tuple[AsyncEngine, Path]) -> None:
    engine, _ = sqlite_engine
    pragmas = ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
    async with engine.connect() as conn:
        values = [(await conn.execute(text(f"PRAGMA {p}"))).scalar_one() for p in pragmas]
    assert values == ["wal", SQLITE_BUSY_TIMEOUT_MS, 1, 1]  # synchronous=1 is NORMAL


async def test_a_write_transaction_takes_the_write_lock_when_it_begins(
    sqlite_engine: tuple[AsyncEngine, Path],
) -> None:
    engine, path = sqlite_engine
    async with write_transaction(engine):
        # Nothing written yet: BEGIN IMMEDIATE took the lock up front, so this writer
        # can never fail half-way with "database is locked" when it upgrades.
        assert not _write_lock_is_free(path)
    assert _write_lock_is_free(path)


async def test_a_task_cancelled_mid_statement_does_not_keep_the_write_lock(
    sqlite_engine: tuple[AsyncEngine, Path],
) -> None:
    """The flake of test_submit_and_cancel_across_processes_is_rate_limited, made certain.

    A job task cancelled at shutdown while it read through the API's writer (BEGIN
    IMMEDIATE) left its connection a zombie that kept the write lock while the
    cancelled statement's cursor was referenced: every later writer failed with
    "database is locked" after the busy timeout.
    """
    engine, path = sqlite_engine
    in_statement, finish_statement = threading.Event(), threading.Event()

    def slow_value() -> int:  # runs in the driver's thread, inside the SELECT
        in_statement.set()
        finish_statement.wait(5)
        return 1

    @event.listens_for(engine.sync_engine, "connect")
    def add_slow_value(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.run_async(lambda driver: driver.create_function("slow", 0, slow_value))

    async def read_in_a_write_transaction() -> None:
        async with write_transaction(engine) as conn:
            await conn.execute(text("SELECT slow() UNION ALL SELECT 2"))

    task = asyncio.create_task(read_in_a_write_transaction())
    assert await asyncio.to_thread(in_statement.wait, 5)
    task.cancel()
    finish_statement.set()
    # Kept, as a gather's result keeps it: the traceback holds the statement's cursor.
    outcome = await asyncio.gather(task, return_exceptions=True)
    assert isinstance(outcome[0], asyncio.CancelledError)

    assert _write_lock_is_free(path)
    async with write_transaction(engine) as conn:  # and the engine writes on
        await conn.execute(text("CREATE TABLE after_the_cancel (x INTEGER)"))
