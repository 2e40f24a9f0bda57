"""The MissionEvent union: what subscribers receive."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain.access import can_see
from domain.event_log import (
    CancelledPayload,
    CompletedPayload,
    FailedPayload,
    NotificationPayload,
    ProgressPayload,
)
from domain.event_log import MissionEvent as DomainEvent
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
    draft_delta: str | None = strawberry.field(
        description="The plan text appended since the previous progress event, null when "
        "none. It ends at draftLength: place it at offset draftLength - its length (0 "
        "starts the text over). A subscription's first event carries the whole draft so far."
    )
    draft_length: int = strawberry.field(
        description="The draft's length after this event, in Unicode code points."
    )


async def finished_report(
    root: MissionCompletedEvent, info: strawberry.Info[Context, None]
) -> MissionReport | None:
    viewer = info.context.viewer
    found = await info.context.state.queries.report(str(root.report_id))
    if not can_see(found, viewer.user_id if viewer else None):
        return None
    return MissionReport.from_domain(found)


@strawberry.type
class MissionCompletedEvent(MissionEventBase):
    attempt: int

    # A resolver passed as `resolver=`: the decorator form is untyped for mypy.
    report: MissionReport | None = strawberry.field(
        resolver=finished_report,
        description="The finished report, read when the event is delivered.",
    )


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
    sequence, occurred_at = event.sequence, event.occurred_at
    report_id = strawberry.ID(event.report_id)
    match event.payload:
        case ProgressPayload(progress=progress, attempt=attempt) as payload:
            return MissionProgressEvent(
                sequence=sequence,
                report_id=report_id,
                occurred_at=occurred_at,
                attempt=attempt,
                progress=MissionProgress.from_domain(progress),
                draft_delta=payload.draft_delta,
                draft_length=payload.draft_length,
            )
        case CompletedPayload(attempt=attempt):
            return MissionCompletedEvent(
                sequence=sequence, report_id=report_id, occurred_at=occurred_at, attempt=attempt
            )
        case FailedPayload(error=error, attempt=attempt):
            return MissionFailedEvent(
                sequence=sequence,
                report_id=report_id,
                occurred_at=occurred_at,
                attempt=attempt,
                error=MissionError.from_domain(error),
            )
        case CancelledPayload():
            return MissionCancelledEvent(
                sequence=sequence, report_id=report_id, occurred_at=occurred_at
            )
        case NotificationPayload() as note:
            return NotificationEvent(
                sequence=sequence,
                report_id=report_id,
                occurred_at=occurred_at,
                notification=Notification(
                    id=strawberry.ID(note.notification_id),
                    kind=note.kind,
                    title=note.title,
                    body=note.body,
                    report_id=report_id,
                    created_at=occurred_at,
                    dismissed_at=None,
                ),
            )
