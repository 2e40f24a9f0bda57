"""POST /api/webhooks/llm-callback on a real database: verified, deduplicated, ordered."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.event_log import payload_to_dict
from domain.failures import report_error
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.support.job_events import PLAN, webhook_event
from tests.support.workflow_steps import BUILD_USER_MESSAGE, GENERATE_MISSION_PLAN


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


async def state_of(api: ApiHarness, report_id: str) -> tuple[str, float, int]:
    report = await api.state.queries.report(report_id)
    assert report is not None
    return report.status.value, report.progress.percentage, report.last_sequence


async def test_a_bad_signature_is_401_and_changes_nothing(api: ApiHarness) -> None:
    _, report = await new_report(api)
    before = await state_of(api, report["id"])
    body = webhook_event(report, "workflow.step_started", 50, step_id=GENERATE_MISSION_PLAN)
    wrong = "whsec_" + "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZy0xMjM="
    assert (await api.webhook(body, secret=wrong)).status_code == 401
    unsigned = await api.client.post("/api/webhooks/llm-callback", json=body)
    assert unsigned.status_code == 401
    assert await state_of(api, report["id"]) == before


async def test_progress_applies_once_per_webhook_id(api: ApiHarness) -> None:
    _, report = await new_report(api)
    body = webhook_event(report, "workflow.step_started", 50, step_id=GENERATE_MISSION_PLAN)
    first = await api.webhook(body, webhook_id="msg_dup_1")
    again = await api.webhook(body, webhook_id="msg_dup_1")
    assert first.status_code == 200 and first.json()["status"] == "applied"
    assert again.status_code == 200 and again.json()["status"] == "ignored"
    status, percentage, _ = await state_of(api, report["id"])
    assert (status, percentage) == ("GENERATING", 20.0)
    events = await api.state.queries.events_after(report["id"], 0)
    assert [payload_to_dict(e.payload)["progress"]["step_name"] for e in events] == [
        "Queued",
        "Generating Mission Plan",
    ]


async def test_out_of_order_events_leave_the_report_completed(api: ApiHarness) -> None:
    _, report = await new_report(api)
    usage = {
        "model": "offline-planner-v1",
        "input_tokens": 10,
        "output_tokens": 20,
        "duration_ms": 5,
    }
    completed = webhook_event(
        report,
        "workflow.completed",
        60,
        output={"mission_plan": PLAN, "parsed_sections": {}, "llm_usage": usage},
    )
    assert (await api.webhook(completed)).status_code == 200
    late_progress = webhook_event(report, "workflow.step_started", 40, step_id=BUILD_USER_MESSAGE)
    late_start = webhook_event(report, "workflow.started", 1, step_count=6)
    assert (await api.webhook(late_progress)).status_code == 200
    assert (await api.webhook(late_start)).status_code == 200
    status, percentage, _ = await state_of(api, report["id"])
    assert (status, percentage) == ("COMPLETED", 100.0)
    stored = await api.state.queries.report(report["id"])
    assert stored is not None and stored.plan is not None
    assert stored.plan.sections.bundles[0].bundle_id == "go-bag-72h"


async def test_failure_carries_code_message_and_retryable(api: ApiHarness) -> None:
    user, report = await new_report(api)
    error = {"code": "LLM_TIMEOUT", "message": "The model timed out.", "retryable": True}
    assert (
        await api.webhook(webhook_event(report, "workflow.failed", 9, error=error))
    ).status_code == 200
    body = await api.graphql(
        "query($id: ID!) { missionReport(id: $id) { status error { code message retryable } } }",
        {"id": report["id"]},
        user=user,
    )
    # The code and the retry hint come through; the message is ours, not the sender's.
    shown = {**error, "message": report_error("LLM_TIMEOUT").message}
    assert body["data"]["missionReport"] == {"status": "FAILED", "error": shown}
    retry = await api.graphql(
        "mutation($id: ID!) { retryMissionPlan(reportId: $id) { __typename "
        "... on RetryMissionPlanSuccess { report { status attempt jobId } } } }",
        {"id": report["id"]},
        user=user,
    )
    retried = retry["data"]["retryMissionPlan"]
    assert retried["__typename"] == "RetryMissionPlanSuccess"
    assert retried["report"]["status"] == "GENERATING" and retried["report"]["attempt"] == 2
    assert retried["report"]["jobId"] != report["jobId"]
    # A late webhook of the first attempt's job changes nothing any more.
    stale = webhook_event(report, "workflow.failed", 10, error=error)
    assert (await api.webhook(stale)).status_code == 200
    assert (await state_of(api, report["id"]))[0] == "GENERATING"


async def test_unknown_jobs_and_event_types_are_acknowledged_and_ignored(api: ApiHarness) -> None:
    unknown = {
        "type": "workflow.completed",
        "job_id": "no-such-job",
        "workflow_name": "mission_generation",
        "sequence": 3,
        "occurred_at": datetime.now(UTC).isoformat(),
        "metadata": {},
        "data": {"output": {"mission_plan": PLAN}},
    }
    response = await api.webhook(unknown)
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    odd = {**unknown, "type": "workflow.something_new"}
    assert (await api.webhook(odd)).status_code == 202


async def test_signed_but_malformed_bodies_are_400(api: ApiHarness) -> None:
    assert (await api.webhook(b"not json")).status_code == 400
    assert (await api.webhook({"type": "workflow.completed", "sequence": "x"})).status_code == 400


MODEL_PLAN = """# Mission Plan: Miami, FL

**Executive Summary**
We leave early for Orlando.

**Evacuation Plan**
**When to leave:** At the first warning.
**Routes:** I-95 north; the Turnpike.

## 3) Bundles
- **72-Hour Family Go-Bag** [bundle:go-bag-72h] — grab and go.
- **Moon Base Kit** [bundle:moon-base-kit] — not sold here.

## Local Resources
- The shelter on Main St.
"""
PLAN_PARTS = """query($id: ID!) { missionReport(id: $id) { status plan { sections {
  bundles { bundleId }
  evacuation { whenToLeave routes destination steps { topic title advice } }
  unparsed { section reason excerpt }
} } } }"""


async def test_a_model_s_plan_is_stored_with_its_evacuation_and_what_was_not_read(
    api: ApiHarness,
) -> None:
    user, report = await new_report(api)
    output = {"mission_plan": MODEL_PLAN, "parsed_sections": {}, "llm_usage": {"model": "m"}}
    completed = webhook_event(report, "workflow.completed", 60, output=output)
    assert (await api.webhook(completed)).status_code == 200
    body = await api.graphql(PLAN_PARTS, {"id": report["id"]}, user=user)
    mission = body["data"]["missionReport"]
    assert mission["status"] == "COMPLETED"
    sections = mission["plan"]["sections"]  # read back from the database
    assert sections["bundles"] == [{"bundleId": "go-bag-72h"}]
    assert sections["evacuation"] == {
        "whenToLeave": "At the first warning.",
        "routes": "I-95 north; the Turnpike.",
        "destination": None,
        "steps": [
            {"topic": "WHEN_TO_LEAVE", "title": "When to leave", "advice": "At the first warning."},
            {"topic": "ROUTES", "title": "Routes", "advice": "I-95 north; the Turnpike."},
        ],
    }
    assert sections["unparsed"] == [
        {
            "section": "Local Resources",
            "reason": "UNKNOWN_SECTION",
            "excerpt": "- The shelter on Main St.",
        },
        {
            "section": "Recommended Bundles",
            "reason": "UNKNOWN_BUNDLE",
            "excerpt": "Moon Base Kit [bundle:moon-base-kit]",
        },
    ]
