"""A unit of work over the fake store: commit applies the staged writes, leaving discards them."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

from domain.ports import (
    EventLog,
    NotificationRepository,
    ReportRepository,
    SubmissionAttempts,
    UsageLog,
    WebhookReceipts,
    record_then_lock,
)
from tests.unit.fakes.repositories import (
    FakeEventLog,
    FakeNotificationRepository,
    FakeReportRepository,
    FakeSubmissionAttempts,
    FakeUsageLog,
    FakeWebhookReceipts,
)
from tests.unit.fakes.store import FakeStore, UnitOfWorkNotActive


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.active = False
        self.committed = False
        self._reports = FakeReportRepository(self)
        self._events = FakeEventLog(self)
        self._notifications = FakeNotificationRepository(self)
        self._receipts = FakeWebhookReceipts(self)
        self._submissions = FakeSubmissionAttempts(self)
        self._usage = FakeUsageLog(self)
        # Typed as the protocol says (its attributes are invariant); the same objects.
        self.reports: ReportRepository = self._reports
        self.events: EventLog = self._events
        self.notifications: NotificationRepository = self._notifications
        self.receipts: WebhookReceipts = self._receipts
        self.submissions: SubmissionAttempts = self._submissions
        self.usage: UsageLog = self._usage

    def ensure_active(self) -> None:
        if not self.active:
            raise UnitOfWorkNotActive("use the unit of work inside `async with`")

    async def __aenter__(self) -> FakeUnitOfWork:
        self.active = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Rollback: whatever was not committed is dropped.
        self._reports.staged = {}
        self._events.staged = []
        self._events.deleted_reports = set()
        self._notifications.staged = {}
        self._submissions.staged, self._submissions.pruned = [], []
        self._receipts.staged, self._receipts.staged_times = {}, {}
        self._receipts.deleted = set()
        self._usage.staged = {}
        self.active = False

    async def commit(self) -> None:
        self.ensure_active()
        self._reports.apply(self.store)
        self._events.apply(self.store)
        self._notifications.apply(self.store)
        self._receipts.apply(self.store)
        self._submissions.apply(self.store)
        self._usage.apply(self.store)
        self.committed = True

    async def record_and_lock(
        self, receipts: Sequence[tuple[str, str, str]], report_ids: Sequence[str]
    ) -> set[str]:
        return await record_then_lock(self, receipts, report_ids)


class FakeUnitOfWorkFactory:
    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store if store is not None else FakeStore()
        self.opened: list[FakeUnitOfWork] = []

    def __call__(self) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(self.store)
        self.opened.append(uow)
        return uow
