"""In-memory repositories: each stages its writes until its unit of work commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from domain.event_log import MissionEvent
from domain.notifications import Notification
from domain.ports import DuplicateIdempotencyKey, UnstorableData
from domain.report import MissionReport, MissionStatus
from domain.usage import AttemptUsage
from tests.unit.fakes.store import FakeIntegrityError, FakeStore, as_stored, by_sequence

if TYPE_CHECKING:
    from tests.unit.fakes.unit_of_work import FakeUnitOfWork


class FakeReportRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow
        # id -> staged report; None marks a staged delete.
        self.staged: dict[str, MissionReport | None] = {}

    def _visible(self) -> dict[str, MissionReport]:
        merged: dict[str, MissionReport | None] = {**self._uow.store.reports, **self.staged}
        return {rid: report for rid, report in merged.items() if report is not None}

    async def add(self, report: MissionReport) -> None:
        self._uow.ensure_active()
        report = as_stored(report)
        if self._uow.store.before_add is not None:
            self._uow.store.before_add(report)
        visible = self._visible()
        if report.id in visible:
            raise FakeIntegrityError(f"report {report.id} exists")
        if report.idempotency_key is not None and any(
            other.user_id == report.user_id and other.idempotency_key == report.idempotency_key
            for other in visible.values()
        ):
            raise DuplicateIdempotencyKey(report.idempotency_key)
        self.staged[report.id] = report

    async def get(self, report_id: str, *, for_update: bool = False) -> MissionReport | None:
        self._uow.ensure_active()
        return self._visible().get(report_id)

    async def get_by_idempotency_key(self, user_id: str, key: str) -> MissionReport | None:
        self._uow.ensure_active()
        for report in self._visible().values():
            if report.user_id == user_id and report.idempotency_key == key:
                return report
        return None

    async def get_by_job_id(self, job_id: str) -> MissionReport | None:
        self._uow.ensure_active()
        for report in self._visible().values():
            if report.job_id == job_id:
                return report
        return None

    async def count_by_status(self, user_id: str, status: MissionStatus) -> int:
        self._uow.ensure_active()
        return sum(
            1 for r in self._visible().values() if r.user_id == user_id and r.status is status
        )

    async def save(self, report: MissionReport, events: Sequence[MissionEvent] = ()) -> None:
        self._uow.ensure_active()
        refused = self._uow.store.refuse_plans_containing
        if refused and report.plan is not None and refused in report.plan.content:
            raise UnstorableData("the database refused the plan")
        report = as_stored(report)
        if report.id in self._visible():  # an UPDATE of a missing row changes nothing
            self.staged[report.id] = report
        for event in events:
            await self._uow.events.append(event)

    async def delete(self, report_id: str) -> None:
        self._uow.ensure_active()
        self.staged[report_id] = None

    async def lock_many(self, report_ids: Sequence[str]) -> dict[str, MissionReport]:
        self._uow.ensure_active()
        visible = self._visible()
        return {rid: visible[rid] for rid in sorted(set(report_ids)) if rid in visible}

    async def list_stale_generating(
        self, updated_before: datetime, limit: int
    ) -> list[MissionReport]:
        self._uow.ensure_active()
        stale = [
            r
            for r in self._visible().values()
            if r.status is MissionStatus.GENERATING and r.updated_at < updated_before
        ]
        return sorted(stale, key=lambda r: r.updated_at)[:limit]

    async def lock_user(self, user_id: str) -> None:
        self._uow.ensure_active()
        self._uow.store.locked_users.append(user_id)

    def apply(self, store: FakeStore) -> None:
        for report_id, report in self.staged.items():
            if report is None:
                store.reports.pop(report_id, None)
            else:
                store.reports[report_id] = report
        self.staged = {}


class FakeEventLog:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow
        self.staged: list[MissionEvent] = []
        self.deleted_reports: set[str] = set()

    def _visible(self) -> list[MissionEvent]:
        committed = [e for e in self._uow.store.events if e.report_id not in self.deleted_reports]
        return committed + self.staged

    async def append(self, event: MissionEvent) -> None:
        self._uow.ensure_active()
        event = as_stored(event)
        if any(
            e.report_id == event.report_id and e.sequence == event.sequence for e in self._visible()
        ):
            raise FakeIntegrityError(f"event {event.report_id}#{event.sequence} exists")
        self.staged.append(event)

    async def list_after(
        self, report_id: str, after_sequence: int, limit: int = 500
    ) -> list[MissionEvent]:
        self._uow.ensure_active()
        found = [
            e for e in self._visible() if e.report_id == report_id and e.sequence > after_sequence
        ]
        return sorted(found, key=by_sequence)[:limit]

    async def find_cancellation(self, report_id: str, user_id: str) -> MissionEvent | None:
        self._uow.ensure_active()
        for event in self._visible():
            if (
                event.report_id == report_id
                and event.user_id == user_id
                and event.type.value == "cancelled"
            ):
                return event
        return None

    async def delete_for_report(self, report_id: str) -> None:
        self._uow.ensure_active()
        self.deleted_reports.add(report_id)
        self.staged = [e for e in self.staged if e.report_id != report_id]

    def apply(self, store: FakeStore) -> None:
        store.events = [e for e in store.events if e.report_id not in self.deleted_reports]
        store.events.extend(self.staged)
        self.staged = []
        self.deleted_reports = set()


class FakeNotificationRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow
        self.staged: dict[str, Notification] = {}

    async def add(self, notification: Notification) -> None:
        self._uow.ensure_active()
        notification = as_stored(notification)
        if await self.get(notification.id) is not None:
            raise FakeIntegrityError(f"notification {notification.id} exists")
        self.staged[notification.id] = notification

    async def get(self, notification_id: str) -> Notification | None:
        self._uow.ensure_active()
        return self.staged.get(notification_id) or self._uow.store.notifications.get(
            notification_id
        )

    async def save(self, notification: Notification) -> None:
        self._uow.ensure_active()
        notification = as_stored(notification)
        stored = await self.get(notification.id)
        if stored is not None:
            # As the SQL repository: only the dismissal is written, the rest never changes.
            self.staged[notification.id] = replace(stored, dismissed_at=notification.dismissed_at)

    def apply(self, store: FakeStore) -> None:
        store.notifications.update(self.staged)
        self.staged = {}


class FakeWebhookReceipts:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow
        self.staged: dict[str, tuple[str, str]] = {}
        self.staged_times: dict[str, datetime] = {}
        self.deleted: set[str] = set()

    def _received_at(self) -> dict[str, datetime]:
        committed = {
            webhook_id: moment
            for webhook_id, moment in self._uow.store.receipt_times.items()
            if webhook_id not in self.deleted
        }
        return {**committed, **self.staged_times}

    async def record(self, webhook_id: str, job_id: str, event_type: str) -> bool:
        self._uow.ensure_active()
        if webhook_id in self._received_at():
            return False
        self.staged[webhook_id] = (job_id, event_type)
        # As the SQL repository: stamped with the wall clock when the receipt is written.
        self.staged_times[webhook_id] = self._uow.store.receipt_clock()
        return True

    async def record_many(self, receipts: Sequence[tuple[str, str, str]]) -> set[str]:
        return {wid for wid, job, kind in receipts if await self.record(wid, job, kind)}

    async def count_received_before(self, cutoff: datetime) -> int:
        self._uow.ensure_active()
        return sum(1 for moment in self._received_at().values() if moment < cutoff)

    async def delete_received_before(self, cutoff: datetime) -> int:
        self._uow.ensure_active()
        old = [wid for wid, moment in self._received_at().items() if moment < cutoff]
        for webhook_id in old:
            self.staged.pop(webhook_id, None)
            self.staged_times.pop(webhook_id, None)
            self.deleted.add(webhook_id)
        return len(old)

    def apply(self, store: FakeStore) -> None:
        for webhook_id in self.deleted:
            store.receipts.pop(webhook_id, None)
            store.receipt_times.pop(webhook_id, None)
        store.receipts.update(self.staged)
        store.receipt_times.update(self.staged_times)
        self.staged, self.staged_times, self.deleted = {}, {}, set()


class FakeSubmissionAttempts:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow
        self.staged: list[tuple[str, str, datetime]] = []
        self.pruned: list[tuple[str, datetime]] = []

    async def record(
        self, user_id: str, report_id: str, at: datetime, keep_after: datetime
    ) -> None:
        self._uow.ensure_active()
        self.pruned.append((user_id, keep_after))
        self.staged.append((user_id, report_id, at))

    async def times_since(self, user_id: str, since: datetime, limit: int) -> list[datetime]:
        self._uow.ensure_active()
        visible = [*self._uow.store.submissions, *self.staged]
        return sorted(at for user, _, at in visible if user == user_id and at > since)[:limit]

    def apply(self, store: FakeStore) -> None:
        for user_id, keep_after in self.pruned:
            store.submissions = [
                s for s in store.submissions if s[0] != user_id or s[2] > keep_after
            ]
        store.submissions.extend(self.staged)
        self.staged, self.pruned = [], []


class FakeUsageLog:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow
        self.staged: dict[tuple[str, int], AttemptUsage] = {}

    async def record(self, usage: AttemptUsage) -> bool:
        self._uow.ensure_active()
        key = (usage.report_id, usage.attempt)
        if key in self._uow.store.usage or key in self.staged:
            return False
        self.staged[key] = usage
        return True

    def apply(self, store: FakeStore) -> None:
        store.usage.update(self.staged)
        self.staged = {}
