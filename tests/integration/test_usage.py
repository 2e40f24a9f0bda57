"""Cost tracking end to end, on SQLite and PostgreSQL, embedded LLM service included.

The model is a fake at the provider port: the offline planner's plan, reported as
a chosen model with chosen token counts and (or not) a provider cost.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from llm_service.providers import Generation, OfflinePlanner, StreamItem, TextDelta, generate
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.support.job_events import PLAN, webhook_event
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


@pytest.fixture
def provider() -> MeteredProvider:
    return MeteredProvider()


@pytest.fixture
def prices_file(tmp_path: Path) -> Path:
    path = tmp_path / "prices.json"
    models = {
        "test/listed": {"input_per_million": 3.0, "output_per_million": 15.0},
        "openai/gpt-4o-mini": {"input_per_million": 0.15, "output_per_million": 0.6},
    }
    path.write_text(json.dumps({"models": models}))
    return path


@pytest.fixture
async def api(
    database_url: str, tmp_path: Path, provider: MeteredProvider, prices_file: Path
) -> AsyncIterator[ApiHarness]:
    settings = settings_for(
        database_url, tmp_path, OFFLINE_STEP_DELAY_MS=0, LLM_PRICES_FILE=str(prices_file)
    )
    async with running_api(settings, llm_provider=provider) as harness:
        yield harness


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


async def test_a_completed_plan_shows_its_usage_at_the_providers_reported_cost(
    api: ApiHarness, provider: MeteredProvider
) -> None:
    # Listed in the price table at $3/$15 per million, but the provider's word wins.
    provider.model, provider.cost_usd = "test/listed", 0.0123456789
    user = new_user()

    report = await finished(api, user, await submit(api, user))

    assert report["status"] == "COMPLETED"
    usage = report["usage"]
    assert usage["attempt"] == 1 and usage["model"] == "test/listed"
    assert (usage["inputTokens"], usage["outputTokens"], usage["totalTokens"]) == (
        1000,
        2000,
        3000,
    )
    assert usage["costUsd"] == 0.012346  # rounded to 6 decimals
    assert usage["durationMs"] >= 0
    assert usage["steps"] == [
        {
            "stepId": "generate_mission_plan",
            "model": "test/listed",
            "inputTokens": 1000,
            "outputTokens": 2000,
            "costUsd": 0.012346,
        }
    ]
    assert report["attempts"] == [
        {
            "attempt": 1,
            "model": "test/listed",
            "inputTokens": 1000,
            "outputTokens": 2000,
            "totalTokens": 3000,
            "costUsd": 0.012346,
        }
    ]


async def test_without_a_reported_cost_the_price_table_prices_the_plan(
    api: ApiHarness, provider: MeteredProvider
) -> None:
    provider.model, provider.cost_usd = "test/listed", None
    user = new_user()

    report = await finished(api, user, await submit(api, user))

    # LLM_PRICES_FILE: $3 per million in, $15 per million out.
    assert report["usage"]["costUsd"] == round((1000 * 3.0 + 2000 * 15.0) / 1_000_000, 6)


async def test_an_unknown_model_costs_nothing_and_is_logged_once(
    api: ApiHarness, provider: MeteredProvider, caplog: pytest.LogCaptureFixture
) -> None:
    provider.model, provider.cost_usd = new_model(), None
    user = new_user()
    caplog.set_level(logging.WARNING, logger="infra.pricing")

    first = await finished(api, user, await submit(api, user))
    second = await finished(api, user, await submit(api, user))

    assert first["usage"]["costUsd"] == second["usage"]["costUsd"] == 0.0
    assert first["usage"]["totalTokens"] == 3000
    unknown = [r for r in caplog.records if "no price for model" in r.getMessage()]
    assert len(unknown) == 1 and provider.model in unknown[0].getMessage()


async def test_a_retried_plan_sums_both_attempts(
    api: ApiHarness, provider: MeteredProvider
) -> None:
    provider.model, provider.cost_usd, provider.bad_answers = new_model(), 0.25, 1
    user = new_user()
    report_id = await submit(api, user)

    failed = await finished(api, user, report_id)
    assert failed["status"] == "FAILED" and failed["error"]["code"] == "UNPARSEABLE_PLAN"
    # The failed attempt's tokens were paid for: they show before any retry.
    assert [a["attempt"] for a in failed["attempts"]] == [1]
    retried = await api.graphql(RETRY, {"id": report_id}, user=user)
    assert retried["data"]["retryMissionPlan"]["__typename"] == "RetryMissionPlanSuccess"
    report = await finished(api, user, report_id)

    assert report["status"] == "COMPLETED"
    assert [a["attempt"] for a in report["attempts"]] == [1, 2]
    assert [a["costUsd"] for a in report["attempts"]] == [0.25, 0.25]
    usage = report["usage"]
    assert (usage["attempt"], usage["inputTokens"], usage["outputTokens"]) == (2, 2000, 4000)
    assert (usage["totalTokens"], usage["costUsd"]) == (6000, 0.5)
    assert await viewer_usage(api, user) == {
        "generations": 2,
        "inputTokens": 2000,
        "outputTokens": 4000,
        "totalTokens": 6000,
        "costUsd": 0.5,
        "byModel": [],
        "byUser": [],
    }


async def test_a_cancelled_plans_tokens_still_count_for_the_viewer(
    database_url: str, tmp_path: Path, provider: MeteredProvider
) -> None:
    # Each step waits a second first: the plan is cancelled after the model answered,
    # while the job waits to parse it.
    settings = settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=1000)
    provider.model, provider.cost_usd = new_model(), 0.01
    user = new_user()
    async with running_api(settings, llm_provider=provider) as api:
        report_id = await submit(api, user)

        async def parsing() -> bool:
            report = await api.state.queries.report(report_id)
            return report is not None and report.progress.step_id == "parse_sections"

        await wait_until(parsing, timeout=20, interval=0.02)
        cancelled = await api.graphql(CANCEL, {"id": report_id}, user=user)
        assert cancelled["data"]["cancelMissionPlan"]["__typename"] == "CancelMissionPlanSuccess"

        async def counted() -> dict[str, Any] | None:
            usage = await viewer_usage(api, user)
            return usage if usage["generations"] else None

        usage = await wait_until(counted, timeout=10, interval=0.05)
        gone = await api.graphql(USAGE, {"id": report_id}, user=user)

    assert gone["data"]["missionReport"] is None
    assert usage["generations"] == 1
    assert (usage["inputTokens"], usage["outputTokens"], usage["costUsd"]) == (1000, 2000, 0.01)


async def test_duplicate_webhooks_count_the_usage_once(database_url: str, tmp_path: Path) -> None:
    # The embedded job stalls on its first step: only our webhooks move the report.
    settings = settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000)
    model = new_model()
    steps = [
        {
            "step_id": "generate_mission_plan",
            "model": model,
            "input_tokens": 700,
            "output_tokens": 300,
            "duration_ms": 40,
            "cost_usd": 0.002,
        }
    ]
    before = counter("mission_planner_llm_tokens_total", model=model, kind="input")
    async with running_api(settings) as api:
        user = new_user()
        body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
        report = body["data"]["submitMissionPlan"]["report"]
        output = {"mission_plan": PLAN, "parsed_sections": {}}
        event = webhook_event(
            report, "workflow.completed", 90, output=output, usage={"steps_usage": steps}
        )
        same_id = [await api.webhook(event, webhook_id="msg_usage_dup") for _ in range(2)]
        # A redelivery under another id (another sender) and the status poll's answer.
        other_id = await api.webhook(event)
        shown = await finished(api, user, report["id"])
        usage = await viewer_usage(api, user)
        # The stalled embedded job goes: a later test's service would resume it.
        await api.state.llm.cancel_jobs([report["jobId"]])

    assert [r.status_code for r in [*same_id, other_id]] == [200, 200, 200]
    assert shown["attempts"] == [
        {
            "attempt": 1,
            "model": model,
            "inputTokens": 700,
            "outputTokens": 300,
            "totalTokens": 1000,
            "costUsd": 0.002,
        }
    ]
    assert (usage["generations"], usage["totalTokens"], usage["costUsd"]) == (1, 1000, 0.002)
    after = counter("mission_planner_llm_tokens_total", model=model, kind="input")
    assert after - before == 700


async def test_prometheus_counters_move_by_exactly_the_stored_amounts(
    api: ApiHarness, provider: MeteredProvider
) -> None:
    provider.model, provider.cost_usd = new_model(), 0.125
    user = new_user()

    def read() -> tuple[float, float, float]:
        return (
            counter("mission_planner_llm_tokens_total", model=provider.model, kind="input"),
            counter("mission_planner_llm_tokens_total", model=provider.model, kind="output"),
            counter("mission_planner_llm_cost_usd_total", model=provider.model),
        )

    before = read()
    await finished(api, user, await submit(api, user))
    await finished(api, user, await submit(api, user))
    after = read()
    metrics = (await api.client.get("/metrics")).text

    assert [a - b for a, b in zip(after, before, strict=True)] == [2000, 4000, 0.25]
    line = f'mission_planner_llm_tokens_total{{kind="input",model="{provider.model}"}} 2000.0'
    assert line in metrics


async def test_usage_summary_breaks_usage_down_by_model_and_user_within_the_period(
    api: ApiHarness, provider: MeteredProvider
) -> None:
    first_model, second_model = new_model(), new_model()
    alice, bob = new_user(), new_user()
    start = datetime.now(UTC)
    provider.model, provider.cost_usd = first_model, 0.5
    await finished(api, alice, await submit(api, alice))
    provider.model, provider.cost_usd, provider.input_tokens = second_model, 0.25, 10
    await finished(api, alice, await submit(api, alice))
    await finished(api, bob, await submit(api, bob))
    end = datetime.now(UTC) + timedelta(seconds=1)

    period = {"since": start.isoformat(), "until": end.isoformat()}
    summary = (await as_admin(api, SUMMARY, period))["data"]["usageSummary"]
    before = (await as_admin(api, SUMMARY, {"until": start.isoformat()}))["data"]
    later = (await as_admin(api, SUMMARY, {"since": end.isoformat()}))["data"]

    # Only this test's users and models: the PostgreSQL database is shared, and a job an
    # earlier test left running may be resumed, and counted, during this one.
    by_user = {u["userId"]: u for u in summary["byUser"]}
    ours = [by_user[alice], by_user[bob]]
    assert (sum(u["generations"] for u in ours), sum(u["costUsd"] for u in ours)) == (3, 1.0)
    assert sum(u["inputTokens"] for u in ours) == 1020
    assert sum(u["outputTokens"] for u in ours) == 6000
    assert summary["totalTokens"] == summary["inputTokens"] + summary["outputTokens"]
    by_model = {m["model"]: m for m in summary["byModel"]}
    assert by_model[first_model] == {
        "model": first_model,
        "generations": 1,
        "inputTokens": 1000,
        "outputTokens": 2000,
        "totalTokens": 3000,
        "costUsd": 0.5,
    }
    assert (by_model[second_model]["generations"], by_model[second_model]["costUsd"]) == (2, 0.5)
    assert (by_user[alice]["generations"], by_user[alice]["costUsd"]) == (2, 0.75)
    assert (by_user[bob]["generations"], by_user[bob]["inputTokens"]) == (1, 10)
    # Outside [since, until) none of them count.
    for outside in (before, later):
        models = {m["model"] for m in outside["usageSummary"]["byModel"]}
        users = {u["userId"] for u in outside["usageSummary"]["byUser"]}
        assert not models & {first_model, second_model} and not users & {alice, bob}


async def test_usage_summary_is_denied_to_a_non_admin(api: ApiHarness) -> None:
    body = await api.graphql(SUMMARY, user=new_user())

    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == ["admin role required"]
    assert body["errors"][0]["path"] == ["usageSummary"]


async def test_usage_summary_refuses_a_period_it_cannot_bound(api: ApiHarness) -> None:
    naive = await as_admin(api, SUMMARY, {"since": "2025-01-01T00:00:00"})
    backwards = await as_admin(
        api, SUMMARY, {"since": "2025-02-01T00:00:00Z", "until": "2025-01-01T00:00:00Z"}
    )

    assert naive["errors"][0]["message"] == ("since: needs a time zone, e.g. 2025-01-31T00:00:00Z")
    assert backwards["errors"][0]["message"] == "since: must not be after until"


async def test_a_bundle_price_is_a_float_of_us_dollars(api: ApiHarness) -> None:
    bundles = (await api.graphql("{ bundles { id priceUsd } }"))["data"]["bundles"]

    assert bundles and all(isinstance(b["priceUsd"], float) for b in bundles)
    assert all(round(b["priceUsd"], 2) == b["priceUsd"] for b in bundles)
