"""Events of a report's life: rows of the event log and what subscribers receive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any


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


@dataclass(frozen=True)
class MissionEvent:
    report_id: str
    user_id: str
    sequence: int
    type: EventType
    occurred_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "user_id": self.user_id,
            "sequence": self.sequence,
            "type": self.type.value,
            "occurred_at": self.occurred_at.isoformat(),
            "payload": self.payload,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MissionEvent:
        return cls(
            report_id=str(data["report_id"]),
            user_id=str(data["user_id"]),
            sequence=int(data["sequence"]),
            type=EventType(data["type"]),
            occurred_at=datetime.fromisoformat(str(data["occurred_at"])),
            payload=dict(data.get("payload") or {}),
        )
