"""A signed `workflow.completed` with a hostile plan never stalls other requests.

Regression test of the 14.7 s freeze: one line of 20,000 spaces in the plan made
the markdown parser backtrack quadratically on the event loop, so `/healthz`
waited for it. Now the parser is linear, bounded and runs off the loop.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from domain.plan import MAX_PLAN_CHARS
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.support.job_events import PLAN, USAGE, webhook_event

# Generous: the point is "not seconds", and the machine is shared by several test runs.
HEALTHZ_BUDGET_S = 0.5
REPORT = "query($id: ID!) { missionReport(id: $id) { status error { code retryable } } }"


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    settings = settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000)
    async with running_api(settings) as harness:
        yield harness


async def new_report(api: ApiHarness) -> tuple[str, dict[str, Any]]:
    user = f"user-{uuid.uuid4().hex[:10]}"
    body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
    return user, body["data"]["submitMissionPlan"]["report"]


def completed_with(report: dict[str, Any], plan: str) -> dict[str, Any]:
    output = {"mission_plan": plan, "parsed_sections": {}, "llm_usage": USAGE}
    return webhook_event(report, "workflow.completed", 90, output=output)


async def slowest_healthz_while(api: ApiHarness, work: asyncio.Task[Any]) -> float:
    """The longest wait for a /healthz answer seen while `work` runs.

    Each round pauses briefly, then probes; its length is how long a request that
    arrived at the start of the pause would have waited (a blocked event loop
    stretches the pause as well as the probe).
    """
    slowest = 0.0
    while True:
        started = time.perf_counter()
        await asyncio.sleep(0.005)
        response = await api.client.get("/healthz")
        slowest = max(slowest, time.perf_counter() - started)
        assert response.status_code == 200
        if work.done():
            return slowest


def adversarial_plan(line: str) -> str:
    # The line goes where the old parser was slowest: a subsection heading.
    return PLAN.replace("## Recommended Bundles", f"{line}\n\n## Recommended Bundles")


async def test_healthz_answers_while_a_plan_with_a_20000_space_line_is_applied(
    api: ApiHarness,
) -> None:
    user, report = await new_report(api)
    plan = adversarial_plan("### Flood" + " " * 20_000 + "x")
    webhook = asyncio.create_task(api.webhook(completed_with(report, plan)))
    slowest = await slowest_healthz_while(api, webhook)
    assert (await webhook).status_code == 200
    assert slowest < HEALTHZ_BUDGET_S, f"/healthz took {slowest:.3f} s during the parse"
    body = await api.graphql(REPORT, {"id": report["id"]}, user=user)
    assert body["data"]["missionReport"]["status"] == "COMPLETED"


async def test_a_plan_over_the_size_cap_ends_the_report_failed_and_retryable(
    api: ApiHarness,
) -> None:
    user, report = await new_report(api)
    plan = adversarial_plan("#" * 7 + " " * (MAX_PLAN_CHARS + 1))
    response = await api.webhook(completed_with(report, plan))
    assert response.status_code == 200
    body = await api.graphql(REPORT, {"id": report["id"]}, user=user)
    assert body["data"]["missionReport"] == {
        "status": "FAILED",
        "error": {"code": "PLAN_TOO_LARGE", "retryable": True},
    }
