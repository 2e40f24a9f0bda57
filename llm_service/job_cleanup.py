"""The LLM service's admin cleanup: finished jobs and settled outbox rows past an age."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from llm_service.db import write_transaction
from llm_service.tables import TERMINAL_STATUSES, jobs_table, outbox_table


async def cleanup_jobs(
    engine: AsyncEngine, *, statuses: Iterable[str], older_than: datetime, dry_run: bool
) -> CleanupCounts:
    """Deletes finished jobs created before `older_than` and their outbox rows, at once.

    A job whose webhook is still being delivered stays until the delivery settles:
    without it its report would never learn the outcome. Settled outbox rows of
    that age whose job is already gone (cancelled and deleted) go too.
    """
    doomed = _cleanup_candidates(statuses, older_than)
    orphaned = (
        outbox_table.c.created_at < older_than,
        ~_pending_delivery(),
        ~select(jobs_table.c.id).where(jobs_table.c.id == outbox_table.c.job_id).exists(),
    )
    if dry_run:
        of_doomed = outbox_table.c.job_id.in_(select(jobs_table.c.id).where(*doomed))
        async with engine.connect() as conn:
            jobs = await _count(conn, jobs_table, *doomed)
            deliveries = await _count(conn, outbox_table, of_doomed)
            deliveries += await _count(conn, outbox_table, *orphaned)
        return CleanupCounts(jobs, 0, deliveries, 0)
    async with write_transaction(engine) as conn:
        deleted = delete(jobs_table).where(*doomed).returning(jobs_table.c.id)
        job_ids = list((await conn.execute(deleted)).scalars())
        deliveries = 0
        for start in range(0, len(job_ids), _DELETE_CHUNK):
            chunk = job_ids[start : start + _DELETE_CHUNK]
            stmt = delete(outbox_table).where(outbox_table.c.job_id.in_(chunk))
            deliveries += (await conn.execute(stmt)).rowcount
        deliveries += (await conn.execute(delete(outbox_table).where(*orphaned))).rowcount
    return CleanupCounts(len(job_ids), len(job_ids), deliveries, deliveries)


@dataclass(frozen=True)
class CleanupCounts:
    matched: int
    deleted: int
    deliveries_matched: int
    deliveries_deleted: int


# Bound on the ids in one `IN (...)`: SQLite limits a statement's parameters.
_DELETE_CHUNK = 500


def _pending_delivery() -> Any:
    """The outbox row still has to go out (not delivered, not given up)."""
    return and_(outbox_table.c.delivered_at.is_(None), outbox_table.c.next_attempt_at.is_not(None))


def _cleanup_candidates(statuses: Iterable[str], older_than: datetime) -> tuple[Any, ...]:
    still_delivering = (
        select(outbox_table.c.id)
        .where(outbox_table.c.job_id == jobs_table.c.id, _pending_delivery())
        .exists()
    )
    finished = [s for s in statuses if s in TERMINAL_STATUSES]  # never an active job
    return (
        jobs_table.c.status.in_(finished),
        jobs_table.c.created_at < older_than,
        ~still_delivering,
    )


async def _count(conn: AsyncConnection, table: Table, *where: Any) -> int:
    query = select(func.count()).select_from(table).where(*where)
    return int((await conn.execute(query)).scalar_one())
