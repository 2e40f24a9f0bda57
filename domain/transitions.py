"""How one job update changes a report: a pure function, the heart of the rules.

Status only moves forward; stale, duplicate or out-of-order updates change
nothing. Each visible change yields the event-log rows to write with it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from domain.events import EventType, MissionEvent
from domain.jobs import JobUpdate, JobUpdateType
from domain.notifications import Notification, plan_ready_notification
from domain.plan import MAX_PLAN_CHARS, PlanTooLarge, resolve_bundles
from domain.plan_text import PlanReading, read_plan
from domain.pricing import cost_usd
from domain.report import MissionReport, Progress, ReportError, Usage
from domain.workflow import UnknownStep, WorkflowDefinition

JOB_CANCELLED = ReportError(
    "job_cancelled",
    "The plan generator stopped this job before it finished. Retry to start again.",
    True,
)
JOB_LOST = ReportError(
    "job_lost",
    "The plan generator no longer knows this job, so it will not finish. Retry to start again.",
    True,
)
UNPARSEABLE_PLAN = ReportError(
    "unparseable_plan",
    "The generated plan could not be read (no executive summary). Retry to generate it again.",
    True,
)
PLAN_TOO_LARGE = ReportError(
    "plan_too_large",
    f"The generated plan was longer than the {MAX_PLAN_CHARS:,} characters a plan may have."
    " Retry to generate it again.",
    True,
)


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
        error = update.error or ReportError("generation_failed", "Generation failed.", True)
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
        step = ctx.definition.step(update.step_id)
    except UnknownStep:
        return Transition(report)
    progress = Progress(
        step_id=step.step_id,
        step_name=step.display_name,
        step_index=step.index,
        step_count=ctx.definition.step_count,
        percentage=step.end_percentage if update.step_finished else step.start_percentage,
    )
    updated = report.with_progress(progress, update.sequence, ctx.now)
    if updated.progress == report.progress:
        return Transition(updated, changed=updated != report)
    updated, sequence = updated.next_sequence()
    payload = {"progress": progress.to_dict(), "attempt": updated.attempt}
    event = _event(updated, sequence, EventType.PROGRESS, ctx.now, payload)
    return Transition(updated, (event,), changed=True)


def _completed(report: MissionReport, update: JobUpdate, ctx: TransitionContext) -> Transition:
    output = update.output
    if output is None:
        return _failed(report, UNPARSEABLE_PLAN, ctx.now)
    reading = ctx.plan_reading
    if reading is None or reading.source is not output.mission_plan:
        reading = read_plan(output.mission_plan)
    if reading.plan is None:
        error = PLAN_TOO_LARGE if isinstance(reading.failure, PlanTooLarge) else UNPARSEABLE_PLAN
        return _failed(report, error, ctx.now)
    plan = replace(
        reading.plan, sections=resolve_bundles(reading.plan.sections, ctx.known_bundle_ids)
    )
    usage = None
    if output.usage is not None:
        u = output.usage
        usage = Usage(u.model, u.input_tokens, u.output_tokens, u.duration_ms, cost_usd(u))
    updated = report.completed(plan, usage, ctx.now, _final_progress(ctx.definition))
    updated, done_sequence = updated.next_sequence()
    done = _event(
        updated, done_sequence, EventType.COMPLETED, ctx.now, {"attempt": updated.attempt}
    )
    notification = plan_ready_notification(
        ctx.notification_id, report.user_id, report.id, report.location_label, ctx.now
    )
    updated, note_sequence = updated.next_sequence()
    note = _event(
        updated, note_sequence, EventType.NOTIFICATION, ctx.now, notification_payload(notification)
    )
    return Transition(updated, (done, note), notification, changed=True)


def _final_progress(definition: WorkflowDefinition) -> Progress | None:
    """The last step, done: what a completed report shows whichever progress came before."""
    if not definition.steps:
        return None
    last = definition.progress_of_steps()[-1]
    return Progress(last.step_id, last.display_name, last.index, definition.step_count, 100.0)


def _failed(report: MissionReport, error: ReportError, now: datetime) -> Transition:
    updated, sequence = report.failed(error, now).next_sequence()
    payload = {"error": error.to_dict(), "attempt": updated.attempt}
    return Transition(
        updated, (_event(updated, sequence, EventType.FAILED, now, payload),), changed=True
    )


def notification_payload(notification: Notification) -> dict[str, Any]:
    return {
        "notification_id": notification.id,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
    }


def _event(
    report: MissionReport,
    sequence: int,
    type_: EventType,
    now: datetime,
    payload: dict[str, Any],
) -> MissionEvent:
    return MissionEvent(report.id, report.user_id, sequence, type_, now, payload)
