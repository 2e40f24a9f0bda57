"""Generating reports written straight into the database: thousands in a second.

Submitting through the API costs a request, a job and its first webhooks per
report; a benchmark that only needs reports to move on (webhooks) seeds them here
through the app's own row mapping. Their jobs exist nowhere, so the API must not
reconcile them during a run (RECONCILE_AFTER_SECONDS is set high by the scripts).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import common
from domain.event_log import MissionEvent, ProgressPayload
from domain.report import MissionReport, MissionStatus, Progress
from domain.wizard import (
    BudgetTier,
    FamilyMember,
    Location,
    MissionPlanInput,
    MobilityPlan,
    MobilityStrategy,
    Scenario,
)
from infra.db.mapping import event_to_row, report_to_row
from infra.db.tables import mission_events, mission_reports

INPUT = MissionPlanInput(
    location=Location("Miami", "FL"),
    scenarios=(Scenario.HURRICANE, Scenario.POWER_GRID_FAILURE),
    family_members=(FamilyMember(38, "Ana"), FamilyMember(71, "Luis")),
    mobility_plan=MobilityPlan(MobilityStrategy.FLEXIBLE, has_vehicle=True),
    budget_tier=BudgetTier.STANDARD,
)
# The API's env for a run on seeded reports: no reconciliation of jobs that exist nowhere.
NO_RECONCILIATION = {"RECONCILE_AFTER_SECONDS": "86400", "SWEEP_INTERVAL_SECONDS": "86400"}


async def seed_generating(url: str, count: int, prefix: str) -> list[dict[str, Any]]:
    """`count` GENERATING reports, one user each; returns them as {id, jobId, user}."""
    steps = common.workflow_definition().progress_of_steps()
    first = steps[0]
    now = datetime.now(UTC)
    reports, rows, events = [], [], []
    for n in range(count):
        user = f"{prefix}-{n:05d}"
        report = MissionReport(
            id=str(uuid.uuid4()), user_id=user, input=INPUT, status=MissionStatus.GENERATING,
            created_at=now, updated_at=now, job_id=f"job-{uuid.uuid4().hex}",
            last_sequence=1, last_job_sequence=1,
            progress=Progress(first.step_id, first.display_name, first.index, len(steps), 0.0),
        )  # fmt: skip
        rows.append(report_to_row(report))
        # A subscription starts from the log's latest state: the report's first event.
        snapshot = ProgressPayload(report.progress, report.attempt)
        events.append(event_to_row(MissionEvent(report.id, user, 1, now, snapshot)))
        reports.append({"id": report.id, "jobId": report.job_id, "user": user})
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for start in range(0, len(rows), 500):
                await conn.execute(insert(mission_reports), rows[start : start + 500])
                await conn.execute(insert(mission_events), events[start : start + 500])
    finally:
        await engine.dispose()
    return reports


# The API lets one user hold 10 connections (WS_MAX_CONNECTIONS_PER_USER); closed ones
# take a moment to count down, so a benchmark keeps each user well under it.
SUBSCRIPTIONS_PER_USER = 6


def users_for(subscriptions: int, at_least: int) -> int:
    """How many reports (one user each) carry `subscriptions` under the per-user cap."""
    return max(at_least, -(-subscriptions // SUBSCRIPTIONS_PER_USER))


def subscription_servers(workdir: Path, database: str) -> tuple[common.Server, common.Server]:
    """The API with reports that stay GENERATING (no job moves, no reconciliation) and
    the raw websocket fan-out it is compared with: the pair the subscription benchmarks use."""
    api = common.api_server(
        workdir, database, OFFLINE_STEP_DELAY_MS=common.STALLED_STEP_DELAY_MS,
        **NO_RECONCILIATION,
    )  # fmt: skip
    base = common.baseline_server(workdir, "benchmarks.baseline_fanout:app", "/healthz")
    return api, base
