"""In-memory fakes of the ports (cosmicpython style: fakes for what we own, no mocks).

`FakeStore` is the "database": committed state shared by every unit of work a
`FakeUnitOfWorkFactory` opens. A `FakeUnitOfWork` stages its writes and applies
them to the store only on `commit()`; leaving the block without committing
discards them, as a rolled-back transaction would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

from domain.errors import LLMServiceUnavailable
from domain.event_log import MissionEvent
from domain.jobs import JobCleanup, JobUpdate
from domain.notifications import Notification
from domain.operations import Dependencies
from domain.ports import (
    DuplicateIdempotencyKey,
    EventLog,
    NotificationRepository,
    ReportRepository,
    SubmissionAttempts,
    UnstorableData,
    UsageLog,
    WebhookReceipts,
)
from domain.report import MissionReport, MissionStatus
from domain.usage import AttemptUsage
from domain.workflow import WorkflowDefinition
from tests.support.workflow_steps import (  # noqa: F401
    MISSION_GENERATION_STEPS,
    mission_generation_definition,
)

# The test data lives in builders.py; re-exported so tests import from one place.
from tests.unit.builders import (  # noqa: F401
    PLAN_MARKDOWN,
    PLAN_WITHOUT_SUMMARY,
    T0,
    completed_output,
    generating_report,
    job_update,
    valid_input,
)


class FakeIntegrityError(Exception):
    """What the database would raise for a duplicate primary key."""


class UnitOfWorkNotActive(RuntimeError):
    """A repository was used outside `async with uow:`."""


Stored = TypeVar("Stored", MissionReport, MissionEvent, Notification)

_TIME_FIELDS: dict[type, tuple[str, ...]] = {
    MissionReport: ("created_at", "updated_at", "completed_at"),
    MissionEvent: ("occurred_at",),
    Notification: ("created_at", "dismissed_at"),
}


def _as_stored(record: Stored) -> Stored:
    """What a SQL row gives back (UTCDateTime): times in UTC; a time without a zone refused."""
    changes: dict[str, Any] = {}
    for name in _TIME_FIELDS[type(record)]:
        moment: datetime | None = getattr(record, name)
        if moment is None:
            continue
        if moment.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        changes[name] = moment.astimezone(UTC)
    return replace(record, **changes)


# --- the "database" ------------------------------------------------------------------


@dataclass
class FakeStore:
    reports: dict[str, MissionReport] = field(default_factory=dict)
    events: list[MissionEvent] = field(default_factory=list)
    notifications: dict[str, Notification] = field(default_factory=dict)
    receipts: dict[str, tuple[str, str]] = field(default_factory=dict)
    # (user_id, report_id, at) of each started attempt, as the rate limit counts them.
    submissions: list[tuple[str, str, datetime]] = field(default_factory=list)
    receipt_times: dict[str, datetime] = field(default_factory=dict)
    # (report_id, attempt) -> what that attempt used.
    usage: dict[tuple[str, int], AttemptUsage] = field(default_factory=dict)
    # When a receipt is written; a test moves it to make receipts old.
    receipt_clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    locked_users: list[str] = field(default_factory=list)
    # Runs first in `reports.add`: lets a test commit a concurrent writer's row.
    before_add: Callable[[MissionReport], None] | None = None
    # `reports.save` of a report whose plan holds this text raises UnstorableData,
    # as PostgreSQL does for a value it cannot store.
    refuse_plans_containing: str | None = None

    def events_of(self, report_id: str) -> list[MissionEvent]:
        return sorted((e for e in self.events if e.report_id == report_id), key=_by_sequence)

    def has_event(self, event: MissionEvent) -> bool:
        return event in self.events


def _by_sequence(event: MissionEvent) -> int:
    return event.sequence


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
        report = _as_stored(report)
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
        report = _as_stored(report)
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
        event = _as_stored(event)
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
        return sorted(found, key=_by_sequence)[:limit]

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
        notification = _as_stored(notification)
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
        notification = _as_stored(notification)
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


class FakeUnitOfWorkFactory:
    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store if store is not None else FakeStore()
        self.opened: list[FakeUnitOfWork] = []

    def __call__(self) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(self.store)
        self.opened.append(uow)
        return uow


# --- the LLM service -----------------------------------------------------------------


@dataclass(frozen=True)
class SubmittedJob:
    job_id: str
    workflow_name: str
    input_data: dict[str, Any]
    metadata: dict[str, Any]


class FakeLLMService:
    def __init__(self, definition: WorkflowDefinition | None = None) -> None:
        self.definition = definition or mission_generation_definition()
        self.submitted: list[SubmittedJob] = []
        self.cancelled: list[str] = []
        self.job_queries: list[str] = []
        # What `get_job` answers per job id; a missing id answers None (unknown job).
        self.jobs: dict[str, JobUpdate | None] = {}
        # What `get_job` raises per job id instead of answering (a broken answer).
        self.job_errors: dict[str, Exception] = {}
        self.unavailable_on_submit = False
        self.unavailable_on_cancel = False
        self.unavailable_on_cleanup = False
        # What the cleanup may delete: finished job id -> created at; one delivery each.
        self.finished_jobs: dict[str, datetime] = {}
        self.cleanups: list[tuple[int, datetime, bool]] = []
        # Runs inside `submit_workflow`, before it answers: lets a test act mid-submit.
        self.during_submit: Callable[[], Awaitable[None]] | None = None
        self._next_job = 0

    async def submit_workflow(
        self, workflow_name: str, input_data: dict[str, Any], metadata: dict[str, Any]
    ) -> str:
        if self.unavailable_on_submit:
            raise LLMServiceUnavailable("connection refused")
        if self.during_submit is not None:
            await self.during_submit()
        self._next_job += 1
        job_id = f"job-{self._next_job}"
        self.submitted.append(SubmittedJob(job_id, workflow_name, input_data, metadata))
        return job_id

    async def get_job(self, job_id: str) -> JobUpdate | None:
        self.job_queries.append(job_id)
        if job_id in self.job_errors:
            raise self.job_errors[job_id]
        if job_id not in self.jobs:
            return None
        return self.jobs[job_id]

    async def cancel_jobs(self, job_ids: Sequence[str]) -> int:
        if self.unavailable_on_cancel:
            raise LLMServiceUnavailable("connection refused")
        self.cancelled.extend(job_ids)
        return len(job_ids)

    async def get_workflow(self, name: str) -> WorkflowDefinition:
        assert name == self.definition.name, f"unknown workflow {name}"
        return self.definition

    async def cleanup_finished_jobs(
        self, older_than_days: int, cutoff: datetime, dry_run: bool
    ) -> JobCleanup:
        """Deletes the `finished_jobs` created before `cutoff` (job id -> created at)."""
        self.cleanups.append((older_than_days, cutoff, dry_run))
        if self.unavailable_on_cleanup:
            raise LLMServiceUnavailable("connection refused")
        old = [job_id for job_id, created in self.finished_jobs.items() if created < cutoff]
        if not dry_run:
            for job_id in old:
                del self.finished_jobs[job_id]
        deleted = 0 if dry_run else len(old)
        return JobCleanup(len(old), deleted, len(old), deleted)


# --- the rest of the world -----------------------------------------------------------


class FakePublisher:
    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store
        self.published: list[MissionEvent] = []
        # For each published event: was it already committed to the log?
        self.committed_when_published: list[bool] = []

    async def publish(self, events: Sequence[MissionEvent]) -> None:
        for event in events:
            self.published.append(event)
            if self.store is not None:
                self.committed_when_published.append(self.store.has_event(event))


CATALOG_BUNDLES: tuple[dict[str, Any], ...] = (
    {
        "id": "go-bag-72h",
        "name": "72-Hour Family Go-Bag",
        "scenarios": ["HURRICANE", "EARTHQUAKE", "WILDFIRE", "FLOOD"],
    },
    {
        "id": "water-storage-kit",
        "name": "Water Storage Kit",
        "scenarios": ["HURRICANE", "EARTHQUAKE", "POWER_GRID_FAILURE"],
    },
    {
        "id": "solar-generator-2kwh",
        "name": "Solar Generator 2 kWh",
        "scenarios": ["POWER_GRID_FAILURE", "WINTER_STORM"],
    },
    {"id": "pandemic-hygiene-kit", "name": "Pandemic Hygiene Kit", "scenarios": ["PANDEMIC"]},
)


class FakeCatalog:
    def __init__(self, bundles: Sequence[dict[str, Any]] = CATALOG_BUNDLES) -> None:
        self.bundles = [dict(b) for b in bundles]

    async def bundles_for_scenarios(self, scenarios: Sequence[str]) -> list[dict[str, Any]]:
        wanted = set(scenarios)
        return [dict(b) for b in self.bundles if wanted & set(b["scenarios"])]

    async def known_ids(self) -> set[str]:
        return {str(b["id"]) for b in self.bundles}


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def set(self, now: datetime) -> None:
        self.current = now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self.current += delta if delta is not None else timedelta(**kwargs)
        return self.current


class FakeSleep:
    """`Dependencies.sleep` without the wait: moves the fake clock on, then yields once.

    Yielding lets the other tasks of a test (a concurrent request) take their turn,
    so code that polls behaves as it would in real time, but instantly.
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(seconds=seconds)
        await asyncio.sleep(0)


class SequentialIds:
    def __init__(self, prefix: str = "id") -> None:
        self.prefix = prefix
        self.issued = 0

    def __call__(self) -> str:
        self.issued += 1
        return f"{self.prefix}-{self.issued}"


# --- wiring --------------------------------------------------------------------------


@dataclass
class Fakes:
    """The fakes behind one `Dependencies`, typed, so tests can arrange and inspect them."""

    store: FakeStore
    uow: FakeUnitOfWorkFactory
    llm: FakeLLMService
    publisher: FakePublisher
    catalog: FakeCatalog
    clock: FakeClock
    ids: SequentialIds
    deps: Dependencies
    sleep: FakeSleep


def make_fakes(**overrides: Any) -> Fakes:
    """Fakes wired into `Dependencies`; overrides are `Dependencies` fields."""
    store = FakeStore()
    uow = overrides.pop("uow", None) or FakeUnitOfWorkFactory(store)
    store = uow.store
    llm = overrides.pop("llm", None) or FakeLLMService()
    publisher = overrides.pop("publisher", None) or FakePublisher(store)
    catalog = overrides.pop("catalog", None) or FakeCatalog()
    clock = overrides.pop("clock", None) or FakeClock()
    ids = overrides.pop("new_id", None) or SequentialIds("id")
    sleep = overrides.pop("sleep", None) or FakeSleep(clock)
    store.receipt_clock = clock.now
    deps = Dependencies(
        uow=uow,
        llm=llm,
        publisher=publisher,
        catalog=catalog,
        clock=clock,
        new_id=ids,
        sleep=sleep,
        **overrides,
    )
    return Fakes(store, uow, llm, publisher, catalog, clock, ids, deps, sleep)


# --- builders ------------------------------------------------------------------------
