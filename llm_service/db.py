"""Database engine for the standalone service and the UTC datetime column type."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import DateTime, Engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on every dialect.

    SQLite drops the offset and returns naive values; storing UTC only and
    re-attaching it on read keeps comparisons and arithmetic correct everywhere.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def create_db_engine(url: str) -> AsyncEngine:
    """An async engine; on SQLite with WAL and a busy timeout so concurrent writers wait."""
    parsed = make_url(url)
    if not parsed.get_backend_name() == "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        _create_private_file(Path(parsed.database))
    engine = create_async_engine(url)
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    return engine


def _create_private_file(path: Path) -> None:
    """The database file is made 0600 like the secrets (SQLite would make it 0644)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        # Safe with WAL (a power loss may lose the last commits, never corrupt the file).
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Off by default in SQLite; webhook attempts go with their outbox row by cascade.
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


_sqlite_write_locks: WeakKeyDictionary[Engine, asyncio.Lock] = WeakKeyDictionary()


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """`engine.begin()`, with this process's SQLite writers queued on an asyncio lock.

    SQLite allows one writer; when connections of one process race for it, the
    losers sleep in SQLite's busy handler (up to 100 ms per round), which costs
    far more than waiting in line on the event loop.
    """
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            yield conn
        return
    lock = _sqlite_write_locks.setdefault(engine.sync_engine, asyncio.Lock())
    async with lock, engine.begin() as conn:
        yield conn
