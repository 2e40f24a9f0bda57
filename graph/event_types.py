"""The MissionEvent union: what subscribers receive."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain.access import can_see
from domain.event_log import EventType
from domain.event_log import MissionEvent as DomainEvent
from domain.report import Progress, ReportError
from graph.types import MissionError, MissionProgress, MissionReport, Notification

if TYPE_CHECKING:
    from graph.context import Context


@strawberry.interface(
    description="Every event: its place in the report's log and when it happened."
)
class MissionEventBase:
    sequence: int
    report_id: strawberry.ID
    occurred_at: datetime


@strawberry.type
class MissionProgressEvent(MissionEventBase):
    attempt: int
    progress: MissionProgress


@strawberry.type
class MissionCompletedEvent(MissionEventBase):
    attempt: int

    @strawberry.field(description="The finished report, read when the event is delivered.")
    async def report(self, info: strawberry.Info[Context, None]) -> MissionReport | None:
        viewer = info.context.viewer
        found = await info.context.state.queries.report(str(self.report_id))
        if not can_see(found, viewer.user_id if viewer else None):
            return None
        return MissionReport.from_domain(found)


@strawberry.type
class MissionFailedEvent(MissionEventBase):
    attempt: int
    error: MissionError


@strawberry.type
class MissionCancelledEvent(MissionEventBase):
    pass


@strawberry.type
class NotificationEvent(MissionEventBase):
    notification: Notification


MissionEvent = Annotated[
    MissionProgressEvent
    | MissionCompletedEvent
    | MissionFailedEvent
    | MissionCancelledEvent
    | NotificationEvent,
    strawberry.union("MissionEvent"),
]


def event_from_domain(event: DomainEvent) -> MissionEvent:
    common = {
        "sequence": event.sequence,
        "report_id": strawberry.ID(event.report_id),
        "occurred_at": event.occurred_at,
    }
    payload = event.payload
    attempt = int(payload.get("attempt", 1))
    if event.type is EventType.PROGRESS:
        progress = Progress.from_dict(payload["progress"])
        return MissionProgressEvent(
            attempt=attempt, progress=MissionProgress.from_domain(progress), **common
        )
    if event.type is EventType.COMPLETED:
        return MissionCompletedEvent(attempt=attempt, **common)
    if event.type is EventType.FAILED:
        error = ReportError.from_dict(payload["error"])
        return MissionFailedEvent(attempt=attempt, error=MissionError.from_domain(error), **common)
    if event.type is EventType.CANCELLED:
        return MissionCancelledEvent(**common)
    return NotificationEvent(
        notification=Notification(
            id=strawberry.ID(payload["notification_id"]),
            kind=payload["kind"],
            title=payload["title"],
            body=payload["body"],
            report_id=strawberry.ID(event.report_id),
            created_at=event.occurred_at,
            dismissed_at=None,
        ),
        **common,
    )
