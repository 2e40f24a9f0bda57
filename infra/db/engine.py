"""The API's database engines: a writer and a reader, SQLite tuned by llm_service.db."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from llm_service.db import create_private_sqlite_file, tune_sqlite


@dataclass(frozen=True)
class Engines:
    """`writer` for transactions that write, `reader` for reads.

    On SQLite the writer has one connection and begins every transaction with BEGIN
    IMMEDIATE (llm_service.db, shared with the LLM service); reads stay concurrent
    (WAL). On PostgreSQL both share one pool, and the reader runs each statement on
    its own (autocommit): no BEGIN and ROLLBACK round trips around every read.
    """

    writer: AsyncEngine
    reader: AsyncEngine
    reader_has_own_pool: bool = True

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader_has_own_pool:
            await self.reader.dispose()


# Connections older than this are replaced at checkout, before a server-side idle
# timeout or a failover can leave them half-open.
POOL_RECYCLE_SECONDS = 600
# PostgreSQL connections kept open per process, and how many more a burst may open (each
# closed when returned). With 10 kept, a burst of 50 subscribes spent 5% of its CPU
# connecting (benchmarks/README.md); settings DATABASE_POOL_SIZE / DATABASE_MAX_OVERFLOW.
DEFAULT_POOL_SIZE = 20
DEFAULT_MAX_OVERFLOW = 10


def create_engines(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = DEFAULT_POOL_SIZE,
    max_overflow: int = DEFAULT_MAX_OVERFLOW,
) -> Engines:
    if not url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=POOL_RECYCLE_SECONDS,
        )
        discard_closed_connections(engine)
        # Reads are single statements or, where one read runs two, need no common
        # snapshot (READ COMMITTED gives each statement its own anyway): a transaction
        # around them only added a BEGIN and a ROLLBACK, two of a read's three round
        # trips (benchmarks/README.md, "Changes made for speed").
        reader = engine.execution_options(isolation_level="AUTOCOMMIT")
        return Engines(engine, reader, reader_has_own_pool=False)
    create_private_sqlite_file(url)
    writer = create_async_engine(url, echo=echo, pool_size=1, max_overflow=0)
    reader = create_async_engine(url, echo=echo, pool_size=5, max_overflow=10)
    tune_sqlite(writer, immediate=True)
    tune_sqlite(reader, immediate=False)
    return Engines(writer, reader)


def discard_closed_connections(engine: AsyncEngine) -> None:
    """A pooled connection the server closed is replaced at checkout, without a round trip.

    In place of `pool_pre_ping`, which costs a `SELECT 1` per checkout (a round trip
    per read and per transaction: benchmarks/README.md, fix 3). A server that
    terminates a backend or shuts down closes its socket; asyncpg sees that as soon
    as the event loop reads the end of the stream, so `is_closed()` answers from
    memory. Raising DisconnectionError in a checkout handler makes the pool drop
    that connection and hand out another (SQLAlchemy's documented custom
    pessimistic check).
    """

    @event.listens_for(engine.sync_engine, "checkout")
    def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        is_closed = getattr(dbapi_connection.driver_connection, "is_closed", None)
        if is_closed is not None and is_closed():
            raise DisconnectionError("the server closed this pooled connection")
