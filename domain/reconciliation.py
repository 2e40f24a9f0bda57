"""Reconciliation: when webhooks go quiet, ask the LLM service and apply its answer.

A stale read of a GENERATING report and the periodic sweeper both land here.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from domain.access import is_stale, stale_cutoff
from domain.errors import LLMServiceUnavailable
from domain.job_updates import apply_job_update
from domain.jobs import JobUpdate, JobUpdateType
from domain.operations import Dependencies
from domain.report import MissionReport

log = logging.getLogger(__name__)


async def reconcile_report(deps: Dependencies, report: MissionReport) -> bool:
    """Ask the LLM service where the report's job is and apply the answer."""
    if report.status.is_terminal:
        return False
    if report.job_id is None:
        update = _lost(report, "", deps.clock.now())
    else:
        fetched = await deps.llm.get_job(report.job_id)
        update = fetched or _lost(report, report.job_id, deps.clock.now())
    return await apply_job_update(deps, update)


async def sweep_stale_reports(deps: Dependencies, stale_after: timedelta, limit: int = 100) -> int:
    """Reconcile each GENERATING report without news for `stale_after`; count the changed.

    Each report is guarded on its own: one that cannot be reconciled is logged and
    skipped, so it never keeps the reports behind it (the list is oldest first) stale.
    """
    now = deps.clock.now()
    async with deps.uow() as uow:
        listed = await uow.reports.list_stale_generating(stale_cutoff(now, stale_after), limit)
    stale = [report for report in listed if is_stale(report, now, stale_after)]
    changed = 0
    for report in stale:
        try:
            if await reconcile_report(deps, report):
                changed += 1
        except LLMServiceUnavailable as exc:
            log.warning("could not reconcile report %s: %s", report.id, exc.message)
        except Exception:
            log.exception("reconciling report %s failed; the sweep goes on", report.id)
    return changed


def _lost(report: MissionReport, job_id: str, now: datetime) -> JobUpdate:
    return JobUpdate(
        job_id=job_id,
        type=JobUpdateType.LOST,
        sequence=report.last_job_sequence + 1,
        occurred_at=now,
        report_id=report.id,
        attempt=report.attempt,
    )
