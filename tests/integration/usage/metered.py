"""A metered fake model at the provider port, and the queries that read what it cost.

The model is the offline planner's plan, reported as a chosen model with chosen token
counts and (or not) a provider cost.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Any

from prometheus_client import REGISTRY

from llm_service.providers import Generation, OfflinePlanner, StreamItem, TextDelta, generate
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness
from tests.support.waiting import wait_until

USAGE = """
query Usage($id: ID!) {
  missionReport(id: $id) {
    status
    error { code }
    usage { attempt model inputTokens outputTokens totalTokens durationMs costUsd
            steps { stepId model inputTokens outputTokens costUsd } }
    attempts { attempt model inputTokens outputTokens totalTokens costUsd }
  }
}
"""
VIEWER_USAGE = """
{ viewer { usage { generations inputTokens outputTokens totalTokens costUsd
                   byModel { model } byUser { userId } } } }
"""
SUMMARY = """
query Summary($since: DateTime, $until: DateTime) {
  usageSummary(since: $since, until: $until) {
    generations inputTokens outputTokens totalTokens costUsd
    byModel { model generations inputTokens outputTokens totalTokens costUsd }
    byUser { userId generations inputTokens outputTokens costUsd }
  }
}
"""
RETRY = """
mutation Retry($id: ID!) {
  retryMissionPlan(reportId: $id) { __typename ... on RetryMissionPlanSuccess { report { id } } }
}
"""
CANCEL = """
mutation Cancel($id: ID!) { cancelMissionPlan(reportId: $id) { __typename } }
"""
NOT_A_PLAN = "The model rambled and wrote no sections at all.\n"


class MeteredProvider:
    """The offline plan, reported as `model` with these token counts and cost.

    The first `bad_answers` calls answer text without sections: the job fails as
    unparseable_plan after the model was paid for.
    """

    def __init__(self) -> None:
        self.model = "test/metered"
        self.input_tokens = 1000
        self.output_tokens = 2000
        self.cost_usd: float | None = None
        self.bad_answers = 0
        self.calls = 0

    async def stream(
        self, *, system: str, user: str, context: dict[str, Any]
    ) -> AsyncGenerator[StreamItem, None]:
        self.calls += 1
        plan = await generate(OfflinePlanner(), system=system, user=user, context=context)
        text = NOT_A_PLAN if self.calls <= self.bad_answers else plan.text
        yield TextDelta(text)
        yield Generation(text, self.model, self.input_tokens, self.output_tokens, self.cost_usd)


def new_model() -> str:
    # One label per test (the meter keeps at most 50 model labels per process).
    return f"test/model-{uuid.uuid4().hex[:8]}"


def new_user() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


async def as_admin(api: ApiHarness, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api.token('admin-ops', admin=True)}"}
    response = await api.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def submit(api: ApiHarness, user: str) -> str:
    body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
    return str(body["data"]["submitMissionPlan"]["report"]["id"])


async def finished(api: ApiHarness, user: str, report_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        report = (await api.graphql(USAGE, {"id": report_id}, user=user))["data"]["missionReport"]
        return report if report["status"] != "GENERATING" else None

    return await wait_until(done, timeout=20, interval=0.05)


async def viewer_usage(api: ApiHarness, user: str) -> dict[str, Any]:
    return (await api.graphql(VIEWER_USAGE, user=user))["data"]["viewer"]["usage"]


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0
