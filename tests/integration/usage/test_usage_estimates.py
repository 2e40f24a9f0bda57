"""Calls that ended before the provider's usage report still count, end to end.

The embedded LLM service streams from the fake OpenAI-compatible server; what a
cancelled or broken stream used reaches the report's attempts, the viewer's and
the admin's totals and the Prometheus counters, estimated and priced from the
price table, and a webhook repeated or replayed never counts a call twice.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from llm_service.providers import OpenAICompatibleProvider
from llm_service.settings import LLMServiceSettings
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.integration.usage.metered import (
    CANCEL,
    SUMMARY,
    as_admin,
    counter,
    finished,
    new_model,
    new_user,
    submit,
    viewer_usage,
)
from tests.support.fake_openai import MODEL, FakeOpenAI, Reply, running_fake_openai
from tests.support.job_events import PLAN, webhook_event
from tests.support.waiting import wait_until

# USD per million tokens for the fake's model, in this test's price table.
INPUT_PRICE, OUTPUT_PRICE = 3.0, 15.0
ATTEMPTS = """
query Attempts($id: ID!) {
  missionReport(id: $id) {
    status
    draft
    error { code }
    usage { inputTokens outputTokens costUsd estimated }
    attempts { attempt model inputTokens outputTokens costUsd estimated
               steps { stepId model inputTokens outputTokens costUsd estimated } }
  }
}
"""
SLOW = Reply(parts=tuple(f"Step {n}: store water. " for n in range(400)), interval=0.05)


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with running_fake_openai() as server:
        yield server


@pytest.fixture
async def api(database_url: str, tmp_path: Path, fake: FakeOpenAI) -> AsyncIterator[ApiHarness]:
    prices = tmp_path / "prices.json"
    listed = {"input_per_million": INPUT_PRICE, "output_per_million": OUTPUT_PRICE}
    prices.write_text(json.dumps({"models": {MODEL: listed}}))
    settings = settings_for(
        database_url, tmp_path, OFFLINE_STEP_DELAY_MS=0, LLM_PRICES_FILE=str(prices)
    )
    provider = OpenAICompatibleProvider.from_settings(
        LLMServiceSettings(
            llm_api_base_url=fake.base_url,
            llm_api_key="sk-or-test",
            llm_model=MODEL,
            llm_max_retries=0,
        )
    )
    try:
        async with running_api(settings, llm_provider=provider) as harness:
            yield harness
    finally:
        await provider.aclose()


def price(input_tokens: int, output_tokens: int) -> float:
    return round((input_tokens * INPUT_PRICE + output_tokens * OUTPUT_PRICE) / 1_000_000, 6)


async def report_of(api: ApiHarness, user: str, report_id: str) -> dict[str, Any]:
    body = await api.graphql(ATTEMPTS, {"id": report_id}, user=user)
    return dict(body["data"]["missionReport"])


def tokens_counted() -> tuple[float, float, float]:
    return (
        counter("mission_planner_llm_tokens_total", model=MODEL, kind="input"),
        counter("mission_planner_llm_tokens_total", model=MODEL, kind="output"),
        counter("mission_planner_llm_cost_usd_total", model=MODEL),
    )


async def test_a_plan_cancelled_mid_stream_counts_its_estimated_tokens_and_cost(
    api: ApiHarness, fake: FakeOpenAI
) -> None:
    fake.default = SLOW
    user = new_user()
    before = tokens_counted()
    report_id = await submit(api, user)

    async def streaming() -> bool:
        return bool((await report_of(api, user, report_id))["draft"])

    await wait_until(streaming, timeout=20, interval=0.05)
    cancelled = await api.graphql(CANCEL, {"id": report_id}, user=user)
    assert cancelled["data"]["cancelMissionPlan"]["__typename"] == "CancelMissionPlanSuccess"

    async def counted() -> dict[str, Any] | None:
        usage = await viewer_usage(api, user)
        return usage if usage["generations"] else None

    usage = await wait_until(counted, timeout=20, interval=0.05)
    summary = (await as_admin(api, SUMMARY, {}))["data"]["usageSummary"]
    after = tokens_counted()

    assert usage["generations"] == 1
    assert usage["inputTokens"] > 100 and usage["outputTokens"] > 0
    assert usage["costUsd"] == price(usage["inputTokens"], usage["outputTokens"]) > 0
    mine = next(u for u in summary["byUser"] if u["userId"] == user)
    assert (mine["generations"], mine["outputTokens"]) == (1, usage["outputTokens"])
    assert after[0] - before[0] == usage["inputTokens"]
    assert after[1] - before[1] == usage["outputTokens"]
    assert after[2] - before[2] == pytest.approx(usage["costUsd"])


async def test_a_plan_whose_stream_broke_shows_an_estimated_attempt(
    api: ApiHarness, fake: FakeOpenAI
) -> None:
    fake.default = Reply(drop_after=3)
    user = new_user()
    report_id = await submit(api, user)
    await finished(api, user, report_id)

    report = await report_of(api, user, report_id)

    assert report["status"] == "FAILED"
    (attempt,) = report["attempts"]
    assert attempt["estimated"] is True and attempt["attempt"] == 1
    assert attempt["model"] == MODEL
    assert attempt["inputTokens"] > 100 and attempt["outputTokens"] > 0
    assert attempt["costUsd"] == price(attempt["inputTokens"], attempt["outputTokens"]) > 0
    (step,) = attempt["steps"]
    assert step["estimated"] is True and step["stepId"] == "generate_mission_plan"
    assert report["usage"]["estimated"] is True
    assert report["usage"]["costUsd"] == attempt["costUsd"]


async def test_a_completed_plan_is_not_estimated(api: ApiHarness) -> None:
    user = new_user()
    report_id = await submit(api, user)
    await finished(api, user, report_id)

    report = await report_of(api, user, report_id)

    assert report["status"] == "COMPLETED"
    assert [a["estimated"] for a in report["attempts"]] == [False]
    assert report["usage"]["estimated"] is False


async def test_the_calls_of_a_taken_over_job_count_once_each_however_often_reported(
    database_url: str, tmp_path: Path
) -> None:
    # The embedded job stalls on its first step: only our webhooks move the report.
    settings = settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000)
    model = new_model()
    dead = _call("20250101T000000000000-aaaaaa/generate_mission_plan", model, 900, 120, None)
    dead["estimated"] = True
    answered = _call("20250101T000100000000-bbbbbb/generate_mission_plan", model, 1000, 500, 0.01)
    before = counter("mission_planner_llm_tokens_total", model=model, kind="input")
    estimated = "mission_planner_llm_estimated_tokens_total"
    before_estimated = counter(estimated, model=model, kind="input")
    async with running_api(settings) as api:
        user = new_user()
        body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
        report = body["data"]["submitMissionPlan"]["report"]
        # The takeover's start reports the dead run's call; the completion both calls.
        started = webhook_event(report, "workflow.started", 20, usage=_usage(dead))
        output = {"mission_plan": PLAN, "parsed_sections": {}}
        completed = webhook_event(
            report, "workflow.completed", 90, output=output, usage=_usage(dead, answered)
        )
        answers = [
            await api.webhook(started, webhook_id="msg_takeover_20"),
            await api.webhook(started, webhook_id="msg_takeover_20"),  # redelivered
            await api.webhook(completed, webhook_id="msg_takeover_90"),
            await api.webhook(completed),  # the same body from another sender
        ]
        await finished(api, user, report["id"])
        shown = await report_of(api, user, report["id"])
        usage = await viewer_usage(api, user)
        # The stalled embedded job goes: a later test's service would resume it.
        await api.state.llm.cancel_jobs([report["jobId"]])

    assert [a.status_code for a in answers] == [200] * 4
    assert [(a["attempt"], a["estimated"], a["inputTokens"]) for a in shown["attempts"]] == [
        (1, True, 900),
        (1, False, 1000),
    ]
    assert (usage["generations"], usage["inputTokens"], usage["outputTokens"]) == (2, 1900, 620)
    after = counter("mission_planner_llm_tokens_total", model=model, kind="input")
    assert after - before == 1900
    assert counter(estimated, model=model, kind="input") - before_estimated == 900


def _call(
    call_id: str, model: str, input_tokens: int, output_tokens: int, cost: float | None
) -> dict[str, Any]:
    return {
        "step_id": "generate_mission_plan",
        "call_id": call_id,
        "model": model,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "duration_ms": 40,
        "cost_usd": cost,
        "estimated": False,
    }


def _usage(*calls: dict[str, Any]) -> dict[str, Any]:
    return {"steps_usage": list(calls)}
