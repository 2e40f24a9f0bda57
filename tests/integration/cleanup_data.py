"""Old and recent data for the admin cleanup tests; the SQL that makes things old lives here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.tables import mission_events, webhook_receipts
from llm_service.job_store import JobStore, NewJob
from llm_service.tables import RUNNING, jobs_table, outbox_table
from tests.e2e.client import REPORT, SUBMIT, WIZARD
from tests.integration.harness import ApiHarness
from tests.support.waiting import wait_until
from tests.support.workflow_steps import FORMAT_BUNDLES

CLEANUP = """
mutation Cleanup($days: Int!, $dry: Boolean!) {
  cleanupOldJobs(olderThanDays: $days, dryRun: $dry) {
    __typename
    ... on CleanupOldJobsSuccess {
      matched deleted dryRun cutoff
      deliveriesMatched deliveriesDeleted receiptsMatched receiptsDeleted
    }
    ... on PermissionDeniedError { message }
    ... on ValidationError { message field errors { field code } }
    ... on ServiceUnavailableError { message }
  }
}
"""


@dataclass(frozen=True)
class CleanupScene:
    """One user's two completed plans (the first one's job made old) and two active jobs."""

    user: str
    old_report: str
    old_job: str
    new_report: str
    new_job: str
    queued_job: str
    running_job: str
    old_receipts: int
    old_deliveries: int

    @property
    def active_jobs(self) -> tuple[str, str]:
        return self.queued_job, self.running_job


async def cleanup_scene(
    api: ApiHarness, engine: AsyncEngine, *, age_days: float = 10
) -> CleanupScene:
    user = f"user-{uuid.uuid4().hex[:10]}"
    old_report, old_job = await completed_plan(api, engine, user)
    new_report, new_job = await completed_plan(api, engine, user)
    await age(engine, old_job, days=age_days)
    queued, running = await active_job(engine, "queued"), await active_job(engine, RUNNING)
    for job_id in (queued, running):
        await age(engine, job_id, days=age_days * 3)
    return CleanupScene(
        user,
        old_report,
        old_job,
        new_report,
        new_job,
        queued,
        running,
        old_receipts=await receipts_of(engine, old_job),
        old_deliveries=await deliveries_of(engine, old_job),
    )


async def completed_plan(api: ApiHarness, engine: AsyncEngine, user: str) -> tuple[str, str]:
    submitted = (await api.graphql(SUBMIT, {"input": WIZARD}, user=user))["data"]
    report = submitted["submitMissionPlan"]["report"]

    async def completed() -> bool:
        body = await api.graphql(REPORT, {"id": report["id"]}, user=user)
        return body["data"]["missionReport"]["status"] == "COMPLETED"

    await wait_until(completed)
    await deliveries_settled(engine, report["jobId"])
    return report["id"], report["jobId"]


async def deliveries_settled(engine: AsyncEngine, job_id: str) -> None:
    """The API answered every webhook of the job (the sender marks them just after)."""
    pending = select(func.count()).where(
        outbox_table.c.job_id == job_id, outbox_table.c.delivered_at.is_(None)
    )

    async def settled() -> bool:
        async with engine.connect() as conn:
            return (await conn.execute(pending)).scalar_one() == 0

    await wait_until(settled)


async def active_job(engine: AsyncEngine, status: str) -> str:
    """A job another, live, runner holds: this process's runner never takes it over."""
    job = NewJob(str(uuid.uuid4()), "mission_generation", (FORMAT_BUNDLES,), {}, {}, None)
    await JobStore(engine, on_outbox_write=lambda: None).create_job(job, runner_id="elsewhere")
    live = datetime.now(UTC) + timedelta(days=1)
    async with engine.begin() as conn:
        await conn.execute(
            update(jobs_table)
            .where(jobs_table.c.id == job.id)
            .values(status=status, heartbeat_at=live)
        )
    return job.id


async def age(engine: AsyncEngine, job_id: str, *, days: float) -> None:
    """Makes the job, its webhook deliveries and the API's receipts of them `days` old."""
    then = datetime.now(UTC) - timedelta(days=days)
    async with engine.begin() as conn:
        await conn.execute(
            update(jobs_table).where(jobs_table.c.id == job_id).values(created_at=then)
        )
        await conn.execute(
            update(outbox_table).where(outbox_table.c.job_id == job_id).values(created_at=then)
        )
        await conn.execute(
            update(webhook_receipts)
            .where(webhook_receipts.c.job_id == job_id)
            .values(received_at=then)
        )


async def receipts_of(engine: AsyncEngine, job_id: str) -> int:
    return await _count(engine, webhook_receipts.c.job_id == job_id)


async def deliveries_of(engine: AsyncEngine, job_id: str) -> int:
    return await _count(engine, outbox_table.c.job_id == job_id)


async def events_of(engine: AsyncEngine, report_id: str) -> int:
    return await _count(engine, mission_events.c.report_id == report_id)


async def job_exists(engine: AsyncEngine, job_id: str) -> bool:
    return await _count(engine, jobs_table.c.id == job_id) == 1


async def _count(engine: AsyncEngine, condition: object) -> int:
    query = select(func.count()).where(condition)  # type: ignore[arg-type]
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())
