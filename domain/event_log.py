"""Events of a report's life: rows of the event log and what subscribers receive.

Each kind of event is a typed payload, and an event's type is its payload's
class, so the two cannot disagree. `payload_to_dict`/`payload_from_dict` and
`MissionEvent.to_dict`/`MissionEvent.from_dict` are the one JSON shape of an
event: the event log's payload column, the bus and the subscribers all use them.
The shapes are those written since the first release (existing rows decode);
keys a reader does not know are ignored, so a newer writer may add some.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar, TypeAlias, TypeVar

from domain.draft import place_delta
from domain.notifications import Notification
from domain.report import Progress, ReportError


class EventType(str, Enum):
    PROGRESS = "progress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    NOTIFICATION = "notification"

    @property
    def is_terminal(self) -> bool:
        return self in (EventType.COMPLETED, EventType.FAILED, EventType.CANCELLED)

    @property
    def sets_state(self) -> bool:
        """Whether the event changes the report (a notification only accompanies a change)."""
        return self is not EventType.NOTIFICATION


class MalformedEvent(Exception):
    """A stored or broadcast event that is not in a shape we write (a corrupt row or message).

    The message names what is wrong, never the value: the input may be anything.
    """


@dataclass(frozen=True)
class ProgressPayload:
    """`draft_delta`: the plan text appended since the previous progress event (None: no
    text), ending at `draft_length`, the draft's length after it (domain.draft)."""

    event_type: ClassVar[EventType] = EventType.PROGRESS
    progress: Progress
    attempt: int
    draft_delta: str | None = None
    draft_length: int = 0


@dataclass(frozen=True)
class CompletedPayload:
    event_type: ClassVar[EventType] = EventType.COMPLETED
    attempt: int


@dataclass(frozen=True)
class FailedPayload:
    event_type: ClassVar[EventType] = EventType.FAILED
    error: ReportError
    attempt: int


@dataclass(frozen=True)
class CancelledPayload:
    event_type: ClassVar[EventType] = EventType.CANCELLED


@dataclass(frozen=True)
class NotificationPayload:
    event_type: ClassVar[EventType] = EventType.NOTIFICATION
    notification_id: str
    kind: str
    title: str
    body: str

    @classmethod
    def of(cls, notification: Notification) -> NotificationPayload:
        return cls(notification.id, notification.kind, notification.title, notification.body)


EventPayload: TypeAlias = (
    ProgressPayload | CompletedPayload | FailedPayload | CancelledPayload | NotificationPayload
)


@dataclass(frozen=True)
class MissionEvent:
    report_id: str
    user_id: str
    sequence: int
    occurred_at: datetime
    payload: EventPayload

    @property
    def type(self) -> EventType:
        return self.payload.event_type

    def to_dict(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "user_id": self.user_id,
            "sequence": self.sequence,
            "type": self.type.value,
            "occurred_at": self.occurred_at.isoformat(),
            "payload": payload_to_dict(self.payload),
        }

    @classmethod
    def from_dict(cls, data: object) -> MissionEvent:
        """Inverse of `to_dict`; raises `MalformedEvent` for anything else."""
        fields = _object(data, "event")
        occurred_at = _str(fields, "occurred_at")
        try:
            when = datetime.fromisoformat(occurred_at)
        except ValueError:
            raise MalformedEvent("occurred_at must be an ISO 8601 time") from None
        return cls(
            report_id=_str(fields, "report_id"),
            user_id=_str(fields, "user_id"),
            sequence=_int(fields, "sequence"),
            occurred_at=when,
            payload=payload_from_dict(_str(fields, "type"), fields.get("payload")),
        )


def replay_draft(events: Iterable[MissionEvent], draft: str = "") -> str:
    """The draft a reader rebuilds from logged events in order (domain.draft.place_delta),
    from `draft`, the text the events before these built."""
    for event in events:
        if isinstance(event.payload, ProgressPayload):
            draft = place_delta(draft, event.payload.draft_delta, event.payload.draft_length)
    return draft


def payload_to_dict(payload: EventPayload) -> dict[str, Any]:
    """The payload as JSON-ready data: the event log's payload column and the bus's."""
    match payload:
        case ProgressPayload(progress=progress, attempt=attempt):
            data: dict[str, Any] = {"progress": progress.to_dict(), "attempt": attempt}
            if payload.draft_length or payload.draft_delta is not None:
                # Left out before any text: such rows keep the shape written before drafts.
                data["draft_length"] = payload.draft_length
                if payload.draft_delta is not None:
                    data["draft_delta"] = payload.draft_delta
            return data
        case CompletedPayload(attempt=attempt):
            return {"attempt": attempt}
        case FailedPayload(error=error, attempt=attempt):
            return {"error": error.to_dict(), "attempt": attempt}
        case CancelledPayload():
            return {}
        case NotificationPayload():
            return {
                "notification_id": payload.notification_id,
                "kind": payload.kind,
                "title": payload.title,
                "body": payload.body,
            }


def payload_from_dict(event_type: str, data: object) -> EventPayload:
    """Inverse of `payload_to_dict` for an event of `event_type`; raises `MalformedEvent`."""
    try:
        decode = _DECODERS[EventType(event_type)]
    except ValueError:
        raise MalformedEvent("unknown event type") from None
    return decode(_object(data, "payload"))


def _progress(data: dict[str, Any]) -> ProgressPayload:
    progress = _nested(data, "progress", Progress.from_dict)
    if not math.isfinite(progress.percentage):  # JSON readers accept NaN; GraphQL does not
        raise MalformedEvent("percentage must be a finite number")
    draft_length = data.get("draft_length", 0)  # rows written before drafts have neither
    delta = data.get("draft_delta")
    if isinstance(draft_length, bool) or not isinstance(draft_length, int) or draft_length < 0:
        raise MalformedEvent("draft_length must be a non-negative integer")
    if delta is not None and (not isinstance(delta, str) or len(delta) > draft_length):
        raise MalformedEvent("draft_delta must be a string no longer than draft_length")
    return ProgressPayload(progress, _int(data, "attempt"), delta, draft_length)


def _completed(data: dict[str, Any]) -> CompletedPayload:
    return CompletedPayload(_int(data, "attempt"))


def _failed(data: dict[str, Any]) -> FailedPayload:
    return FailedPayload(_nested(data, "error", ReportError.from_dict), _int(data, "attempt"))


def _cancelled(data: dict[str, Any]) -> CancelledPayload:
    return CancelledPayload()


def _notification(data: dict[str, Any]) -> NotificationPayload:
    return NotificationPayload(
        notification_id=_str(data, "notification_id"),
        kind=_str(data, "kind"),
        title=_str(data, "title"),
        body=_str(data, "body"),
    )


_DECODERS: dict[EventType, Callable[[dict[str, Any]], EventPayload]] = {
    EventType.PROGRESS: _progress,
    EventType.COMPLETED: _completed,
    EventType.FAILED: _failed,
    EventType.CANCELLED: _cancelled,
    EventType.NOTIFICATION: _notification,
}


def _object(value: object, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedEvent(f"{name} must be an object")
    return value


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise MalformedEvent(f"{key} must be a string")
    return value


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedEvent(f"{key} must be an integer")
    return value


_T = TypeVar("_T")


def _nested(data: dict[str, Any], key: str, decode: Callable[[dict[str, Any]], _T]) -> _T:
    # The value's own shape (Progress, ReportError) is decided by its class.
    try:
        return decode(_object(data.get(key), key))
    except (KeyError, TypeError, ValueError, OverflowError):
        raise MalformedEvent(f"{key} is incomplete or of the wrong type") from None
