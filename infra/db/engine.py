"""Database engines: SQLite tuned for concurrent writers, PostgreSQL via asyncpg."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


@dataclass(frozen=True)
class Engines:
    """`writer` for transactions that write, `reader` for reads.

    On SQLite a writer begins with BEGIN IMMEDIATE, so two writers queue on the
    busy timeout instead of failing with "database is locked" when a deferred
    transaction upgrades from reading to writing. Reads stay concurrent (WAL).
    On PostgreSQL both are the same engine.
    """

    writer: AsyncEngine
    reader: AsyncEngine

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def create_engines(url: str, *, echo: bool = False) -> Engines:
    if not url.startswith("sqlite"):
        engine = create_async_engine(
            url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True
        )
        return Engines(engine, engine)
    create_private_sqlite_file(url)
    writer = create_async_engine(url, echo=echo, pool_size=1, max_overflow=0)
    reader = create_async_engine(url, echo=echo, pool_size=5, max_overflow=10)
    _tune_sqlite(writer, immediate=True)
    _tune_sqlite(reader, immediate=False)
    return Engines(writer, reader)


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


def _tune_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
