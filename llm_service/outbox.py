"""Queries of the webhook outbox and its attempt records, used by the sender."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from llm_service.db import utcnow, write_transaction
from llm_service.tables import attempts_table, outbox_table

_o = outbox_table
_a = attempts_table

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
DELIVERY_STATUSES = (PENDING, DELIVERED, DEAD)


@dataclass(frozen=True)
class PendingWebhook:
    id: str
    job_id: str
    sequence: int
    payload: str
    webhook_url: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class AttemptRecord:
    """One POST of one delivery, as stored in llm_webhook_attempts."""

    delivery_id: str
    attempt: int
    started_at: datetime
    status: str  # delivered | failed | timeout | error
    status_code: int | None
    duration_ms: int
    next_attempt_at: datetime | None  # when it will be retried; None when it will not
    error_class: str | None


@dataclass(frozen=True)
class Settlement:
    """What an attempt leaves the delivery in: delivered, dead, or due again at `retry_at`."""

    record: AttemptRecord
    outcome: str  # DELIVERED | DEAD | PENDING
    error: str | None  # kept on the outbox row as last_error

    @property
    def retry_at(self) -> datetime | None:
        return self.record.next_attempt_at


@dataclass(frozen=True)
class DeliverySummary:
    """A job's webhooks by state, the attempts they took, and the latest attempt."""

    pending: int
    delivered: int
    dead: int
    attempts: int
    last_attempt: AttemptRecord | None


class OutboxStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def pending_heads(self, *, limit: int) -> list[PendingWebhook]:
        """For each job with pending webhooks, the one with the lowest sequence.

        Only a job's head may be sent, which keeps each job's events in order;
        heads of different jobs go out independently. Dead rows are not pending,
        so a dead head never blocks the events behind it.
        """
        earlier = _o.alias("earlier")
        head_sequence = (
            select(func.min(earlier.c.sequence))
            .where(earlier.c.job_id == _o.c.job_id, earlier.c.status == PENDING)
            .scalar_subquery()
        )
        stmt = (
            select(_o)
            .where(_o.c.status == PENDING, _o.c.sequence == head_sequence)
            .order_by(_o.c.next_attempt_at)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        return [
            PendingWebhook(
                id=r["id"],
                job_id=r["job_id"],
                sequence=r["sequence"],
                payload=r["payload"],
                webhook_url=r["webhook_url"],
                attempts=r["attempts"],
                next_attempt_at=r["next_attempt_at"],
                created_at=r["created_at"],
            )
            for r in rows
        ]

    async def claim_due(self, webhook_ids: Iterable[str], *, lease: timedelta) -> dict[str, int]:
        """Claims the rows still due, counting an attempt each: {id: attempt number}.

        A claimed row's next attempt moves `lease` ahead, out of reach of other
        senders (the condition is re-checked in the UPDATE, so only one wins);
        if its sender dies mid-request the row simply becomes due again.
        """
        ids = list(webhook_ids)
        if not ids:
            return {}
        now = utcnow()
        stmt = (
            update(_o)
            .where(_o.c.id.in_(ids), _o.c.status == PENDING, _o.c.next_attempt_at <= now)
            .values(attempts=_o.c.attempts + 1, next_attempt_at=now + lease)
            .returning(_o.c.id, _o.c.attempts)
        )
        async with write_transaction(self._engine) as conn:
            return {row.id: row.attempts for row in await conn.execute(stmt)}

    async def settle(self, settlements: Iterable[Settlement]) -> None:
        """Stores each attempt and the state it leaves its delivery in, in one transaction.

        The UPDATEs come first so that SQLite takes its write lock up front. A row
        deleted meanwhile (its job cleaned up) has no attempt left to record.
        """
        batch = list(settlements)
        if not batch:
            return
        async with write_transaction(self._engine) as conn:
            delivered = [s.record.delivery_id for s in batch if s.outcome == DELIVERED]
            if delivered:
                await _settle_rows(conn, delivered, status=DELIVERED, delivered_at=utcnow())
            for s in batch:
                if s.outcome != DELIVERED:
                    await _settle_rows(
                        conn,
                        [s.record.delivery_id],
                        status=s.outcome,
                        next_at=s.retry_at,
                        error=s.error,
                    )
            ids = [s.record.delivery_id for s in batch]
            present = set((await conn.execute(select(_o.c.id).where(_o.c.id.in_(ids)))).scalars())
            records = [_attempt_values(s.record) for s in batch if s.record.delivery_id in present]
            if records:
                await conn.execute(insert(_a), records)

    async def release(self, webhook_ids: Iterable[str]) -> None:
        """Makes claimed rows due now, for a sender stopping mid-delivery."""
        ids = list(webhook_ids)
        if not ids:
            return
        stmt = (
            update(_o)
            .where(_o.c.id.in_(ids), _o.c.status == PENDING)
            .values(next_attempt_at=utcnow())
        )
        async with write_transaction(self._engine) as conn:
            await conn.execute(stmt)

    async def attempts_of(self, delivery_id: str) -> list[AttemptRecord]:
        stmt = select(_a).where(_a.c.delivery_id == delivery_id).order_by(_a.c.attempt)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        return [AttemptRecord(**dict(r)) for r in rows]

    async def delivery_summary(self, job_id: str) -> DeliverySummary:
        by_status = (
            select(_o.c.status, func.count()).where(_o.c.job_id == job_id).group_by(_o.c.status)
        )
        of_job = _a.join(_o, _o.c.id == _a.c.delivery_id)
        total = select(func.count()).select_from(of_job).where(_o.c.job_id == job_id)
        latest = (
            select(_a)
            .select_from(of_job)
            .where(_o.c.job_id == job_id)
            .order_by(_a.c.started_at.desc(), _a.c.attempt.desc())
            .limit(1)
        )
        async with self._engine.connect() as conn:
            counts = {status: int(n) for status, n in await conn.execute(by_status)}
            attempts = int((await conn.execute(total)).scalar_one())
            last = (await conn.execute(latest)).mappings().first()
        return DeliverySummary(
            pending=counts.get(PENDING, 0),
            delivered=counts.get(DELIVERED, 0),
            dead=counts.get(DEAD, 0),
            attempts=attempts,
            last_attempt=AttemptRecord(**dict(last)) if last else None,
        )


async def _settle_rows(
    conn: AsyncConnection,
    ids: list[str],
    *,
    status: str,
    delivered_at: datetime | None = None,
    next_at: datetime | None = None,
    error: str | None = None,
) -> None:
    # Only a row still pending is settled: a duplicate sender's late answer changes nothing.
    stmt = (
        update(_o)
        .where(_o.c.id.in_(ids), _o.c.status == PENDING)
        .values(
            status=status,
            delivered_at=delivered_at,
            next_attempt_at=next_at,
            last_error=error[:1000] if error else None,
        )
    )
    await conn.execute(stmt)


def _attempt_values(record: AttemptRecord) -> dict[str, Any]:
    return {
        "delivery_id": record.delivery_id,
        "attempt": record.attempt,
        "started_at": record.started_at,
        "status": record.status,
        "status_code": record.status_code,
        "duration_ms": record.duration_ms,
        "next_attempt_at": record.next_attempt_at,
        "error_class": record.error_class,
    }
