"""Group commit: concurrent webhooks share transactions and keep every promise of one each.

Each is answered only once its own rows are durable, duplicates are applied once,
and an update the database refuses fails only its own report (the batch falls back
to one transaction per update).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from domain.event_log import ProgressPayload
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.support.job_events import PLAN, USAGE, completed_event, webhook_event
from tests.support.workflow_steps import JOIN_BUNDLES

REPORT = "query($id: ID!) { missionReport(id: $id) { status error { code } } }"


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    # The embedded job stalls on its first step: only our webhooks move the reports.
    settings = settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000)
    async with running_api(settings) as harness:
        yield harness


async def new_reports(api: ApiHarness, count: int) -> list[tuple[str, dict[str, Any]]]:
    made = []
    for _ in range(count):  # one user each: the active-job limit is per user
        user = f"user-{uuid.uuid4().hex[:10]}"
        body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
        made.append((user, body["data"]["submitMissionPlan"]["report"]))
    return made


def step_started(report: dict[str, Any], sequence: int) -> dict[str, Any]:
    # Sequences above the embedded job's own (it may send its first step meanwhile).
    return webhook_event(report, "workflow.step_started", sequence, step_id=JOIN_BUNDLES)


async def answered_then_read(
    api: ApiHarness, body: dict[str, Any], report_id: str, webhook_id: str | None = None
) -> tuple[str, list[str]]:
    """The webhook's answer, and what the log holds the moment the answer came."""
    response = await api.webhook(body, webhook_id=webhook_id)
    assert response.status_code == 200, response.text
    events = await api.state.queries.events_after(report_id, 0)
    return response.json()["status"], [e.type.value for e in events]


async def test_concurrent_webhooks_share_transactions_and_each_is_durable_when_answered(
    api: ApiHarness,
) -> None:
    reports = await new_reports(api, 12)
    results = await asyncio.gather(
        *(answered_then_read(api, completed_event(report), report["id"]) for _, report in reports)
    )
    for status, logged in results:
        assert status == "applied"
        # Answered after its commit: its own completion is already in the log.
        assert logged[-2:] == ["completed", "notification"]
    for user, report in reports:
        shown = await api.graphql(REPORT, {"id": report["id"]}, user=user)
        assert shown["data"]["missionReport"] == {"status": "COMPLETED", "error": None}
    assert api.state.job_updates.batches >= 1  # some went together


async def test_duplicates_in_one_burst_are_applied_once(api: ApiHarness) -> None:
    reports = await new_reports(api, 3)
    calls = [
        answered_then_read(api, step_started(report, 50), report["id"], webhook_id=f"msg_{i}")
        for i, (_, report) in enumerate(reports)
        for _ in range(4)
    ]
    results = await asyncio.gather(*calls)
    statuses = [status for status, _ in results]
    assert statuses.count("applied") == 3 and statuses.count("ignored") == 9
    for _, report in reports:
        events = await api.state.queries.events_after(report["id"], 0)
        moved = [
            e
            for e in events
            if isinstance(e.payload, ProgressPayload) and e.payload.progress.step_id == JOIN_BUNDLES
        ]
        assert len(moved) == 1


async def test_an_update_the_database_refuses_fails_only_its_own_report(api: ApiHarness) -> None:
    reports = await new_reports(api, 6)
    poison = {"mission_plan": PLAN, "llm_usage": {**USAGE, "input_tokens": 2**40}}
    bodies = [
        webhook_event(report, "workflow.completed", 60, output=poison)
        if index == 2
        else completed_event(report)
        for index, (_, report) in enumerate(reports)
    ]
    answers = await asyncio.gather(*(api.webhook(body) for body in bodies))
    assert [a.status_code for a in answers] == [200] * 6
    for index, (user, report) in enumerate(reports):
        shown = (await api.graphql(REPORT, {"id": report["id"]}, user=user))["data"]
        if index == 2:
            assert shown["missionReport"] == {
                "status": "FAILED",
                "error": {"code": "INVALID_RESULT"},
            }
        else:
            assert shown["missionReport"] == {"status": "COMPLETED", "error": None}
