"""Group commit: concurrent webhooks applied in one transaction, each answered after it.

A webhook's cost is mostly its transaction (benchmarks/README.md, fix 4), and most
of a transaction's cost is per transaction, not per row: the pool checkout, BEGIN,
COMMIT and its flush to disk. So webhooks that arrive while a transaction is being
written wait for it to finish and then go together in the next one. The first
webhook on an idle process goes alone, at once: nothing waits for a batch to fill.

Each update runs the ordinary per-update logic (`apply_job_update`) unchanged,
only its `deps.uow()` is the batch's one transaction (`_SharedTransaction`), and
what it would do after its commit (publish its events, count its usage) is held
until the batch's commit. Each caller is answered only after that commit, so it
never acknowledges rows that are not durable. Duplicates are applied once as
before: the receipt is written in the same transaction, and a second delivery of
the same webhook in the same batch finds the first one's receipt.

Whatever goes wrong in a batch (an update that fails, one that leaves without
committing as a duplicate does, a deadlock with another process, a failed commit)
rolls the batch back, and its updates are applied again one transaction each:
exactly the path without batching, with its error handling and its answers.

The batch's saves are its updates' own (`uow.reports.save`, one per update). After
the batch's opening the unit of work may hold them and write them together, one
statement at the commit, merged per report (the SQL unit of work does on PostgreSQL,
infra.db.batch_saves); each update's reads still see the saves before it, and a
write the database refuses fails the commit, which falls back as any failure does.

A webhook that goes alone is a batch of one: its receipt and its row lock are one
round trip as a batch's are (`UnitOfWork.record_and_lock`). Its own error is its
answer, and leaving without committing (a duplicate) rolls back, as in a transaction
of its own; only a value the database refuses (`UnstorableData`) sends it to the
plain path, which fails its report instead (domain.job_updates).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType

from domain.event_log import MissionEvent
from domain.job_updates import apply_job_update
from domain.jobs import JobUpdate
from domain.operations import Dependencies
from domain.ports import UnitOfWork, UnstorableData, WebhookReceipts, record_then_lock
from domain.usage import AttemptUsage

log = logging.getLogger(__name__)

# Enough to carry the transaction's fixed cost; few enough that one slow update
# (a completion's plan) does not hold many answers back.
MAX_BATCH = 32


class BatchAbandoned(Exception):
    """The batch cannot commit as one: its updates are applied one by one instead."""


@dataclass
class _Pending:
    update: JobUpdate
    webhook_id: str | None
    answer: asyncio.Future[bool]
    # What the update did, held until the batch commits.
    events: list[MissionEvent] = field(default_factory=list)
    usage: list[AttemptUsage] = field(default_factory=list)
    changed: bool = False


class JobUpdateBatcher:
    """Applies job updates (the webhooks) with group commit; one per process."""

    def __init__(self, deps: Dependencies, max_batch: int = MAX_BATCH) -> None:
        self._deps = deps
        self._max_batch = max_batch
        self._queue: deque[_Pending] = deque()
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # how many transactions carried more than one update

    async def apply(self, update: JobUpdate, webhook_id: str | None = None) -> bool:
        """As `apply_job_update`: True when the report changed; returns once durable."""
        pending = _Pending(update, webhook_id, asyncio.get_running_loop().create_future())
        self._queue.append(pending)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all(), name="job-update-batches")
        # Shielded: a caller that goes away (a webhook sender that hung up) does not
        # cancel the update, which others in its batch depend on.
        return await asyncio.shield(pending.answer)

    async def _write_all(self) -> None:
        try:
            while self._queue:
                count = min(len(self._queue), self._max_batch)
                batch = [self._queue.popleft() for _ in range(count)]
                try:
                    await self._write(batch)
                except Exception as exc:  # not expected: no caller may wait forever
                    log.exception("applying a batch of job updates failed")
                    for pending in batch:
                        if not pending.answer.done():
                            pending.answer.set_exception(exc)
        finally:
            self._writer = None

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            await self._together(batch)
        except UnstorableData:
            if len(batch) > 1:
                log.info("a batch of %d job updates is applied one by one", len(batch))
            # One by one, each that the database refuses fails its report (job_updates).
        except Exception as exc:
            if len(batch) == 1:
                # Alone, its own error is its answer, as it would be in its own transaction.
                _answer_error(batch[0], exc)
                return
            log.info("a batch of %d job updates is applied one by one: %r", len(batch), exc)
        else:
            if len(batch) > 1:
                self.batches += 1
            await self._answer_all(batch)
            return
        for pending in batch:
            await self._alone(pending)

    async def _together(self, batch: list[_Pending]) -> None:
        """The batch in one transaction; a webhook that goes alone takes this path too,
        for the receipts and locks in one round trip (`record_and_lock`)."""
        # Fetched (or found cached) before the transaction, as `apply_job_update` does
        # alone: no row stays locked while the LLM service is asked for the definition.
        await self._deps.llm.get_workflow(self._deps.workflow_name)
        await self._deps.catalog.known_ids()
        async with self._deps.uow() as uow:
            asked = [
                (p.webhook_id, p.update.job_id, p.update.type.value)
                for p in batch
                if p.webhook_id is not None
            ]
            # The batch's reports locked in one read (in id order) rather than one by one;
            # each update's own read then finds its row already locked.
            fresh = await uow.record_and_lock(
                asked, [p.update.report_id for p in batch if p.update.report_id is not None]
            )
            receipts = _RecordedReceipts(uow.receipts, fresh, {wid for wid, _, _ in asked})
            for pending in batch:
                shared = _SharedTransaction(uow, receipts)
                deps = replace(
                    self._deps,
                    uow=shared,
                    publisher=_HeldEvents(pending),
                    usage_meter=_HeldUsage(pending),
                )
                pending.changed = await apply_job_update(deps, pending.update, pending.webhook_id)
                if not shared.committed:
                    if len(batch) == 1:
                        return  # as in its own transaction: leaving rolls back (a duplicate)
                    raise BatchAbandoned("an update left without committing")
            await uow.commit()

    async def _answer_all(self, batch: list[_Pending]) -> None:
        for pending in batch:
            for usage in pending.usage:
                self._deps.usage_meter.count(usage)
        # One publish for the batch, in its order: the bus sends it as one message where
        # it fits, instead of a round trip per update before the next is answered.
        events = [event for pending in batch for event in pending.events]
        if events:
            await self._deps.publisher.publish(events)
        for pending in batch:
            if not pending.answer.done():
                pending.answer.set_result(pending.changed)

    async def _alone(self, pending: _Pending) -> None:
        try:
            changed = await apply_job_update(self._deps, pending.update, pending.webhook_id)
        except Exception as exc:
            _answer_error(pending, exc)
            return
        if not pending.answer.done():
            pending.answer.set_result(changed)


def _answer_error(pending: _Pending, exc: Exception) -> None:
    if not pending.answer.done():
        pending.answer.set_exception(exc)


class _SharedTransaction:
    """One update's `deps.uow()` inside a batch: the batch's transaction, whose commit
    is the batch's. Leaving it neither commits nor rolls back; an error propagates
    and rolls the whole batch back."""

    def __init__(self, uow: UnitOfWork, receipts: WebhookReceipts) -> None:
        self.reports = uow.reports
        self.events = uow.events
        self.notifications = uow.notifications
        self.receipts = receipts
        self.submissions = uow.submissions
        self.usage = uow.usage
        self.committed = False

    def __call__(self) -> _SharedTransaction:
        """It is its own factory: the update's `deps.uow()`."""
        return self

    async def __aenter__(self) -> _SharedTransaction:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self.committed = True

    async def record_and_lock(
        self, receipts: Sequence[tuple[str, str, str]], report_ids: Sequence[str]
    ) -> set[str]:
        return await record_then_lock(self, receipts, report_ids)


class _RecordedReceipts:
    """The batch's receipts, already written: each update's `record` is answered from
    what that write found, once True for a webhook new to the database and False after,
    so a second delivery in the same batch is a duplicate as it would be one by one."""

    def __init__(self, receipts: WebhookReceipts, fresh: set[str], asked: set[str]) -> None:
        self._receipts = receipts
        self._fresh = fresh
        self._asked = asked

    async def record(self, webhook_id: str, job_id: str, event_type: str) -> bool:
        if webhook_id not in self._asked:
            return await self._receipts.record(webhook_id, job_id, event_type)
        if webhook_id in self._fresh:
            self._fresh.discard(webhook_id)
            return True
        return False

    async def record_many(self, receipts: Sequence[tuple[str, str, str]]) -> set[str]:
        return {wid for wid, job, kind in receipts if await self.record(wid, job, kind)}

    async def count_received_before(self, cutoff: datetime) -> int:
        return await self._receipts.count_received_before(cutoff)

    async def delete_received_before(self, cutoff: datetime) -> int:
        return await self._receipts.delete_received_before(cutoff)


class _HeldEvents:
    """The update's publisher: its events go out after the batch commits."""

    def __init__(self, pending: _Pending) -> None:
        self._pending = pending

    async def publish(self, events: Sequence[MissionEvent]) -> None:
        self._pending.events.extend(events)


class _HeldUsage:
    """The update's usage meter: its usage counts after the batch commits."""

    def __init__(self, pending: _Pending) -> None:
        self._pending = pending

    def count(self, usage: AttemptUsage) -> None:
        self._pending.usage.append(usage)
