"""Repositories for the operations (all the SQL that writes lives here)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, Result, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.event_log import EventType, MissionEvent
from domain.notifications import Notification
from domain.ports import DuplicateIdempotencyKey
from domain.report import MissionReport, MissionStatus
from domain.usage import AttemptUsage
from infra.db.batch_saves import ReportChange, write_changes
from infra.db.mapping import (
    event_from_row,
    event_to_row,
    events_from_rows,
    notification_from_row,
    notification_to_row,
    report_from_row,
    report_to_row,
    usage_to_row,
)
from infra.db.report_writes import change_statement, changed_columns
from infra.db.tables import (
    IDEMPOTENCY_CONSTRAINT,
    generation_usage,
    mission_events,
    mission_reports,
    notifications,
    submission_attempts,
    webhook_receipts,
)

# SQLite names the columns of the violated constraint, not the constraint.
_SQLITE_IDEMPOTENCY_COLUMNS = "mission_reports.user_id, mission_reports.idempotency_key"


def _violates_idempotency_key(error: IntegrityError) -> bool:
    """Whether the insert broke the (user, idempotency key) unique constraint."""
    # asyncpg's UniqueViolationError, behind SQLAlchemy's emulated DBAPI error.
    driver_error = getattr(error.orig, "orig", None)
    constraint = getattr(driver_error, "constraint_name", None)
    if constraint is not None:
        return bool(constraint == IDEMPOTENCY_CONSTRAINT)
    return _SQLITE_IDEMPOTENCY_COLUMNS in str(error.orig)


class SqlReportRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._postgres = conn.dialect.name == "postgresql"
        self._read: dict[str, MissionReport] = {}  # as this transaction sees them
        self._locked: set[str] = set()  # rows this transaction holds FOR UPDATE
        self._deferring = False
        self._deferred: dict[str, ReportChange] = {}  # saves not yet written, by report

    def defer_saves(self) -> None:
        """From now on (PostgreSQL) saves are held and written together, one statement,
        by `write_deferred`: at the commit, or before any statement on reports or events
        (`_execute`, `SqlEventLog`), so no read in this transaction misses one."""
        self._deferring = self._postgres

    async def write_deferred(self) -> None:
        if not self._deferred:
            return
        changes, self._deferred = list(self._deferred.values()), {}
        if len(changes) == 1:  # as an undeferred save writes it: its statement is simpler
            only = changes[0]
            await self._write(only.before, only.after, only.events)
            return
        for change in changes:
            locked = change.after.id in self._locked
            change.columns = changed_columns(change.before, change.after, locked=locked)
        await write_changes(self._conn, changes)

    async def _execute(self, statement: Executable) -> Result[Any]:
        await self.write_deferred()
        return await self._conn.execute(statement)

    async def add(self, report: MissionReport) -> None:
        await self.write_deferred()
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert(mission_reports).values(report_to_row(report)))
        except IntegrityError as exc:
            if _violates_idempotency_key(exc):
                raise DuplicateIdempotencyKey(report.idempotency_key) from exc
            raise  # e.g. a duplicate id: a bug, not a request that lost a race for its key
        self._read[report.id] = report

    async def get(self, report_id: str, *, for_update: bool = False) -> MissionReport | None:
        if report_id in self._locked:
            # Locked by this transaction: no one else changed the row since we read or wrote it.
            return self._read[report_id]
        query = select(mission_reports).where(mission_reports.c.id == report_id)
        if for_update and self._postgres:
            query = query.with_for_update()
        row = (await self._execute(query)).mappings().first()
        if row is None:
            return None
        if for_update and self._postgres:
            self._locked.add(report_id)
        return self._remember(report_from_row(row))

    def _remember(self, report: MissionReport) -> MissionReport:
        """The row as read in this transaction: `save` writes only what differs from it."""
        self._read[report.id] = report
        return report

    async def get_by_idempotency_key(self, user_id: str, key: str) -> MissionReport | None:
        query = select(mission_reports).where(
            mission_reports.c.user_id == user_id, mission_reports.c.idempotency_key == key
        )
        row = (await self._execute(query)).mappings().first()
        return report_from_row(row) if row else None

    async def get_by_job_id(self, job_id: str) -> MissionReport | None:
        query = select(mission_reports).where(mission_reports.c.job_id == job_id)
        row = (await self._execute(query)).mappings().first()
        return report_from_row(row) if row else None

    async def count_by_status(self, user_id: str, status: MissionStatus) -> int:
        query = select(func.count()).where(
            mission_reports.c.user_id == user_id, mission_reports.c.status == status.value
        )
        return int((await self._execute(query)).scalar_one())

    async def save(self, report: MissionReport, events: Sequence[MissionEvent] = ()) -> None:
        if self._deferring:
            # Saves of one report merge: the row as stored before the first, the last
            # one's report, all their events in order.
            held = self._deferred.get(report.id)
            if held is None:
                held = self._deferred[report.id] = ReportChange(self._read.get(report.id), report)
            held.after = report
            held.events.extend(events)
        else:
            await self._write(self._read.get(report.id), report, events)
        self._read[report.id] = report  # what the row holds, or will at the write

    async def _write(
        self, before: MissionReport | None, report: MissionReport, events: Sequence[MissionEvent]
    ) -> None:
        columns = changed_columns(before, report, locked=report.id in self._locked)
        if self._postgres and events:
            statement, params = change_statement(
                report, columns, events, with_events=True, before=before
            )
            await self._conn.execute(statement, params)
        else:
            if columns:
                statement, params = change_statement(
                    report, columns, (), with_events=False, before=before
                )
                await self._conn.execute(statement, params)
            for event in events:
                await self._conn.execute(insert(mission_events).values(event_to_row(event)))

    async def lock_many(self, report_ids: Sequence[str]) -> dict[str, MissionReport]:
        # In id order: two transactions locking overlapping sets cannot deadlock.
        ids = sorted(set(report_ids))
        query = select(mission_reports).where(mission_reports.c.id.in_(ids))
        query = query.order_by(mission_reports.c.id)
        if self._postgres:
            query = query.with_for_update()
        rows = (await self._execute(query)).mappings().all()
        if self._postgres:
            self._locked.update(row["id"] for row in rows)
        return {row["id"]: self._remember(report_from_row(row)) for row in rows}

    def remember_locked(self, reports: Sequence[MissionReport]) -> None:
        """Rows this transaction locked FOR UPDATE elsewhere (infra.db.batch_opening)."""
        for report in reports:
            self._remember(report)
            self._locked.add(report.id)

    async def delete(self, report_id: str) -> None:
        self._read.pop(report_id, None)
        self._locked.discard(report_id)
        await self._execute(delete(mission_reports).where(mission_reports.c.id == report_id))

    async def list_stale_generating(
        self, updated_before: datetime, limit: int
    ) -> list[MissionReport]:
        query = (
            select(mission_reports)
            .where(
                mission_reports.c.status == MissionStatus.GENERATING.value,
                mission_reports.c.updated_at < updated_before,
            )
            .order_by(mission_reports.c.updated_at)
            .limit(limit)
        )
        rows = (await self._execute(query)).mappings().all()
        return [report_from_row(row) for row in rows]

    async def lock_user(self, user_id: str) -> None:
        if self._postgres:
            key = zlib.crc32(user_id.encode())
            await self._conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


class SqlEventLog:
    def __init__(self, conn: AsyncConnection, reports: SqlReportRepository) -> None:
        self._conn = conn
        self._reports = reports  # whose held saves hold events too

    async def _execute(self, statement: Executable) -> Result[Any]:
        await self._reports.write_deferred()
        return await self._conn.execute(statement)

    async def append(self, event: MissionEvent) -> None:
        await self._execute(insert(mission_events).values(event_to_row(event)))

    async def list_after(
        self, report_id: str, after_sequence: int, limit: int = 500
    ) -> list[MissionEvent]:
        query = (
            select(mission_events)
            .where(
                mission_events.c.report_id == report_id,
                mission_events.c.sequence > after_sequence,
            )
            .order_by(mission_events.c.sequence)
            .limit(limit)
        )
        rows = (await self._execute(query)).mappings().all()
        return events_from_rows(rows)

    async def find_cancellation(self, report_id: str, user_id: str) -> MissionEvent | None:
        query = select(mission_events).where(
            mission_events.c.report_id == report_id,
            mission_events.c.user_id == user_id,
            mission_events.c.event_type == EventType.CANCELLED.value,
        )
        row = (await self._execute(query)).mappings().first()
        return event_from_row(row) if row else None

    async def delete_for_report(self, report_id: str) -> None:
        await self._execute(delete(mission_events).where(mission_events.c.report_id == report_id))


class SqlNotificationRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, notification: Notification) -> None:
        await self._conn.execute(insert(notifications).values(notification_to_row(notification)))

    async def get(self, notification_id: str) -> Notification | None:
        query = select(notifications).where(notifications.c.id == notification_id)
        row = (await self._conn.execute(query)).mappings().first()
        return notification_from_row(row) if row else None

    async def save(self, notification: Notification) -> None:
        await self._conn.execute(
            update(notifications)
            .where(notifications.c.id == notification.id)
            .values(dismissed_at=notification.dismissed_at)
        )


class SqlWebhookReceipts:
    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self._conn = conn
        self._now = now

    async def record(self, webhook_id: str, job_id: str, event_type: str) -> bool:
        # ON CONFLICT DO NOTHING: a concurrent duplicate waits for the first insert's
        # transaction, then inserts nothing; no savepoint round trips needed.
        dialect_insert = pg_insert if self._conn.dialect.name == "postgresql" else sqlite_insert
        statement = (
            dialect_insert(webhook_receipts)
            .values(
                webhook_id=webhook_id, job_id=job_id, event_type=event_type, received_at=self._now
            )
            .on_conflict_do_nothing(index_elements=["webhook_id"])
            .returning(webhook_receipts.c.webhook_id)
        )
        return (await self._conn.execute(statement)).first() is not None

    async def record_many(self, receipts: Sequence[tuple[str, str, str]]) -> set[str]:
        first = {wid: (wid, job, kind) for wid, job, kind in reversed(receipts)}  # first wins
        if not first:
            return set()
        statement = (
            _dialect_insert(self._conn)(webhook_receipts)
            .values(
                [
                    {"webhook_id": w, "job_id": j, "event_type": k, "received_at": self._now}
                    for w, j, k in first.values()
                ]
            )
            .on_conflict_do_nothing(index_elements=["webhook_id"])
            .returning(webhook_receipts.c.webhook_id)
        )
        return set((await self._conn.execute(statement)).scalars().all())

    async def count_received_before(self, cutoff: datetime) -> int:
        query = select(func.count()).where(webhook_receipts.c.received_at < cutoff)
        return int((await self._conn.execute(query)).scalar_one())

    async def delete_received_before(self, cutoff: datetime) -> int:
        statement = delete(webhook_receipts).where(webhook_receipts.c.received_at < cutoff)
        return int((await self._conn.execute(statement)).rowcount)


def _dialect_insert(conn: AsyncConnection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


class SqlUsageLog:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, usage: AttemptUsage) -> bool:
        # ON CONFLICT DO NOTHING, as for receipts: a concurrent second report of the
        # same attempt waits for the first and inserts nothing.
        statement = (
            _dialect_insert(self._conn)(generation_usage)
            .values(usage_to_row(usage))
            .on_conflict_do_nothing(index_elements=["report_id", "attempt", "call_id"])
            .returning(generation_usage.c.report_id)
        )
        return (await self._conn.execute(statement)).first() is not None


class SqlSubmissionAttempts:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(
        self, user_id: str, report_id: str, at: datetime, keep_after: datetime
    ) -> None:
        t = submission_attempts.c
        # Pruned per user, under the user's lock: no two writers contend for these rows.
        await self._conn.execute(
            delete(submission_attempts).where(t.user_id == user_id, t.created_at <= keep_after)
        )
        await self._conn.execute(
            insert(submission_attempts).values(user_id=user_id, report_id=report_id, created_at=at)
        )

    async def times_since(self, user_id: str, since: datetime, limit: int) -> list[datetime]:
        t = submission_attempts.c
        query = (
            select(t.created_at)
            .where(t.user_id == user_id, t.created_at > since)
            .order_by(t.created_at)
            .limit(limit)
        )
        return list((await self._conn.execute(query)).scalars().all())
