"""Sticky notifications: they stay until the user dismisses them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class NotificationKind(StrEnum):
    """What a notification tells; the stored kind is the value."""

    PLAN_READY = "PLAN_READY"


@dataclass(frozen=True)
class Notification:
    id: str
    user_id: str
    report_id: str
    kind: str  # a NotificationKind value
    title: str
    body: str
    created_at: datetime
    dismissed_at: datetime | None = None

    @property
    def is_dismissed(self) -> bool:
        return self.dismissed_at is not None

    def dismissed(self, now: datetime) -> Notification:
        # Dismissing twice keeps the first time: the operation is idempotent.
        return self if self.dismissed_at else replace(self, dismissed_at=now)


def plan_ready_notification(
    notification_id: str, user_id: str, report_id: str, place: str, now: datetime
) -> Notification:
    return Notification(
        id=notification_id,
        user_id=user_id,
        report_id=report_id,
        kind=NotificationKind.PLAN_READY.value,
        title="Your plan is ready",
        body=f"Your mission plan for {place} is ready to read.",
        created_at=now,
    )
