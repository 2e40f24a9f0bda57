"""Issue 8, point 4: when every webhook of a job dies, the API still finishes the report.

The LLM service runs on its own (uvicorn, its own database) with the API's
webhook URL unreachable; its retry window is short, so each delivery dies. The
API's stale-report sweeper then asks for the job's status and ends the report
COMPLETED with the plan, exactly as a webhook would have.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from domain.report import MissionStatus
from infra.db.engine import create_engines
from infra.db.tables import webhook_receipts
from llm_service.app import create_app as create_llm_app
from llm_service.settings import LLMServiceSettings
from tests.conftest import free_port
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import WEBHOOK_SECRET, running_api, settings_for
from tests.support.local_server import serving
from tests.support.waiting import wait_until

API_SECRET = "integration-api-secret"
REPORT = """query($id: ID!) { missionReport(id: $id) {
  status jobId plan { content sections { executiveSummary } } } }"""


@asynccontextmanager
async def standalone_llm_service(tmp_path: Path) -> AsyncIterator[str]:
    """The LLM service on a port of its own, with a 0.5 s webhook retry window."""
    settings = LLMServiceSettings(
        api_secret=API_SECRET,
        webhook_secret=WEBHOOK_SECRET,
        data_dir=tmp_path / "llm",
        offline_step_delay_ms=0,
        offline_chunk_delay_ms=0,
        webhook_retry_base_seconds=0.02,
        webhook_retry_max_seconds=0.1,
        webhook_retry_window_seconds=0.5,
        webhook_timeout_seconds=1.0,
    )
    async with serving(create_llm_app(settings, migrate_schema=True)) as base_url:
        yield base_url


async def llm_deliveries(llm_url: str, job_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=llm_url, headers={"X-API-Secret": API_SECRET}) as c:
        response = await c.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_report_whose_webhooks_all_died_is_completed_by_the_sweeper(
    database_url: str, tmp_path: Path
) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    async with standalone_llm_service(tmp_path) as llm_url:
        settings = settings_for(
            database_url,
            tmp_path,
            LLM_SERVICE_URL=llm_url,
            LLM_SERVICE_API_SECRET=API_SECRET,
            PUBLIC_BASE_URL=unreachable,
            RECONCILE_AFTER_SECONDS=1.0,
            SWEEP_INTERVAL_SECONDS=0.2,
        )
        async with running_api(settings) as api:
            user = f"user-{uuid.uuid4().hex[:10]}"
            body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
            assert "report" in body["data"]["submitMissionPlan"], body
            report = body["data"]["submitMissionPlan"]["report"]
            report_id, job_id = report["id"], report["jobId"]

            async def all_dead() -> dict[str, Any] | None:
                job = await llm_deliveries(llm_url, job_id)
                # Each of the job's events (its steps and its streamed plan) died.
                if job["status"] != "completed":
                    return None
                return job if job["deliveries"]["dead"] == job["sequence"] else None

            job = await wait_until(all_dead, what="every webhook of the job to die")
            assert job["status"] == "completed"
            assert job["deliveries"]["pending"] == job["deliveries"]["delivered"] == 0
            last = job["deliveries"]["last_attempt"]
            assert (last["status"], last["error_class"]) == ("error", "ConnectError")

            # Read the stored report only: a GraphQL read would reconcile it itself.
            async def completed_by_the_sweeper() -> bool:
                stored = await api.state.queries.report(report_id)
                return stored is not None and stored.status is MissionStatus.COMPLETED

            await wait_until(completed_by_the_sweeper)
            shown = await api.graphql(REPORT, {"id": report_id}, user=user)

    mission = shown["data"]["missionReport"]
    assert mission["status"] == "COMPLETED"
    assert mission["plan"]["content"].strip()
    assert mission["plan"]["sections"]["executiveSummary"].strip()
    assert await receipts_for(database_url, job_id) == 0  # no webhook ever reached the API


async def receipts_for(database_url: str, job_id: str) -> int:
    engines = create_engines(database_url)
    try:
        async with engines.reader.connect() as conn:
            stmt = select(func.count()).select_from(webhook_receipts)
            return int(
                (await conn.execute(stmt.where(webhook_receipts.c.job_id == job_id))).scalar_one()
            )
    finally:
        await engines.dispose()
