"""What each plan used and cost, per attempt, once, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.integration.usage.metered import (
    CANCEL,
    RETRY,
    USAGE,
    MeteredProvider,
    counter,
    finished,
    new_model,
    new_user,
    submit,
    viewer_usage,
)
from tests.support.job_events import PLAN, webhook_event
from tests.support.waiting import wait_until


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
