"""The operation tests' users, a model failure, and the updates that end a report."""

from __future__ import annotations

from domain.job_updates import apply_job_update
from domain.jobs import JobUpdateType
from domain.operations import submit_mission_plan
from domain.report import MissionReport, Progress, ReportError
from tests.unit.fakes import Fakes, completed_output, job_update, valid_input

USER = "user-1"
OTHER_USER = "user-2"
MODEL_DOWN = ReportError("model_unavailable", "The model did not answer.", True)

# Step 0 of the six mission_generation steps, at 0%: never "of 0".
QUEUED = Progress("queued", "Queued", 0, 6, 0.0)


async def submit(fakes: Fakes, user_id: str = USER, key: str | None = None) -> MissionReport:
    return await submit_mission_plan(fakes.deps, user_id, valid_input(), key)


async def fail(fakes: Fakes, report: MissionReport, error: ReportError = MODEL_DOWN) -> None:
    update = job_update(
        JobUpdateType.FAILED,
        job_id=report.job_id or "",
        report_id=report.id,
        attempt=report.attempt,
        sequence=report.last_job_sequence + 1,
        error=error,
    )
    assert await apply_job_update(fakes.deps, update)


async def complete(fakes: Fakes, report: MissionReport) -> None:
    update = job_update(
        JobUpdateType.COMPLETED,
        job_id=report.job_id or "",
        report_id=report.id,
        attempt=report.attempt,
        sequence=report.last_job_sequence + 1,
        output=completed_output(),
    )
    assert await apply_job_update(fakes.deps, update)


def stored(fakes: Fakes, report_id: str) -> MissionReport:
    return fakes.store.reports[report_id]
