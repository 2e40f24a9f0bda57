"""Issue 6, points 3 and 4: whatever the LLM service or its model sends, a report finishes.

Each case ends with what the user sees through GraphQL, on SQLite and on PostgreSQL
(where NUL, lone surrogates and over-long ids used to answer 500 forever).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from domain.failures import MissionErrorCode, report_error
from domain.reconciliation import sweep_stale_reports
from infra.db.engine import create_engines
from llm_service.providers import OpenAICompatibleProvider
from llm_service.settings import LLMServiceSettings
from llm_service.tables import jobs_table
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.support.fake_openai import Reply, running_fake_openai
from tests.support.job_events import PLAN, USAGE, webhook_event
from tests.support.waiting import wait_until

REPORT_QUERY = """query($id: ID!) { missionReport(id: $id) {
  status error { code message retryable } plan { content } } }"""
RETRY = """mutation($id: ID!) { retryMissionPlan(reportId: $id) { __typename
  ... on RetryMissionPlanSuccess { report { status attempt } } } }"""
# What a provider once put in a 500: the password must reach no user.
SECRET_BODY = (
    '{"error": "pool exhausted: postgresql://llm:S3cr3t-Pa55@10.0.0.7:5432/prod", '
    '"trace": "Traceback (most recent call last): sk-live-0123456789abcdef"}'
)
SECRET_PARTS = ("S3cr3t-Pa55", "postgresql://", "10.0.0.7", "Traceback", "sk-live", "pool")


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    # The embedded job stalls on its first step: only our webhooks move the report.
    settings = settings_for(
        database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000, RECONCILE_AFTER_SECONDS=0.2
    )
    async with running_api(settings) as harness:
        yield harness


async def new_report(api: ApiHarness) -> tuple[str, dict[str, Any]]:
    user = f"user-{uuid.uuid4().hex[:10]}"
    body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
    return user, body["data"]["submitMissionPlan"]["report"]


async def shown(api: ApiHarness, user: str, report_id: str) -> dict[str, Any]:
    body = await api.graphql(REPORT_QUERY, {"id": report_id}, user=user)
    assert "errors" not in body, body
    return body["data"]["missionReport"]


def completed(report: dict[str, Any], output: dict[str, Any]) -> dict[str, Any]:
    return webhook_event(report, "workflow.completed", 60, output=output)


def shown_error(code: str) -> dict[str, object]:
    """The report's error as GraphQL shows it: the code as its MissionErrorCode name."""
    return {**report_error(code).to_dict(), "code": MissionErrorCode.of(code).name}


INVALID_RESULT = shown_error("invalid_result")


@pytest.mark.parametrize(
    "output",
    [
        {"mission_plan": PLAN, "llm_usage": {**USAGE, "input_tokens": 2**40}},
        {"mission_plan": PLAN, "llm_usage": {**USAGE, "duration_ms": 10**12}},
        {"llm_usage": USAGE},
        {"mission_plan": ["not", "text"]},
    ],
    ids=["input tokens beyond Int", "duration beyond range", "no plan", "plan not text"],
)
async def test_a_result_the_api_cannot_store_fails_the_report_retryably(
    api: ApiHarness, output: dict[str, Any]
) -> None:
    user, report = await new_report(api)

    response = await api.webhook(completed(report, output))

    # Acknowledged (the sender stops), and the report is over instead of generating forever.
    assert response.status_code == 200, response.text
    seen = await shown(api, user, report["id"])
    assert seen["status"] == "FAILED" and seen["error"] == INVALID_RESULT
    assert seen["error"]["retryable"] is True
    retried = (await api.graphql(RETRY, {"id": report["id"]}, user=user))["data"]
    assert retried["retryMissionPlan"]["__typename"] == "RetryMissionPlanSuccess"


async def test_nul_and_lone_surrogates_in_the_plan_are_removed_at_the_boundary(
    api: ApiHarness,
) -> None:
    user, report = await new_report(api)
    plan = PLAN.replace("Stay put", "Stay\x00 put \ud800here")
    # json.dumps writes both as \\u escapes, as any JSON encoder would.
    raw = json.dumps(completed(report, {"mission_plan": plan, "llm_usage": USAGE})).encode()
    assert b"\\u0000" in raw and b"\\ud800" in raw

    response = await api.webhook(raw)

    assert response.status_code == 200, response.text
    seen = await shown(api, user, report["id"])
    assert seen["status"] == "COMPLETED"
    assert "Stay put \ufffdhere" in seen["plan"]["content"]
    assert "\x00" not in seen["plan"]["content"]


async def test_a_lone_surrogate_in_a_failure_or_progress_is_harmless(api: ApiHarness) -> None:
    user, report = await new_report(api)
    step = webhook_event(report, "workflow.step_started", 5, step_id="format_bundles\ud800")
    assert (await api.webhook(json.dumps(step).encode())).status_code == 200
    error = {"code": "LLM_UNAVAILABLE\x00", "message": "bad \ud800 \x00", "retryable": True}
    failed = webhook_event(report, "workflow.failed", 6, error=error)
    assert (await api.webhook(json.dumps(failed).encode())).status_code == 200

    seen = await shown(api, user, report["id"])
    assert seen["status"] == "FAILED"
    assert seen["error"] == shown_error("generation_failed")


@pytest.mark.parametrize("length", [65, 100, 255])
async def test_a_job_id_longer_than_its_column_is_refused_with_400(
    api: ApiHarness, length: int
) -> None:
    user, report = await new_report(api)
    body = completed({**report, "jobId": "j" * length}, {"mission_plan": PLAN})

    response = await api.webhook(body)

    # A 4xx with a reason, never a 500 the sender would retry forever.
    assert response.status_code == 400
    assert "job_id" in response.json()["detail"]
    assert (await shown(api, user, report["id"]))["status"] == "GENERATING"


async def poison_the_job(database_url: str, job_id: str, result: dict[str, Any]) -> None:
    """Writes a finished job straight into the LLM service's table (its webhooks were lost)."""
    engines = create_engines(database_url)
    try:
        async with engines.writer.begin() as conn:
            await conn.execute(
                update(jobs_table)
                .where(jobs_table.c.id == job_id)
                .values(status="completed", result=result, webhook_url=None)
            )
    finally:
        await engines.dispose()


async def test_reading_a_report_whose_job_holds_a_poison_result_fails_it(
    api: ApiHarness, database_url: str
) -> None:
    user, report = await new_report(api)
    poison = {"mission_plan": PLAN, "llm_usage": {**USAGE, "output_tokens": 2**40}}
    await poison_the_job(database_url, report["jobId"], poison)

    async def failed() -> dict[str, Any] | None:
        seen = await shown(api, user, report["id"])
        return seen if seen["status"] == "FAILED" else None

    # The stale read reconciles: no "Unexpected error.", and the report is over.
    seen = await wait_until(failed, timeout=10, interval=0.1)
    assert seen["error"] == INVALID_RESULT


async def test_the_sweeper_goes_past_a_poison_report_to_the_ones_behind_it(
    api: ApiHarness, database_url: str
) -> None:
    first_user, first = await new_report(api)
    second_user, second = await new_report(api)
    poison = {"mission_plan": PLAN, "llm_usage": {**USAGE, "input_tokens": 2**40}}
    await poison_the_job(database_url, first["jobId"], poison)
    await poison_the_job(database_url, second["jobId"], {"mission_plan": PLAN, "llm_usage": USAGE})

    # Negative: every generating report counts as stale, even one the embedded job's
    # first webhooks touched a moment ago. The poison one is the oldest, so first.
    changed = await sweep_stale_reports(api.state.deps, stale_after=timedelta(seconds=-60))

    # (On the shared PostgreSQL database, earlier tests' reports are swept as well.)
    assert changed >= 2
    assert (await shown(api, first_user, first["id"]))["error"] == INVALID_RESULT
    assert (await shown(api, second_user, second["id"]))["status"] == "COMPLETED"


# --- point 3: provider text never reaches a user ------------------------------------


@pytest.fixture
async def api_with_failing_provider(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    """The embedded LLM service on the real OpenAI-compatible provider; its server answers 500."""
    async with running_fake_openai(default=Reply.http_error(500, SECRET_BODY)) as fake:
        provider = OpenAICompatibleProvider.from_settings(
            LLMServiceSettings(llm_api_base_url=fake.base_url, llm_api_key="k", llm_max_retries=0)
        )
        settings = settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=0)
        try:
            async with running_api(settings, llm_provider=provider) as harness:
                yield harness
        finally:
            await provider.aclose()


async def test_a_provider_500_shows_the_user_a_written_message_only(
    api_with_failing_provider: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    api = api_with_failing_provider
    user, report = await new_report(api)

    async def failed() -> dict[str, Any] | None:
        seen = await shown(api, user, report["id"])
        return seen if seen["status"] == "FAILED" else None

    seen = await wait_until(failed, timeout=15, interval=0.1)
    assert seen["error"] == report_error("LLM_UNAVAILABLE").to_dict()
    shown_text = json.dumps(seen)
    assert not [part for part in SECRET_PARTS if part in shown_text]
    # Nor in anything stored for the user (the event log the subscriptions replay).
    events = await api.state.queries.events_after(report["id"], 0)
    assert not [p for p in SECRET_PARTS if p in json.dumps([e.to_dict() for e in events])]
    # The operator still gets the provider's words, in the log.
    assert "S3cr3t-Pa55" in caplog.text
