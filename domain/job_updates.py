"""Applying one job update from the LLM service (a webhook, or a status poll) exactly once."""

from __future__ import annotations

import logging
from dataclasses import replace

from domain.failures import INVALID_RESULT
from domain.jobs import JobUpdate, JobUpdateType
from domain.operations import Dependencies
from domain.plan_text import read_plan_off_loop
from domain.ports import UnitOfWork, UnstorableData
from domain.report import MissionReport
from domain.transitions import TransitionContext, apply_update
from domain.usage import AttemptUsage, by_call

log = logging.getLogger(__name__)


async def apply_job_update(
    deps: Dependencies, update: JobUpdate, webhook_id: str | None = None
) -> bool:
    """Apply one update exactly once. Returns True when the report changed.

    An update the database refuses to store (a value it cannot encode, one too
    long) fails the report as `invalid_result` instead: refusing the webhook would
    leave the report generating forever, and every retry would fail the same way.
    """
    try:
        return await _apply_once(deps, update, webhook_id)
    except UnstorableData:
        if update.error == INVALID_RESULT:
            raise
        log.exception("job %s sent an update the database refused", update.job_id)
        failure = replace(update, type=JobUpdateType.FAILED, output=None, error=INVALID_RESULT)
        return await _apply_once(deps, failure, webhook_id)


async def _apply_once(deps: Dependencies, update: JobUpdate, webhook_id: str | None) -> bool:
    """The webhook receipt is stored in the same transaction as the change, so a
    duplicate delivery, even a concurrent one, finds it and changes nothing.
    """
    definition = await deps.llm.get_workflow(deps.workflow_name)
    known_bundles = await deps.catalog.known_ids()
    plan_reading = await read_plan_off_loop(update)  # before the row lock, off the loop
    async with deps.uow() as uow:
        if webhook_id is not None:
            first_delivery = await uow.receipts.record(webhook_id, update.job_id, update.type.value)
            if not first_delivery:
                return False
        report = await _target_report(uow, update)
        # Each call once: the events of a job repeat its list, and a status poll may too.
        usage = [
            call
            for call in await _attempt_usage(deps, uow, update, report)
            if await uow.usage.record(call)
        ]
        if report is None:
            await uow.commit()  # keep the receipt: unknown jobs are acknowledged and ignored
            _count_usage(deps, usage)
            return False
        ctx = TransitionContext(
            definition, known_bundles, deps.clock.now(), deps.new_id(), plan_reading
        )
        transition = apply_update(report, update, ctx)
        if transition.changed:
            await uow.reports.save(transition.report, transition.events)
            if transition.notification is not None:
                await uow.notifications.add(transition.notification)
        await uow.commit()
    _count_usage(deps, usage)
    if transition.events:
        await deps.publisher.publish(transition.events)
    return transition.changed


def _count_usage(deps: Dependencies, stored: list[AttemptUsage]) -> None:
    for call in stored:
        deps.usage_meter.count(call)


async def _attempt_usage(
    deps: Dependencies, uow: UnitOfWork, update: JobUpdate, report: MissionReport | None
) -> list[AttemptUsage]:
    """The usage the update reports, one priced entry per model call, with the report
    and attempt it belongs to.

    It counts even when the update changes nothing else: a late webhook of an earlier
    attempt, or the `workflow.cancelled` of a report the user cancelled (and so deleted).
    """
    calls = by_call(update.usage)
    if not calls:
        return []
    owner = await _usage_owner(uow, update, report)
    if owner is None:
        return []
    report_id, user_id, attempt = owner
    now = deps.clock.now()
    return [
        AttemptUsage.priced(
            steps,
            deps.prices,
            report_id=report_id,
            attempt=attempt,
            user_id=user_id,
            job_id=update.job_id,
            now=now,
        )
        for steps in calls
    ]


async def _usage_owner(
    uow: UnitOfWork, update: JobUpdate, target: MissionReport | None
) -> tuple[str, str, int] | None:
    """(report id, user id, attempt); None for a job no report of ours ever started."""
    if target is not None:
        return target.id, target.user_id, update.attempt or target.attempt
    if update.report_id is not None:
        stored = await uow.reports.get(update.report_id)
    else:
        stored = await uow.reports.get_by_job_id(update.job_id)
    if stored is not None:
        return stored.id, stored.user_id, update.attempt or stored.attempt
    report_id, user_id, attempt = update.report_id, update.user_id, update.attempt
    if report_id is None or user_id is None or attempt is None:
        return None
    if await uow.events.find_cancellation(report_id, user_id) is None:
        return None
    return report_id, user_id, attempt


async def _target_report(uow: UnitOfWork, update: JobUpdate) -> MissionReport | None:
    if update.report_id is not None:
        report = await uow.reports.get(update.report_id, for_update=True)
    else:
        report = await uow.reports.get_by_job_id(update.job_id)
        if report is not None:
            report = await uow.reports.get(report.id, for_update=True)
    if report is None:
        return None
    # A webhook of an earlier attempt, or of a job this report no longer owns, is stale.
    if update.attempt is not None and update.attempt != report.attempt:
        return None
    if report.job_id is not None and update.job_id and report.job_id != update.job_id:
        return None
    return report
