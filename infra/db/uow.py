"""The unit of work: one short transaction on the writer engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.ports import (
    EventLog,
    NotificationRepository,
    ReportRepository,
    SubmissionAttempts,
    UnitOfWork,
    UnstorableData,
    UsageLog,
    WebhookReceipts,
)
from infra.db.batch_opening import open_batch
from infra.db.repositories import (
    SqlEventLog,
    SqlNotificationRepository,
    SqlReportRepository,
    SqlSubmissionAttempts,
    SqlUsageLog,
    SqlWebhookReceipts,
)


class SqlUnitOfWork:
    # Typed as the ports so this class satisfies the domain's UnitOfWork protocol.
    reports: ReportRepository
    events: EventLog
    notifications: NotificationRepository
    receipts: WebhookReceipts
    submissions: SubmissionAttempts
    usage: UsageLog

    def __init__(self, engine: AsyncEngine, clock: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._clock = clock or (lambda: datetime.now(UTC))
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> SqlUnitOfWork:
        self._conn = await self._engine.connect()
        await self._conn.begin()
        self._now = self._clock()
        self._reports = SqlReportRepository(self._conn)
        self.reports = self._reports
        self.events = SqlEventLog(self._conn, self._reports)
        self.notifications = SqlNotificationRepository(self._conn)
        self.receipts = SqlWebhookReceipts(self._conn, self._now)
        self.submissions = SqlSubmissionAttempts(self._conn)
        self.usage = SqlUsageLog(self._conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        try:
            if self._conn.in_transaction():
                await self._conn.rollback()
        finally:
            await self._conn.close()
            self._conn = None
        if exc is not None and is_unstorable(exc):
            raise UnstorableData(str(exc)[:200]) from exc

    async def commit(self) -> None:
        assert self._conn is not None
        await self._reports.write_deferred()
        await self._conn.commit()

    async def record_and_lock(
        self, receipts: Sequence[tuple[str, str, str]], report_ids: Sequence[str]
    ) -> set[str]:
        assert self._conn is not None
        # Deferred here, in infra, not by the batch (domain.job_update_batches): this is
        # a batch's opening, and only the repositories know which of their statements
        # read what a held save would write. The batch's saves, one per update, are then
        # one statement at its commit (infra.db.batch_saves); that a save is seen by
        # whatever follows it in the transaction holds as before. PostgreSQL only.
        self._reports.defer_saves()
        if not receipts and not report_ids:
            return set()
        if self._conn.dialect.name != "postgresql":
            fresh = await self.receipts.record_many(receipts)
            await self.reports.lock_many(report_ids)
            return fresh
        fresh, locked = await open_batch(self._conn, self._now, receipts, report_ids)
        self._reports.remember_locked(locked)
        return fresh


# SQLSTATE class 22, data exception: a string too long (22001), a NUL (22021), ...
_DATA_EXCEPTION = "22"


def is_unstorable(exc: BaseException) -> bool:
    """True when the database (or its driver) refused a value rather than failed."""
    if isinstance(exc, UnicodeError):  # SQLite's driver cannot encode a lone surrogate
        return True
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(_DATA_EXCEPTION)


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def __call__(self) -> UnitOfWork:
        return SqlUnitOfWork(self._engine)
