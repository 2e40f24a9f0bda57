"""A pooled PostgreSQL connection the server closed is never handed to a query.

The engines no longer ping at each checkout (a round trip per read and per
transaction); a connection the server terminated is replaced at checkout instead.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.engine import create_engines
from infra.db.read_queries import ReadQueries
from infra.db.uow import SqlUnitOfWork
from tests.conftest import migrated_postgres_url

pytestmark = pytest.mark.postgres


async def _pooled_backend_pids(engine: AsyncEngine, count: int) -> set[int]:
    """Opens `count` connections at once and returns them to the pool: their server pids."""
    ready = asyncio.Barrier(count)

    async def one() -> int:
        async with engine.connect() as conn:
            await ready.wait()  # all checked out together, so they are distinct
            return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())

    return set(await asyncio.gather(*(one() for _ in range(count))))


async def _terminate(url: str, pids: set[int]) -> None:
    admin = create_engines(url)
    try:
        async with admin.writer.connect() as conn:
            for pid in pids:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await admin.dispose()


async def _served_after_kill(postgres_url: str, use: str) -> None:
    engines = create_engines(postgres_url)
    try:
        # Every idle connection in the pool is killed by the server.
        await _terminate(postgres_url, await _pooled_backend_pids(engines.writer, 4))
        await asyncio.sleep(0.2)  # the loop reads each socket's end
        if use == "read":
            assert await ReadQueries(engines.reader).report("no-such-report") is None
        else:
            async with SqlUnitOfWork(engines.writer) as uow:
                assert await uow.reports.get("no-such-report") is None
                await uow.commit()
    finally:
        await engines.dispose()


@pytest.mark.parametrize("use", ["read", "unit-of-work"])
async def test_a_connection_the_server_terminated_is_replaced_not_used(
    postgres_url: str, use: str
) -> None:
    await _served_after_kill(await migrated_postgres_url(postgres_url), use)


async def test_reads_run_each_statement_on_its_own(postgres_url: str) -> None:
    """No BEGIN and ROLLBACK around a read: two statements see two transaction starts."""
    engines = create_engines(await migrated_postgres_url(postgres_url))
    try:
        async with engines.reader.connect() as conn:
            first = (await conn.execute(text("SELECT txid_current()"))).scalar_one()
            second = (await conn.execute(text("SELECT txid_current()"))).scalar_one()
        assert second != first
        async with engines.writer.connect() as conn:  # the writer's transactions stay whole
            first = (await conn.execute(text("SELECT txid_current()"))).scalar_one()
            second = (await conn.execute(text("SELECT txid_current()"))).scalar_one()
        assert second == first
    finally:
        await engines.dispose()


async def test_a_burst_waits_for_the_kept_connections_instead_of_opening_more(
    postgres_url: str,
) -> None:
    """Connections are capped by the pool settings, and the kept ones serve the next burst."""
    engines = create_engines(postgres_url, pool_size=3, max_overflow=0)

    async def backend_pid() -> int:
        async with engines.reader.connect() as conn:
            await asyncio.sleep(0.01)  # overlap the burst
            return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())

    try:
        first = set(await asyncio.gather(*(backend_pid() for _ in range(30))))
        second = set(await asyncio.gather(*(backend_pid() for _ in range(30))))
        assert len(first) <= 3
        assert second == first  # kept open and reused, not closed and reopened
    finally:
        await engines.dispose()
