"""Reading a report for a viewer, reconciling it with the LLM service when stale."""

from __future__ import annotations

import logging
from datetime import timedelta

from domain.access import can_see, is_stale
from domain.errors import LLMServiceUnavailable
from domain.reconciliation import reconcile_report
from domain.report import MissionReport
from graph.context import Context

log = logging.getLogger(__name__)


async def read_report(context: Context, report_id: str) -> MissionReport | None:
    viewer = context.require_viewer()
    state = context.state
    report = await state.queries.report(report_id)
    if not can_see(report, viewer.user_id):
        return None
    stale_after = timedelta(seconds=state.settings.reconcile_after_seconds)
    if is_stale(report, state.deps.clock.now(), stale_after):
        # No news for a while: webhooks may have been lost, so ask the service.
        try:
            if await reconcile_report(state.deps, report):
                report = await state.queries.report(report_id)
        except LLMServiceUnavailable:
            log.warning("could not reconcile stale report %s", report_id)
        except Exception:
            # The stored report is still worth showing; the sweeper tries again later.
            log.exception("reconciling stale report %s failed", report_id)
    return report
