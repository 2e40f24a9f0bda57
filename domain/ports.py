"""What the operations need from the outside world, as protocols.

infra/ implements them; tests/unit/fakes/ has in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from domain.event_log import MissionEvent
from domain.jobs import JobCleanup, JobUpdate
from domain.notifications import Notification
from domain.report import MissionReport, MissionStatus
from domain.usage import AttemptUsage
from domain.workflow import WorkflowDefinition


class DuplicateIdempotencyKey(Exception):
    """Raised by `ReportRepository.add` when (user, key) is already taken."""


class UnstorableData(Exception):
    """Raised by a unit of work when the database refuses a value it was given.

    A value too long for its column, or text the database cannot encode: writing
    the same value again can never succeed.
    """


class ReportRepository(Protocol):
    async def add(self, report: MissionReport) -> None: ...
    async def get(self, report_id: str, *, for_update: bool = False) -> MissionReport | None: ...
    async def get_by_idempotency_key(self, user_id: str, key: str) -> MissionReport | None: ...
    async def get_by_job_id(self, job_id: str) -> MissionReport | None: ...
    async def count_by_status(self, user_id: str, status: MissionStatus) -> int: ...
    async def save(self, report: MissionReport, events: Sequence[MissionEvent] = ()) -> None:
        """Store the report's change, and append the events that record it in the same write."""
        ...

    async def delete(self, report_id: str) -> None: ...
    async def lock_many(self, report_ids: Sequence[str]) -> dict[str, MissionReport]:
        """Read and lock (PostgreSQL: FOR UPDATE, in id order) the reports that exist."""
        ...

    async def list_stale_generating(
        self, updated_before: datetime, limit: int
    ) -> list[MissionReport]: ...
    async def lock_user(self, user_id: str) -> None:
        """Serialise writers of one user (PostgreSQL advisory lock; SQLite is serial)."""
        ...


class EventLog(Protocol):
    async def append(self, event: MissionEvent) -> None: ...
    async def list_after(
        self, report_id: str, after_sequence: int, limit: int = 500
    ) -> list[MissionEvent]: ...
    async def find_cancellation(self, report_id: str, user_id: str) -> MissionEvent | None: ...
    async def delete_for_report(self, report_id: str) -> None: ...


class NotificationRepository(Protocol):
    async def add(self, notification: Notification) -> None: ...
    async def get(self, notification_id: str) -> Notification | None: ...
    async def save(self, notification: Notification) -> None:
        """Stores when it was dismissed; the rest of a notification never changes."""
        ...


class WebhookReceipts(Protocol):
    async def record(self, webhook_id: str, job_id: str, event_type: str) -> bool:
        """Store the receipt; False when this webhook id was already recorded."""
        ...

    async def record_many(self, receipts: Sequence[tuple[str, str, str]]) -> set[str]:
        """`record` of each (webhook id, job id, event type) in one write; the ids new here."""
        ...

    async def count_received_before(self, cutoff: datetime) -> int: ...
    async def delete_received_before(self, cutoff: datetime) -> int:
        """Forget receipts older than `cutoff` (the dedupe window); returns how many."""
        ...


class SubmissionAttempts(Protocol):
    """Every submit and retry that started an attempt, counted by the rate limit.

    Reports cannot be counted instead: cancelling one deletes it.
    """

    async def record(
        self, user_id: str, report_id: str, at: datetime, keep_after: datetime
    ) -> None:
        """Add one attempt at `at`; the user's attempts at or before `keep_after` may go."""
        ...

    async def times_since(self, user_id: str, since: datetime, limit: int) -> list[datetime]:
        """When the user's attempts after `since` were made, oldest first, at most `limit`."""
        ...


class UsageLog(Protocol):
    """What each attempt used, one row per (report, attempt); rows outlive their report."""

    async def record(self, usage: AttemptUsage) -> bool:
        """Store the attempt's usage; False when that attempt's usage is already stored."""
        ...


class UsageMeter(Protocol):
    def count(self, usage: AttemptUsage) -> None:
        """Called once per newly stored attempt, after commit (the metrics)."""
        ...


class UnitOfWork(Protocol):
    """One database transaction. `async with uow:` begins; leaving without commit rolls back."""

    reports: ReportRepository
    events: EventLog
    notifications: NotificationRepository
    receipts: WebhookReceipts
    submissions: SubmissionAttempts
    usage: UsageLog

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def record_and_lock(
        self, receipts: Sequence[tuple[str, str, str]], report_ids: Sequence[str]
    ) -> set[str]:
        """A batch's opening: `receipts.record_many(receipts)`, then `reports.lock_many`
        of `report_ids` (their reads are then answered from what it read), as one round
        trip where the database can. Returns the webhook ids new to the database.

        The transaction's saves that follow may be held and written together at its
        commit (where the database can): reads in it still see them, and a value the
        database refuses fails the commit instead of the save."""
        ...


async def record_then_lock(
    uow: UnitOfWork, receipts: Sequence[tuple[str, str, str]], report_ids: Sequence[str]
) -> set[str]:
    """`UnitOfWork.record_and_lock` as its two parts, one after the other: for units of
    work with no single statement for it (the test fakes, a batch's shared transaction)."""
    fresh = await uow.receipts.record_many(receipts)
    await uow.reports.lock_many(report_ids)
    return fresh


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class LLMService(Protocol):
    async def submit_workflow(
        self, workflow_name: str, input_data: dict[str, Any], metadata: dict[str, Any]
    ) -> str:
        """Returns the job id. Raises `domain.errors.LLMServiceUnavailable`."""
        ...

    async def get_job(self, job_id: str) -> JobUpdate | None:
        """The job's state as an update; None when the service does not know it."""
        ...

    async def cancel_jobs(self, job_ids: Sequence[str]) -> int: ...
    async def get_workflow(self, name: str) -> WorkflowDefinition: ...
    async def cleanup_finished_jobs(
        self, older_than_days: int, cutoff: datetime, dry_run: bool
    ) -> JobCleanup:
        """Deletes completed, failed and cancelled jobs created before `cutoff` with their
        webhook deliveries (a dry run only counts them); never a queued or running job.
        Raises `domain.errors.LLMServiceUnavailable`."""
        ...


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[MissionEvent]) -> None:
        """Best effort, after commit: the event log is the truth, the bus only a wake-up."""
        ...


class BundleCatalog(Protocol):
    async def bundles_for_scenarios(self, scenarios: Sequence[str]) -> list[dict[str, Any]]: ...
    async def known_ids(self) -> set[str]: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class IdGenerator(Protocol):
    def __call__(self) -> str: ...
