"""The webhook body of the existing LLM service, accepted as it is sent.

It names its event in `event`, puts the output under `result.output` and sends
no `sequence`. Same signature check, same webhook-id dedupe, same rules: a
report completes, and duplicates or late, out-of-order deliveries change nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.failures import report_error
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.support.job_events import PLAN

READ = """query($id: ID!) { missionReport(id: $id) {
  status progress { stepId stepIndex percentage } error { code message retryable }
  plan { sections { bundles { bundleId } } }
  usage { model inputTokens outputTokens totalTokens durationMs } } }"""
LEGACY_USAGE = {
    "model": "anthropic/claude-sonnet-4",
    "duration_ms": 41_250,
    "total_tokens": 5_300,
    "input_tokens": 1_800,
    "output_tokens": 3_500,
}


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    # The embedded job stalls on its first step, so only our hand-made webhooks move the report.
    settings = settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000)
    async with running_api(settings) as harness:
        yield harness


async def new_report(api: ApiHarness) -> tuple[str, dict[str, Any]]:
    user = f"user-{uuid.uuid4().hex[:10]}"
    body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
    return user, body["data"]["submitMissionPlan"]["report"]


def legacy(report: dict[str, Any], event: str, **fields: Any) -> dict[str, Any]:
    """A body as the existing service sends it: no `type`, no `sequence`, no metadata."""
    return {
        "event": event,
        "job_id": report["jobId"],
        "workflow_name": "mission_generation",
        "timestamp": datetime.now(UTC).isoformat(),
        **fields,
    }


def completed(report: dict[str, Any]) -> dict[str, Any]:
    output = {"mission_plan": PLAN, "parsed_sections": {"executive_summary": "x"}}
    return legacy(
        report, "workflow.completed", result={"output": {**output, "llm_usage": LEGACY_USAGE}}
    )


async def send(api: ApiHarness, body: dict[str, Any], webhook_id: str | None = None) -> str:
    response = await api.webhook(body, webhook_id=webhook_id)
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


async def read(api: ApiHarness, user: str, report_id: str) -> dict[str, Any]:
    body = await api.graphql(READ, {"id": report_id}, user=user)
    return body["data"]["missionReport"]


async def event_count(api: ApiHarness, report_id: str) -> int:
    return len(await api.state.queries.events_after(report_id, 0))


async def test_a_report_completes_from_legacy_webhooks(api: ApiHarness) -> None:
    user, report = await new_report(api)
    assert await send(api, legacy(report, "workflow.started")) == "ignored"  # nothing to show
    step = legacy(report, "workflow.step_started", step_id="generate_mission_plan")
    assert await send(api, step) == "applied"
    shown = await read(api, user, report["id"])
    assert shown["progress"] == {
        "stepId": "generate_mission_plan",
        "stepIndex": 4,
        "percentage": 20.0,
    }
    done = legacy(report, "workflow.progress", data={"step_id": "generate_mission_plan"})
    assert await send(api, done) == "applied"
    assert (await read(api, user, report["id"]))["progress"]["percentage"] > 20.0
    assert await send(api, completed(report)) == "applied"

    final = await read(api, user, report["id"])
    assert final["status"] == "COMPLETED"
    assert final["progress"]["percentage"] == 100.0
    assert final["plan"]["sections"]["bundles"] == [{"bundleId": "go-bag-72h"}]
    assert final["usage"] == {
        "model": "anthropic/claude-sonnet-4",
        "inputTokens": 1_800,
        "outputTokens": 3_500,
        "totalTokens": 5_300,
        "durationMs": 41_250,
    }


async def test_duplicates_and_out_of_order_legacy_deliveries_change_nothing(
    api: ApiHarness,
) -> None:
    user, report = await new_report(api)
    later = legacy(report, "workflow.step_started", step_id="generate_mission_plan")
    earlier = legacy(report, "workflow.step_started", step_id="build_scenario_list")
    assert await send(api, later, "msg_legacy_later") == "applied"
    logged = await event_count(api, report["id"])
    # The same delivery again, and an earlier step arriving late: progress never goes back.
    assert await send(api, later, "msg_legacy_later") == "ignored"
    assert await send(api, earlier) == "ignored"
    assert await send(api, dict(later)) == "ignored"  # same progress, another id: no new event
    assert (await read(api, user, report["id"]))["progress"]["stepId"] == "generate_mission_plan"
    assert await event_count(api, report["id"]) == logged

    assert await send(api, completed(report), "msg_legacy_done") == "applied"
    logged = await event_count(api, report["id"])
    failure = {"code": "LLM_TIMEOUT", "message": "upstream said: boom", "retryable": True}
    for late in (
        completed(report),
        legacy(report, "workflow.failed", error=failure),
        legacy(report, "workflow.cancelled"),
        legacy(report, "workflow.started"),
        legacy(report, "workflow.progress", step_id="format_bundles"),
    ):
        assert await send(api, late) == "ignored"
    assert await send(api, completed(report), "msg_legacy_done") == "ignored"
    final = await read(api, user, report["id"])
    assert (final["status"], final["error"], final["progress"]["percentage"]) == (
        "COMPLETED",
        None,
        100.0,
    )
    assert await event_count(api, report["id"]) == logged


@pytest.mark.parametrize(
    "error",
    [
        {"code": "LLM_RATE_LIMITED", "message": "429 from upstream, raw text", "retryable": True},
        "Traceback (most recent call last): provider exploded",
    ],
)
async def test_a_legacy_failure_shows_our_message(api: ApiHarness, error: Any) -> None:
    user, report = await new_report(api)
    assert await send(api, legacy(report, "workflow.failed", error=error)) == "applied"
    shown = (await read(api, user, report["id"]))["error"]
    code = error["code"] if isinstance(error, dict) else "generation_failed"
    expected = report_error(code)
    assert shown == {"code": code.upper(), "message": expected.message, "retryable": True}
    assert "upstream" not in shown["message"] and "Traceback" not in shown["message"]


async def test_a_legacy_cancellation_ends_the_report(api: ApiHarness) -> None:
    user, report = await new_report(api)
    assert await send(api, legacy(report, "workflow.cancelled")) == "applied"
    shown = await read(api, user, report["id"])
    assert shown["status"] == "FAILED" and shown["error"]["code"] == "JOB_CANCELLED"
    assert await send(api, completed(report)) == "ignored"


async def test_legacy_bodies_are_verified_and_checked_like_ours(api: ApiHarness) -> None:
    user, report = await new_report(api)
    before = await read(api, user, report["id"])
    wrong = "whsec_" + "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZy0xMjM="
    body = completed(report)
    assert (await api.webhook(body, secret=wrong)).status_code == 401
    unknown = await api.webhook(legacy(report, "workflow.paused"))
    assert (unknown.status_code, unknown.json()["status"]) == (202, "ignored")
    bad_event = await api.webhook({**body, "event": ["workflow.completed"]})
    assert (bad_event.status_code, bad_event.json()["error"]) == (400, "invalid_payload")
    no_job = await api.webhook({k: v for k, v in body.items() if k != "job_id"})
    assert (no_job.status_code, no_job.json()["error"]) == (400, "invalid_payload")
    assert await read(api, user, report["id"]) == before
    # A result without a plan cannot complete the report: it fails, retryably.
    broken = legacy(report, "workflow.completed", result={"output": {"parsed_sections": {}}})
    assert await send(api, broken) == "applied"
    failed = await read(api, user, report["id"])
    assert (failed["status"], failed["error"]["code"], failed["error"]["retryable"]) == (
        "FAILED",
        "INVALID_RESULT",
        True,
    )
