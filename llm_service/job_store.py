"""The job repository of the LLM service: all SQL about jobs and their outbox rows.

Every state change of a job and the outbox row of its webhook are written in one
short transaction that starts with the write (UPDATE ... RETURNING), so SQLite
takes its write lock up front and waits on the busy timeout instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from llm_service.db import utcnow, write_transaction
from llm_service.job_cleanup import CleanupCounts, cleanup_jobs
from llm_service.tables import (
    ACTIVE_STATUSES,
    CANCELLED,
    QUEUED,
    jobs_table,
    outbox_table,
)
from llm_service.usage import with_live_usage
from llm_service.webhook_body import webhook_body, webhook_id


@dataclass(frozen=True)
class JobRecord:
    id: str
    workflow_name: str
    status: str
    current_step_id: str | None
    steps: dict[str, str]
    progress: float
    input_data: dict[str, Any]
    metadata: dict[str, Any]
    webhook_url: str | None
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    usage: dict[str, Any] | None
    live_usage: dict[str, Any] | None
    last_sequence: int
    attempts: int
    runner_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> JobRecord:
        m = row._mapping
        return cls(
            id=m["id"],
            workflow_name=m["workflow_name"],
            status=m["status"],
            current_step_id=m["current_step_id"],
            steps=dict(m["steps"] or {}),
            progress=float(m["progress"]),
            input_data=m["input_data"],
            metadata=m["job_metadata"] or {},
            webhook_url=m["webhook_url"],
            result=m["result"],
            error=m["error"],
            usage=m["usage"],
            live_usage=m["live_usage"],
            last_sequence=m["last_sequence"],
            attempts=m["attempts"],
            runner_id=m["runner_id"],
            created_at=m["created_at"],
            updated_at=m["updated_at"],
        )


@dataclass(frozen=True)
class NewJob:
    id: str
    workflow_name: str
    step_ids: tuple[str, ...]
    input_data: dict[str, Any]
    metadata: dict[str, Any]
    webhook_url: str | None


class JobStore:
    """All SQL about jobs; `on_outbox_write` is called after each commit that queued a webhook."""

    def __init__(self, engine: AsyncEngine, *, on_outbox_write: Callable[[], None]) -> None:
        self._engine = engine
        self._on_outbox_write = on_outbox_write

    async def create_job(self, job: NewJob, *, runner_id: str) -> JobRecord:
        now = utcnow()
        values = {
            "id": job.id,
            "workflow_name": job.workflow_name,
            "status": QUEUED,
            "current_step_id": None,
            "steps": dict.fromkeys(job.step_ids, "pending"),
            "progress": 0.0,
            "input_data": job.input_data,
            "job_metadata": job.metadata,
            "webhook_url": job.webhook_url,
            "last_sequence": 0,
            "attempts": 1,
            "runner_id": runner_id,
            "heartbeat_at": now,
            "created_at": now,
            "updated_at": now,
        }
        async with write_transaction(self._engine) as conn:
            await conn.execute(insert(jobs_table).values(**values))
        record = await self.get_job(job.id)
        assert record is not None
        return record

    async def get_job(self, job_id: str) -> JobRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(jobs_table).where(jobs_table.c.id == job_id))).first()
        return JobRecord.from_row(row) if row is not None else None

    async def record_event(
        self,
        job_id: str,
        event_type: str,
        data: Mapping[str, Any],
        changes: Mapping[str, Any],
        *,
        runner_id: str,
    ) -> int | None:
        """Applies `changes` to an active job owned by `runner_id` and queues its webhook.

        Returns the event's sequence, or None when the job is gone, finished or
        owned by another runner: the caller has lost the job and must stop.
        """
        async with write_transaction(self._engine) as conn:
            sequence = await _append_event(conn, job_id, event_type, data, changes, owner=runner_id)
        if sequence is not None:
            self._on_outbox_write()
        return sequence

    async def save_usage(self, job_id: str, changes: Mapping[str, Any], *, runner_id: str) -> bool:
        """Writes `usage` / `live_usage` of an active job `runner_id` owns, with no event.

        For what no event carries: the checkpoint as a model call starts, and the usage
        of a run being cancelled (the cancellation's own event then reports it).
        """
        allowed = {key: changes[key] for key in ("usage", "live_usage") if key in changes}
        stmt = (
            update(jobs_table)
            .where(
                jobs_table.c.id == job_id,
                jobs_table.c.runner_id == runner_id,
                jobs_table.c.status.in_(ACTIVE_STATUSES),
            )
            .values(**allowed, heartbeat_at=utcnow())
        )
        async with write_transaction(self._engine) as conn:
            return (await conn.execute(stmt)).rowcount == 1

    async def cancel_and_delete(self, job_id: str) -> bool:
        """Sends `workflow.cancelled` if the job was still active, then deletes it."""
        async with write_transaction(self._engine) as conn:
            sequence = await _append_event(
                conn,
                job_id,
                "workflow.cancelled",
                {},
                {"status": CANCELLED},
                owner=None,
                with_usage=True,
            )
            result = await conn.execute(delete(jobs_table).where(jobs_table.c.id == job_id))
        if sequence is not None:
            self._on_outbox_write()
        return result.rowcount > 0

    async def claim_stale_jobs(self, *, runner_id: str, stale_before: datetime) -> list[str]:
        """Takes over active jobs whose runner released them or stopped heart-beating.

        Each takeover counts as an attempt (`release_jobs` gives its count back), and
        the model call the last run had in flight, if any, is added to the job's usage.
        """
        stale = (
            jobs_table.c.status.in_(ACTIVE_STATUSES),
            or_(jobs_table.c.heartbeat_at.is_(None), jobs_table.c.heartbeat_at < stale_before),
        )
        async with self._engine.connect() as conn:
            candidates = (await conn.execute(select(jobs_table.c.id).where(*stale))).scalars().all()
        claimed = []
        for job_id in candidates:
            async with write_transaction(self._engine) as conn:
                if await _claim(conn, job_id, stale, runner_id):
                    claimed.append(job_id)
        return claimed

    async def heartbeat(self, job_ids: Iterable[str], *, runner_id: str) -> None:
        ids = list(job_ids)
        if not ids:
            return
        stmt = (
            update(jobs_table)
            .where(jobs_table.c.id.in_(ids), jobs_table.c.runner_id == runner_id)
            .values(heartbeat_at=utcnow())
        )
        async with write_transaction(self._engine) as conn:
            await conn.execute(stmt)

    async def release_jobs(self, job_ids: Iterable[str], *, runner_id: str) -> None:
        """Hands unfinished jobs back at shutdown so the next start resumes them at once.

        A run stopped by a shutdown did not fail: its attempt is given back.
        """
        ids = list(job_ids)
        if not ids:
            return
        stmt = (
            update(jobs_table)
            .where(
                jobs_table.c.id.in_(ids),
                jobs_table.c.runner_id == runner_id,
                jobs_table.c.status.in_(ACTIVE_STATUSES),
            )
            .values(runner_id=None, heartbeat_at=None, attempts=jobs_table.c.attempts - 1)
        )
        async with write_transaction(self._engine) as conn:
            await conn.execute(stmt)

    async def cleanup(
        self, *, statuses: Iterable[str], older_than: datetime, dry_run: bool
    ) -> CleanupCounts:
        """Deletes finished jobs created before `older_than` and their outbox rows."""
        return await cleanup_jobs(
            self._engine, statuses=statuses, older_than=older_than, dry_run=dry_run
        )


async def _claim(
    conn: AsyncConnection, job_id: str, stale: tuple[Any, ...], runner_id: str
) -> bool:
    """Takes one stale job over, adding its checkpointed call to its usage.

    Re-checked under the row lock: another runner may have claimed it since the
    SELECT. The checkpoint is cleared in the same transaction, so however often a
    takeover is tried, the dead run's call is counted once.
    """
    query = (
        select(jobs_table.c.usage, jobs_table.c.live_usage)
        .where(jobs_table.c.id == job_id, *stale)
        .with_for_update()
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return False
    usage, live = row
    stmt = (
        update(jobs_table)
        .where(jobs_table.c.id == job_id, *stale)
        .values(
            runner_id=runner_id,
            heartbeat_at=utcnow(),
            status=QUEUED,
            attempts=jobs_table.c.attempts + 1,
            usage=with_live_usage(usage, live),
            live_usage=None,
        )
    )
    return bool((await conn.execute(stmt)).rowcount == 1)


async def _append_event(
    conn: AsyncConnection,
    job_id: str,
    event_type: str,
    data: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    owner: str | None,
    with_usage: bool = False,
) -> int | None:
    """`with_usage`: the webhook's data carries the job's stored usage, when it has some,
    with the call in flight added (a job cancelled while another instance streams it)."""
    now = utcnow()
    stmt = update(jobs_table).where(
        jobs_table.c.id == job_id, jobs_table.c.status.in_(ACTIVE_STATUSES)
    )
    if owner is not None:
        stmt = stmt.where(jobs_table.c.runner_id == owner)
        changes = {**changes, "heartbeat_at": now}
    stmt = stmt.values(
        **changes, last_sequence=jobs_table.c.last_sequence + 1, updated_at=now
    ).returning(
        jobs_table.c.last_sequence,
        jobs_table.c.workflow_name,
        jobs_table.c.job_metadata,
        jobs_table.c.webhook_url,
        jobs_table.c.usage,
        jobs_table.c.live_usage,
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    sequence, workflow_name, job_metadata, url, usage, live = row
    usage = with_live_usage(usage, live) if with_usage else None
    if usage:
        data = {**data, "usage": usage}
    if url:
        payload = webhook_body(
            event_type=event_type,
            job_id=job_id,
            workflow_name=workflow_name,
            sequence=sequence,
            occurred_at=now,
            metadata=job_metadata,
            data=data,
        )
        await conn.execute(
            insert(outbox_table).values(
                id=webhook_id(job_id, sequence),
                job_id=job_id,
                sequence=sequence,
                event_type=event_type,
                payload=payload,
                webhook_url=url,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return int(sequence)
