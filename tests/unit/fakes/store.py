"""The fake "database": committed state shared by every unit of work of a factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from domain.event_log import MissionEvent
from domain.notifications import Notification
from domain.report import MissionReport
from domain.usage import AttemptUsage


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


def as_stored(record: Stored) -> Stored:
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
        return sorted((e for e in self.events if e.report_id == report_id), key=by_sequence)

    def has_event(self, event: MissionEvent) -> bool:
        return event in self.events


def by_sequence(event: MissionEvent) -> int:
    return event.sequence
