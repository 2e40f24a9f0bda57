"""Queries of the webhook outbox, used by the sender."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from llm_service.db import utcnow, write_transaction
from llm_service.store import outbox_table

_o = outbox_table


@dataclass(frozen=True)
class PendingWebhook:
    id: str
    job_id: str
    sequence: int
    payload: str
    webhook_url: str
    attempts: int
    next_attempt_at: datetime


class OutboxStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def pending_heads(self, *, limit: int) -> list[PendingWebhook]:
        """For each job with undelivered webhooks, the one with the lowest sequence.

        Only a job's head may be sent, which keeps each job's events in order;
        heads of different jobs go out independently.
        """
        earlier = _o.alias("earlier")
        head_sequence = (
            select(func.min(earlier.c.sequence))
            .where(
                earlier.c.job_id == _o.c.job_id,
                earlier.c.delivered_at.is_(None),
                earlier.c.next_attempt_at.is_not(None),
            )
            .scalar_subquery()
        )
        stmt = (
            select(_o)
            .where(
                _o.c.delivered_at.is_(None),
                _o.c.next_attempt_at.is_not(None),
                _o.c.sequence == head_sequence,
            )
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
            )
            for r in rows
        ]

    async def claim_due(self, webhook_ids: Iterable[str], *, lease: timedelta) -> dict[str, int]:
        """Claims the rows still due, counting an attempt each: {id: attempts so far}.

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
            .where(
                _o.c.id.in_(ids),
                _o.c.delivered_at.is_(None),
                _o.c.next_attempt_at.is_not(None),
                _o.c.next_attempt_at <= now,
            )
            .values(attempts=_o.c.attempts + 1, next_attempt_at=now + lease)
            .returning(_o.c.id, _o.c.attempts)
        )
        async with write_transaction(self._engine) as conn:
            return {row.id: row.attempts for row in await conn.execute(stmt)}

    async def mark_delivered(self, webhook_ids: Iterable[str]) -> None:
        ids = list(webhook_ids)
        if not ids:
            return
        stmt = update(_o).where(_o.c.id.in_(ids)).values(delivered_at=utcnow(), last_error=None)
        async with write_transaction(self._engine) as conn:
            await conn.execute(stmt)

    async def schedule_retry(self, webhook_id: str, *, at: datetime, error: str) -> None:
        await self._update(webhook_id, next_attempt_at=at, last_error=error[:1000])

    async def give_up(self, webhook_id: str, *, error: str) -> None:
        await self._update(webhook_id, next_attempt_at=None, last_error=error[:1000])

    async def release(self, webhook_ids: Iterable[str]) -> None:
        """Makes claimed rows due now, for a sender stopping mid-delivery."""
        ids = list(webhook_ids)
        if not ids:
            return
        stmt = (
            update(_o)
            .where(
                _o.c.id.in_(ids),
                _o.c.delivered_at.is_(None),
                _o.c.next_attempt_at.is_not(None),
            )
            .values(next_attempt_at=utcnow())
        )
        async with write_transaction(self._engine) as conn:
            await conn.execute(stmt)

    async def _update(self, webhook_id: str, **values: object) -> None:
        async with write_transaction(self._engine) as conn:
            await conn.execute(update(_o).where(_o.c.id == webhook_id).values(**values))
