"""The SQL plumbing both services share: the UTC column type, URLs, SQLite's tuning.

Shared, and here: the API embeds the LLM service and already depends on it, while the
LLM service must stay deployable on its own and never imports the API's `infra`. So
the one copy lives on the side that depends on nothing; `infra.db.engine`,
`infra.db.tables` and `infra.settings` import it. Only SQLAlchemy is needed, no other
part of either service.

Database URLs as hosts hand them out (`postgres://`, `sqlite:///`) get the async drivers
here, for both (`async_driver_url`).

SQLite, decided once for both:
- WAL, so reads go on while one connection writes; `synchronous=NORMAL` (safe with WAL:
  a power loss may lose the last commits, never corrupt the file); foreign keys on.
- Every write transaction begins with BEGIN IMMEDIATE: it takes the write lock up front
  and waits on the busy timeout, instead of failing with "database is locked" when a
  deferred transaction upgrades from reading to writing.
- Writers of one process queue on an asyncio lock (`write_transaction`), not in SQLite's
  busy handler, which sleeps up to 100 ms a round.
- A connection is rolled back before it is closed (see `_roll_back_before_close`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import DateTime, Engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_

log = logging.getLogger(__name__)

# How long a writer waits for another process's write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 10_000
# The connection option that makes a transaction begin with BEGIN IMMEDIATE.
_IMMEDIATE = "sqlite_begin_immediate"


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
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if not isinstance(value, datetime):
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def async_driver_url(url: str) -> str:
    """`postgres://` and `sqlite:///` URLs (as hosts hand them out) with the async drivers."""
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url.removeprefix(plain)
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


def create_db_engine(url: str) -> AsyncEngine:
    """The standalone service's engine: one for reads and writes, SQLite tuned as above."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    create_private_sqlite_file(url)
    engine = create_async_engine(url)
    tune_sqlite(engine, immediate=False)
    return engine


def create_private_sqlite_file(url: str) -> None:
    """Create the database file 0600, as the secrets are, before SQLite makes it 0644.

    SQLite gives its -wal and -shm files the database file's mode, so they follow.
    An existing file keeps its mode: the operator may have chosen it.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def tune_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    """The SQLite settings of every engine of both services.

    `immediate`: every transaction of this engine begins IMMEDIATE (an engine kept for
    writing); otherwise only those of `write_transaction` do.
    """
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Off by default in SQLite; webhook attempts go with their outbox row by cascade.
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        begin_immediate = immediate or connection.get_execution_options().get(_IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if begin_immediate else "BEGIN")

    event.listen(sync_engine.pool, "close", _roll_back_before_close)


def _roll_back_before_close(dbapi_connection: Any, _record: Any) -> None:
    """Ends the connection's transaction before SQLAlchemy closes the connection.

    A task cancelled mid-statement (a job or the webhook sender at shutdown) makes
    SQLAlchemy invalidate and close its connection. Python's sqlite3 `close()` does
    not roll back while a cursor of the cancelled statement is still referenced (by the
    traceback, say): the connection lingers as a zombie that keeps its transaction, and
    the write lock BEGIN IMMEDIATE took, until the cursor is garbage-collected. Every
    other writer, in this process or another, then waits out the busy timeout and fails
    with "database is locked". A ROLLBACK ends the transaction whatever cursors remain.
    """
    driver_connection = getattr(dbapi_connection, "driver_connection", None)
    if driver_connection is None:
        return
    try:
        # Shielded: a second cancellation must not cut the rollback short either.
        await_(asyncio.shield(driver_connection.rollback()))
    except Exception:  # closing anyway; outside a greenlet (garbage collection) it cannot run
        log.debug("no rollback before closing a SQLite connection", exc_info=True)


_sqlite_write_locks: WeakKeyDictionary[Engine, asyncio.Lock] = WeakKeyDictionary()


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """`engine.begin()`; on SQLite with BEGIN IMMEDIATE, queued on this process's lock.

    SQLite allows one writer; when connections of one process race for it, the
    losers sleep in SQLite's busy handler (up to 100 ms per round), which costs
    far more than waiting in line on the event loop.
    """
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            yield conn
        return
    lock = _sqlite_write_locks.setdefault(engine.sync_engine, asyncio.Lock())
    async with lock, engine.connect() as conn:
        await conn.execution_options(**{_IMMEDIATE: True})
        async with conn.begin():
            yield conn


# SQLSTATE prefixes worth another try: connection exceptions (08), the server shutting
# down or starting up (57P01-57P03), serialization failures and deadlocks (40001, 40P01).
_TRANSIENT_SQLSTATES = ("08", "57P01", "57P02", "57P03", "40001", "40P01")


def is_transient_db_error(exc: BaseException) -> bool:
    """A refused or lost database connection (or a busy SQLite): worth another try."""
    if isinstance(exc, OSError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(_TRANSIENT_SQLSTATES)
