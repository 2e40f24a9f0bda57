"""Business operations on mission reports: submit, cancel, retry, dismiss.

Each takes its collaborators in `Dependencies`, runs short transactions and
publishes the events it wrote only after they are committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from domain.access import can_see
from domain.errors import (
    ActiveJobLimitReached,
    CannotCancelCompleted,
    IdempotencyKeyConflict,
    IdempotencyKeyInFlight,
    InvalidInput,
    LLMServiceUnavailable,
    NotificationNotFound,
    NotRetryable,
    PermanentFailure,
    ReportNotFound,
    SubmissionRateLimited,
)
from domain.event_log import CancelledPayload, FailedPayload, MissionEvent, ProgressPayload
from domain.field_errors import FieldError, FieldErrorCode, InvalidMissionInput
from domain.notifications import Notification
from domain.ports import (
    BundleCatalog,
    Clock,
    DuplicateIdempotencyKey,
    EventPublisher,
    IdGenerator,
    LLMService,
    UnitOfWork,
    UnitOfWorkFactory,
    UsageMeter,
)
from domain.rate_limit import SubmissionRateLimit
from domain.report import MissionReport, MissionStatus, Progress
from domain.usage import NO_METER, NO_PRICES, PriceTable
from domain.validation import validate_mission_input
from domain.wizard import MissionPlanInput
from domain.workflow import MISSION_GENERATION

MAX_IDEMPOTENCY_KEY_LENGTH = 255
SUBMIT_POLL_SECONDS = 0.1
# What a request told its key is still in flight should wait before sending it again;
# short, since it has already waited submit_wait_seconds for the first one.
IN_FLIGHT_RETRY_AFTER_SECONDS = 5
DEFAULT_SUBMISSION_RATE_LIMIT = SubmissionRateLimit()


@dataclass(frozen=True)
class Dependencies:
    uow: UnitOfWorkFactory
    llm: LLMService
    publisher: EventPublisher
    catalog: BundleCatalog
    clock: Clock
    new_id: IdGenerator
    workflow_name: str = MISSION_GENERATION
    max_active_jobs: int = 3
    # What a user is told to wait when at the active-job limit: about one generation.
    retry_after_seconds: int = 60
    submission_rate_limit: SubmissionRateLimit = DEFAULT_SUBMISSION_RATE_LIMIT
    # How long a request waits for another one with the same idempotency key to submit.
    submit_wait_seconds: float = 15.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    # Prices a step whose provider reported no cost; the meter counts each stored usage.
    prices: PriceTable = NO_PRICES
    usage_meter: UsageMeter = NO_METER


async def submit_mission_plan(
    deps: Dependencies,
    user_id: str,
    candidate: MissionPlanInput,
    idempotency_key: str | None = None,
) -> MissionReport:
    plan_input = _validated(candidate, idempotency_key)
    # Bounded: each round either returns, or lost a race for the key to a request
    # that has since settled one way or the other.
    for _ in range(3):
        if idempotency_key:
            existing = await _settled_report_for_key(deps, user_id, idempotency_key)
            if existing is not None:
                if existing.input != plan_input:
                    raise IdempotencyKeyConflict()
                return existing
        queued_progress = await _queued_progress(deps)
        created = await _create_report(deps, user_id, plan_input, idempotency_key, queued_progress)
        if created is not None:
            report, queued = created
            return await _start_attempt(deps, report, queued, on_failure=_discard_new_report)
    raise IdempotencyKeyInFlight(IN_FLIGHT_RETRY_AFTER_SECONDS)


async def _create_report(
    deps: Dependencies,
    user_id: str,
    plan_input: MissionPlanInput,
    key: str | None,
    queued_progress: Progress,
) -> tuple[MissionReport, MissionEvent] | None:
    """Commits the new report and its queued event; None when the key was taken meanwhile."""
    async with deps.uow() as uow:
        await uow.reports.lock_user(user_id)
        if key and await uow.reports.get_by_idempotency_key(user_id, key) is not None:
            return None
        await _ensure_below_active_limit(deps, uow, user_id)
        now = deps.clock.now()
        await _ensure_below_rate_limit(deps, uow, user_id, now)
        report = MissionReport(
            id=deps.new_id(),
            user_id=user_id,
            input=plan_input,
            status=MissionStatus.GENERATING,
            created_at=now,
            updated_at=now,
            progress=queued_progress,
            idempotency_key=key,
        )
        report, queued = _queued_event(report)
        try:
            await uow.reports.add(report)
        except DuplicateIdempotencyKey:
            return None  # a concurrent request with the same key won the insert
        await uow.events.append(queued)
        await _record_attempt(deps, uow, report)
        await uow.commit()
    return report, queued


async def _settled_report_for_key(
    deps: Dependencies, user_id: str, key: str
) -> MissionReport | None:
    """The report this key already made, once its job is submitted.

    While another request with the same key is still submitting the job, its
    report has no job id yet and may yet be discarded (if the LLM service is
    down): answering with it could hand out an id that is about to vanish.
    """
    for _ in range(max(1, int(deps.submit_wait_seconds / SUBMIT_POLL_SECONDS))):
        async with deps.uow() as uow:
            existing = await uow.reports.get_by_idempotency_key(user_id, key)
        if existing is None or existing.job_id is not None or existing.status.is_terminal:
            return existing
        await deps.sleep(SUBMIT_POLL_SECONDS)
    raise IdempotencyKeyInFlight(IN_FLIGHT_RETRY_AFTER_SECONDS)


async def retry_mission_plan(deps: Dependencies, user_id: str, report_id: str) -> MissionReport:
    queued_progress = await _queued_progress(deps)
    async with deps.uow() as uow:
        await uow.reports.lock_user(user_id)
        failed = await _owned_report(uow, user_id, report_id, for_update=True)
        if failed.status is not MissionStatus.FAILED:
            raise NotRetryable()
        if failed.error is not None and not failed.error.retryable:
            raise PermanentFailure(failed.error.code)
        await _ensure_below_active_limit(deps, uow, user_id)
        now = deps.clock.now()
        await _ensure_below_rate_limit(deps, uow, user_id, now)
        report, queued = _queued_event(failed.new_attempt(now, queued_progress))
        await uow.reports.save(report)
        await uow.events.append(queued)
        await _record_attempt(deps, uow, report)
        await uow.commit()

    async def restore_failed(deps: Dependencies, report: MissionReport) -> None:
        await _restore_failure(deps, report, failed)

    return await _start_attempt(deps, report, queued, on_failure=restore_failed)


async def cancel_mission_plan(deps: Dependencies, user_id: str, report_id: str) -> None:
    """Stops the job and deletes the report. Cancelling again succeeds and changes nothing."""
    async with deps.uow() as uow:
        report = await uow.reports.get(report_id)
        if not can_see(report, user_id):
            if await uow.events.find_cancellation(report_id, user_id) is not None:
                return
            raise ReportNotFound()
    if report.status is MissionStatus.COMPLETED:
        raise CannotCancelCompleted()
    if report.job_id is not None:
        await deps.llm.cancel_jobs([report.job_id])
    async with deps.uow() as uow:
        current = await uow.reports.get(report_id, for_update=True)
        if current is None:
            return  # a concurrent cancel finished first
        if current.status is MissionStatus.COMPLETED:
            raise CannotCancelCompleted()
        current, sequence = current.next_sequence()
        event = MissionEvent(current.id, user_id, sequence, deps.clock.now(), CancelledPayload())
        await uow.events.append(event)
        await uow.reports.delete(report_id)
        await uow.commit()
    await deps.publisher.publish([event])


async def dismiss_notification(
    deps: Dependencies, user_id: str, notification_id: str
) -> Notification:
    async with deps.uow() as uow:
        notification = await uow.notifications.get(notification_id)
        if not can_see(notification, user_id):
            raise NotificationNotFound()
        dismissed = notification.dismissed(deps.clock.now())
        if dismissed is not notification:
            await uow.notifications.save(dismissed)
            await uow.commit()
    return dismissed


def _validated(candidate: MissionPlanInput, idempotency_key: str | None) -> MissionPlanInput:
    errors: list[FieldError] = []
    plan_input = candidate
    try:
        plan_input = validate_mission_input(candidate)
    except InvalidMissionInput as invalid:
        errors.extend(invalid.errors)
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        errors.append(
            FieldError(
                "idempotencyKey",
                f"must be between 1 and {MAX_IDEMPOTENCY_KEY_LENGTH} characters",
                FieldErrorCode.OUT_OF_RANGE,
            )
        )
    if errors:
        raise InvalidInput(tuple(errors))
    return plan_input


async def _ensure_below_active_limit(deps: Dependencies, uow: UnitOfWork, user_id: str) -> None:
    active = await uow.reports.count_by_status(user_id, MissionStatus.GENERATING)
    if active >= deps.max_active_jobs:
        raise ActiveJobLimitReached(deps.max_active_jobs, deps.retry_after_seconds)


async def _ensure_below_rate_limit(
    deps: Dependencies, uow: UnitOfWork, user_id: str, now: datetime
) -> None:
    limit = deps.submission_rate_limit
    if not limit.enabled:
        return
    recent = await uow.submissions.times_since(user_id, limit.window_start(now), limit.max_attempts)
    retry_after = limit.retry_after_seconds(now, recent)
    if retry_after is not None:
        window_seconds = int(limit.window.total_seconds())
        raise SubmissionRateLimited(limit.max_attempts, window_seconds, retry_after)


async def _record_attempt(deps: Dependencies, uow: UnitOfWork, report: MissionReport) -> None:
    if deps.submission_rate_limit.enabled:
        keep_after = deps.submission_rate_limit.window_start(report.updated_at)
        await uow.submissions.record(report.user_id, report.id, report.updated_at, keep_after)


async def _owned_report(
    uow: UnitOfWork, user_id: str, report_id: str, *, for_update: bool = False
) -> MissionReport:
    report = await uow.reports.get(report_id, for_update=for_update)
    if not can_see(report, user_id):
        raise ReportNotFound()
    return report


async def _queued_progress(deps: Dependencies) -> Progress:
    """Step 0 of the workflow's real step count (the definition is cached by the client)."""
    return (await deps.llm.get_workflow(deps.workflow_name)).queued_progress()


def _queued_event(report: MissionReport) -> tuple[MissionReport, MissionEvent]:
    report, sequence = report.next_sequence()
    payload = ProgressPayload(report.progress, report.attempt)
    event = MissionEvent(report.id, report.user_id, sequence, report.updated_at, payload)
    return report, event


# Undoes what an attempt committed when its job could not be submitted.
FailureHandler = Callable[["Dependencies", MissionReport], Awaitable[None]]


async def _start_attempt(
    deps: Dependencies,
    report: MissionReport,
    queued: MissionEvent,
    *,
    on_failure: FailureHandler,
) -> MissionReport:
    """Submit the attempt's job; the report is committed first so no webhook can miss it."""
    bundles = await deps.catalog.bundles_for_scenarios([s.value for s in report.input.scenarios])
    metadata = {"report_id": report.id, "user_id": report.user_id, "attempt": report.attempt}
    try:
        job_id = await deps.llm.submit_workflow(
            deps.workflow_name, {"wizard": report.input.to_dict(), "bundles": bundles}, metadata
        )
    except LLMServiceUnavailable:
        await on_failure(deps, report)
        raise
    async with deps.uow() as uow:
        current = await uow.reports.get(report.id, for_update=True)
        if current is None or current.attempt != report.attempt:
            orphan = True
        else:
            orphan = False
            if current.job_id is None:
                current = current.with_job(job_id, deps.clock.now())
                await uow.reports.save(current)
                await uow.commit()
    if orphan:
        # Cancelled while the job was being submitted: stop the job we just started.
        await deps.llm.cancel_jobs([job_id])
        raise ReportNotFound()
    await deps.publisher.publish([queued])
    assert current is not None
    return current


async def _discard_new_report(deps: Dependencies, report: MissionReport) -> None:
    async with deps.uow() as uow:
        await uow.reports.delete(report.id)
        await uow.events.delete_for_report(report.id)
        await uow.commit()


async def _restore_failure(
    deps: Dependencies, report: MissionReport, failed: MissionReport
) -> None:
    async with deps.uow() as uow:
        current = await uow.reports.get(report.id, for_update=True)
        if current is None or current.attempt != report.attempt or current.job_id is not None:
            return
        restored = replace(failed, last_sequence=current.last_sequence)
        assert failed.error is not None
        restored, sequence = restored.next_sequence()
        payload = FailedPayload(failed.error, restored.attempt)
        event = MissionEvent(report.id, report.user_id, sequence, deps.clock.now(), payload)
        await uow.reports.save(restored)
        await uow.events.append(event)
        await uow.commit()
    await deps.publisher.publish([event])
