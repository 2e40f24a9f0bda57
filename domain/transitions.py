"""How one job update changes a report: a pure function, the heart of the rules.

Status only moves forward; stale, duplicate or out-of-order updates change
nothing. Each visible change yields the event-log rows to write with it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

from domain.draft import delta_pieces
from domain.event_log import (
    CompletedPayload,
    EventPayload,
    FailedPayload,
    MissionEvent,
    NotificationPayload,
    ProgressPayload,
)
from domain.failures import (
    GENERATION_FAILED,
    INVALID_RESULT,
    JOB_CANCELLED,
    JOB_LOST,
    PLAN_TOO_LARGE,
    UNPARSEABLE_PLAN,
    report_error,
)
from domain.jobs import JobUpdate, JobUpdateType
from domain.notifications import Notification, plan_ready_notification
from domain.plan import PlanParseError, PlanTooLarge, resolve_bundles
from domain.plan_text import PlanReading, read_plan
from domain.report import MissionReport, Progress, ReportError
from domain.workflow import UnknownStep, WorkflowDefinition

__all__ = [
    "JOB_CANCELLED",
    "JOB_LOST",
    "PLAN_TOO_LARGE",
    "UNPARSEABLE_PLAN",
    "Transition",
    "apply_update",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Transition:
    report: MissionReport
    events: tuple[MissionEvent, ...] = ()
    notification: Notification | None = None
    changed: bool = False


@dataclass(frozen=True)
class TransitionContext:
    definition: WorkflowDefinition
    known_bundle_ids: Collection[str]
    now: datetime
    notification_id: str
    # The completed update's plan, read beforehand off the event loop
    # (`read_plan_off_loop`); None, or a reading of other text: it is read here.
    plan_reading: PlanReading | None = None


def apply_update(report: MissionReport, update: JobUpdate, ctx: TransitionContext) -> Transition:
    if report.status.is_terminal:
        return Transition(report)
    if update.type in (JobUpdateType.STEP_STARTED, JobUpdateType.PROGRESS):
        return _progress(report, update, ctx)
    if update.type is JobUpdateType.COMPLETED:
        return _completed(report, update, ctx)
    if update.type is JobUpdateType.FAILED:
        error = update.error or report_error(GENERATION_FAILED)
        return _failed(report, error, ctx.now)
    if update.type is JobUpdateType.CANCELLED:
        return _failed(report, JOB_CANCELLED, ctx.now)
    if update.type is JobUpdateType.LOST:
        return _failed(report, JOB_LOST, ctx.now)
    return Transition(report)  # workflow.started: nothing a user sees changes


def _progress(report: MissionReport, update: JobUpdate, ctx: TransitionContext) -> Transition:
    if update.step_id is None:
        return Transition(report)
    try:
        progress = _reported_progress(ctx.definition, update)
    except UnknownStep:
        return Transition(report)
    updated = report.with_progress(progress, update.sequence, ctx.now)
    if update.draft_delta and update.draft_length is not None:
        # By its place in the text, not by its sequence: a delta that came late but
        # continues the draft exactly still belongs there (domain.draft.appended).
        drafted = updated.with_draft(update.draft_delta, update.draft_length, ctx.now)
        if len(drafted.draft) != len(updated.draft):
            return _drafted(drafted, update.draft_delta, ctx)
    if updated.progress == report.progress:
        return Transition(updated, changed=updated != report)
    updated, sequence = updated.next_sequence()
    payload = ProgressPayload(progress, updated.attempt, None, len(updated.draft))
    return Transition(updated, (_event(updated, sequence, ctx.now, payload),), changed=True)


def _reported_progress(definition: WorkflowDefinition, update: JobUpdate) -> Progress:
    """The step's progress; inside a step, the reported percentage kept within its range."""
    progress = definition.progress_at(update.step_id or "", finished=update.step_finished)
    if not update.is_within_step or update.percentage is None:
        return progress
    step = definition.step(progress.step_id)
    within = min(max(update.percentage, step.start_percentage), step.end_percentage)
    return replace(progress, percentage=round(within, 1))


def _drafted(report: MissionReport, delta: str, ctx: TransitionContext) -> Transition:
    """One progress event per piece of `delta`, so each fits a bus message (domain.draft)."""
    events = []
    length = len(report.draft) - len(delta)
    for piece in delta_pieces(delta):
        length += len(piece)
        report, sequence = report.next_sequence()
        payload = ProgressPayload(report.progress, report.attempt, piece, length)
        events.append(_event(report, sequence, ctx.now, payload))
    return Transition(report, tuple(events), changed=True)


def _completed(report: MissionReport, update: JobUpdate, ctx: TransitionContext) -> Transition:
    output = update.output
    if output is None:
        return _failed(report, UNPARSEABLE_PLAN, ctx.now)
    reading = ctx.plan_reading
    if reading is None or reading.source is not output.mission_plan:
        reading = read_plan(output.mission_plan)
    if reading.plan is None:
        return _failed(report, _plan_failure(report, reading.failure), ctx.now)
    plan = replace(
        reading.plan, sections=resolve_bundles(reading.plan.sections, ctx.known_bundle_ids)
    )
    updated = report.completed(plan, ctx.now, ctx.definition.final_progress())
    updated, done_sequence = updated.next_sequence()
    done = _event(updated, done_sequence, ctx.now, CompletedPayload(updated.attempt))
    notification = plan_ready_notification(
        ctx.notification_id, report.user_id, report.id, report.location_label, ctx.now
    )
    updated, note_sequence = updated.next_sequence()
    note = _event(updated, note_sequence, ctx.now, NotificationPayload.of(notification))
    return Transition(updated, (done, note), notification, changed=True)


def _plan_failure(report: MissionReport, failure: Exception | None) -> ReportError:
    if isinstance(failure, PlanTooLarge):
        return PLAN_TOO_LARGE
    if isinstance(failure, PlanParseError):
        return UNPARSEABLE_PLAN
    log.error("the plan of report %s broke the parser", report.id, exc_info=failure)
    return INVALID_RESULT


def _failed(report: MissionReport, error: ReportError, now: datetime) -> Transition:
    updated, sequence = report.failed(error, now).next_sequence()
    event = _event(updated, sequence, now, FailedPayload(error, updated.attempt))
    return Transition(updated, (event,), changed=True)


def _event(
    report: MissionReport, sequence: int, now: datetime, payload: EventPayload
) -> MissionEvent:
    return MissionEvent(report.id, report.user_id, sequence, now, payload)
