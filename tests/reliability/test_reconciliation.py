"""Webhooks are not the only path: stale reads and the sweeper ask the LLM service."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from infra.webhook_signing import InvalidSignature
from tests.e2e.client import REPORT, SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.support.waiting import wait_until


def lose_every_webhook(api: ApiHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The LLM service keeps sending, but nothing it sends is ever accepted."""

    def refuse(body: bytes, headers: Any) -> str:
        raise InvalidSignature("lost in transit")

    monkeypatch.setattr(api.state.webhook_verifier, "verify", refuse)


async def submit(api: ApiHarness, user: str) -> dict[str, Any]:
    body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
    return body["data"]["submitMissionPlan"]["report"]


async def stored_status(api: ApiHarness, report_id: str) -> str:
    report = await api.state.queries.report(report_id)
    assert report is not None
    return report.status.value


@pytest.fixture
async def reading_api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    settings = settings_for(
        database_url, tmp_path, OFFLINE_STEP_DELAY_MS=0, RECONCILE_AFTER_SECONDS=0.3
    )
    async with running_api(settings) as harness:
        yield harness


async def test_reading_a_stale_report_reconciles_it(
    reading_api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = reading_api
    lose_every_webhook(api, monkeypatch)
    user = f"user-{uuid.uuid4().hex[:8]}"
    report = await submit(api, user)

    async def job_done() -> bool:
        job = await api.state.llm.get_job(report["jobId"])
        return job is not None and job.type.value == "workflow.completed"

    await wait_until(job_done, timeout=15)
    assert await stored_status(api, report["id"]) == "GENERATING"  # no webhook got through

    async def read_completed() -> dict[str, Any] | None:
        found = (await api.graphql(REPORT, {"id": report["id"]}, user=user))["data"][
            "missionReport"
        ]
        return found if found["status"] == "COMPLETED" else None

    read = await wait_until(read_completed, timeout=10, interval=0.2)
    assert read["plan"]["sections"]["executiveSummary"]
    assert read["usage"]["model"] == "offline-planner-v1"


@pytest.fixture
async def sweeping_api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    settings = settings_for(
        database_url,
        tmp_path,
        OFFLINE_STEP_DELAY_MS=0,
        RECONCILE_AFTER_SECONDS=0.3,
        SWEEP_INTERVAL_SECONDS=0.3,
    )
    async with running_api(settings) as harness:
        yield harness


async def test_the_sweeper_finishes_a_job_whose_webhooks_were_all_lost(
    sweeping_api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = sweeping_api
    lose_every_webhook(api, monkeypatch)
    report = await submit(api, f"user-{uuid.uuid4().hex[:8]}")

    async def completed() -> bool:
        return await stored_status(api, report["id"]) == "COMPLETED"

    await wait_until(completed, timeout=20, interval=0.2)
    events = await api.state.queries.events_after(report["id"], 0)
    assert [e.type.value for e in events][-2:] == ["completed", "notification"]


async def test_the_sweeper_fails_jobs_the_service_no_longer_knows(
    sweeping_api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = sweeping_api
    lose_every_webhook(api, monkeypatch)
    user = f"user-{uuid.uuid4().hex[:8]}"
    report = await submit(api, user)
    await api.state.llm.cancel_jobs([report["jobId"]])  # the service forgets the job

    async def failed() -> bool:
        return await stored_status(api, report["id"]) == "FAILED"

    await wait_until(failed, timeout=20, interval=0.2)
    body = await api.graphql(REPORT, {"id": report["id"]}, user=user)
    error = body["data"]["missionReport"]["error"]
    assert error["code"] == "JOB_LOST" and error["retryable"] is True
