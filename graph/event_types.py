"""The MissionEvent union: what subscribers receive."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain.event_log import (
    CancelledPayload,
    CompletedPayload,
    FailedPayload,
    NotificationPayload,
    ProgressPayload,
)
from domain.event_log import MissionEvent as DomainEvent
from graph.enums import NotificationKind
from graph.types import (
    MissionError,
    MissionProgress,
    MissionReport,
    Notification,
    visible_report,
)

if TYPE_CHECKING:
    from graph.context import Context


@strawberry.interface(
    description="Every event: its place in the report's log and when it happened."
)
class MissionEventBase:
    sequence: int = strawberry.field(
        description="Its place in the report's log, from 1; pass as afterSequence to resume."
    )
    report_id: strawberry.ID = strawberry.field(description="The report it is about.")
    occurred_at: datetime = strawberry.field(description="When it happened.")


@strawberry.type(description="A step started: the generation moved on.")
class MissionProgressEvent(MissionEventBase):
    attempt: int = strawberry.field(
        description="The report's attempt the event belongs to, from 1."
    )
    progress: MissionProgress = strawberry.field(description="How far the generation is now.")
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
    return await visible_report(info, str(root.report_id))


@strawberry.type(description="The plan is written: the report is COMPLETED.")
class MissionCompletedEvent(MissionEventBase):
    attempt: int = strawberry.field(
        description="The report's attempt the event belongs to, from 1."
    )

    # A resolver passed as `resolver=`: the decorator form is untyped for mypy.
    report: MissionReport | None = strawberry.field(
        resolver=finished_report,
        description="The finished report, read when the event is delivered.",
    )


@strawberry.type(description="The generation failed: the report is FAILED.")
class MissionFailedEvent(MissionEventBase):
    attempt: int = strawberry.field(
        description="The report's attempt the event belongs to, from 1."
    )
    error: MissionError = strawberry.field(description="Why it failed.")


@strawberry.type(description="The plan was cancelled and deleted.")
class MissionCancelledEvent(MissionEventBase):
    pass


@strawberry.type(description="A notification was written (e.g. the plan is ready).")
class NotificationEvent(MissionEventBase):
    notification: Notification = strawberry.field(description="The notification.")


MissionEvent = Annotated[
    MissionProgressEvent
    | MissionCompletedEvent
    | MissionFailedEvent
    | MissionCancelledEvent
    | NotificationEvent,
    strawberry.union(
        "MissionEvent",
        description="What a subscription delivers; every member is a MissionEventBase.",
    ),
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
                    kind=NotificationKind(note.kind),
                    title=note.title,
                    body=note.body,
                    report_id=report_id,
                    created_at=occurred_at,
                    dismissed_at=None,
                ),
            )
