"""Pricing and storing what each attempt used: the rules, on fakes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from domain.job_updates import apply_job_update
from domain.jobs import JobUpdate, JobUpdateType
from domain.operations import cancel_mission_plan, retry_mission_plan, submit_mission_plan
from domain.usage import AttemptUsage, StepUsage, summed
from infra.llm_payloads import webhook_to_update
from infra.pricing import InvalidPriceTable, load_price_table
from tests.unit.builders import generation_usage
from tests.unit.fakes import (
    T0,
    Fakes,
    completed_output,
    job_update,
    make_fakes,
    valid_input,
)

USER = "user-1"


class FakePrices:
    def __init__(self, **per_million: tuple[float, float]) -> None:
        self.per_million = per_million

    def cost_usd(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        if model not in self.per_million:
            return None
        input_price, output_price = self.per_million[model]
        return (input_tokens * input_price + output_tokens * output_price) / 1_000_000


class FakeMeter:
    def __init__(self) -> None:
        self.counted: list[AttemptUsage] = []

    def count(self, usage: AttemptUsage) -> None:
        self.counted.append(usage)


@pytest.fixture
def meter() -> FakeMeter:
    return FakeMeter()


@pytest.fixture
def fakes(meter: FakeMeter) -> Fakes:
    return make_fakes(prices=FakePrices(**{"listed/model": (3.0, 15.0)}), usage_meter=meter)


# --- pricing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "reported", "cost"),
    [
        ("listed/model", 0.5, 0.5),  # the provider's word wins over the table
        ("listed/model", None, round((1200 * 3.0 + 3400 * 15.0) / 1_000_000, 6)),
        ("unlisted/model", None, 0.0),
        ("unlisted/model", 0.1234567, 0.123457),  # rounded to 6 decimals
    ],
)
def test_a_step_is_priced_by_the_provider_else_the_table_else_zero(
    model: str, reported: float | None, cost: float
) -> None:
    (step,) = generation_usage(model, reported)

    assert step.priced(FakePrices(**{"listed/model": (3.0, 15.0)})).cost_usd == cost


def test_attempts_sum_their_steps_and_the_latest_attempt_names_the_model() -> None:
    def attempt(number: int, model: str, cost: float) -> AttemptUsage:
        steps = (StepUsage("generate_mission_plan", model, 10, 20, 5, cost),)
        return AttemptUsage("report-1", number, USER, f"job-{number}", steps, T0)

    total = summed([attempt(1, "a/model", 0.1), attempt(2, "b/model", 0.2)])

    assert total is not None
    assert (total.attempt, total.model, total.total_tokens, total.cost_usd) == (
        2,
        "b/model",
        60,
        0.3,
    )
    assert summed([]) is None


# --- storing -----------------------------------------------------------------------


async def test_a_completion_stores_its_usage_once_and_meters_it_once(
    fakes: Fakes, meter: FakeMeter
) -> None:
    report = await submit_mission_plan(fakes.deps, USER, valid_input())
    update = job_update(
        JobUpdateType.COMPLETED,
        report_id=report.id,
        output=completed_output(),
        usage=generation_usage("listed/model"),
    )

    await apply_job_update(fakes.deps, update, webhook_id="wh-1")
    await apply_job_update(fakes.deps, update, webhook_id="wh-1")  # the same delivery
    await apply_job_update(fakes.deps, update, webhook_id="wh-2")  # another one
    await apply_job_update(fakes.deps, update)  # a status poll's answer

    stored = fakes.store.usage[(report.id, 1)]
    assert (stored.user_id, stored.job_id, stored.model) == (USER, "job-1", "listed/model")
    assert stored.cost_usd == round((1200 * 3.0 + 3400 * 15.0) / 1_000_000, 6)
    assert meter.counted == [stored]


async def test_a_cancelled_and_deleted_reports_usage_counts_for_its_user(
    fakes: Fakes, meter: FakeMeter
) -> None:
    report = await submit_mission_plan(fakes.deps, USER, valid_input())
    await cancel_mission_plan(fakes.deps, USER, report.id)
    assert report.id not in fakes.store.reports

    def cancelled(user_id: str) -> JobUpdate:
        return job_update(
            JobUpdateType.CANCELLED,
            report_id=report.id,
            user_id=user_id,
            usage=generation_usage("listed/model", 0.02),
        )

    # Metadata naming another user matches no cancellation: nothing is stored.
    assert await apply_job_update(fakes.deps, cancelled("someone-else")) is False
    assert fakes.store.usage == {}
    assert await apply_job_update(fakes.deps, cancelled(USER)) is False

    stored = fakes.store.usage[(report.id, 1)]
    assert (stored.user_id, stored.cost_usd, stored.total_tokens) == (USER, 0.02, 4600)
    assert meter.counted == [stored]


async def test_a_late_failure_of_an_earlier_attempt_still_stores_its_usage(
    fakes: Fakes,
) -> None:
    report = await submit_mission_plan(fakes.deps, USER, valid_input())
    # The status poll failed the report before the job's own webhook came.
    await apply_job_update(fakes.deps, job_update(JobUpdateType.FAILED, report_id=report.id))
    retried = await retry_mission_plan(fakes.deps, USER, report.id)
    late = job_update(
        JobUpdateType.FAILED, report_id=report.id, attempt=1, usage=generation_usage()
    )

    assert await apply_job_update(fakes.deps, late) is False

    assert fakes.store.reports[report.id] == retried
    assert list(fakes.store.usage) == [(report.id, 1)]


async def test_an_update_without_tokens_stores_nothing(fakes: Fakes) -> None:
    report = await submit_mission_plan(fakes.deps, USER, valid_input())
    nothing = (StepUsage("generate_mission_plan", "listed/model", 0, 0, 10, None),)
    update = job_update(JobUpdateType.FAILED, report_id=report.id, usage=nothing)

    await apply_job_update(fakes.deps, update)

    assert fakes.store.usage == {}


# --- the webhook's usage -------------------------------------------------------------


def webhook(type_: str, data: dict[str, object]) -> dict[str, object]:
    return {
        "type": type_,
        "job_id": "job-1",
        "sequence": 9,
        "metadata": {"report_id": "report-1", "user_id": USER, "attempt": 2},
        "data": data,
    }


def test_a_failed_webhooks_steps_usage_is_read() -> None:
    steps = [
        {
            "step_id": "generate_mission_plan",
            "model": "m",
            "input_tokens": 5,
            "output_tokens": 6,
            "duration_ms": 7,
            "cost_usd": 0.5,
        }
    ]
    update = webhook_to_update(webhook("workflow.failed", {"usage": {"steps_usage": steps}}))

    assert update.usage == (StepUsage("generate_mission_plan", "m", 5, 6, 7, 0.5),)
    assert (update.user_id, update.attempt) == (USER, 2)


def test_the_existing_services_llm_usage_is_the_generation_step() -> None:
    llm_usage = {"model": "m", "input_tokens": 5, "output_tokens": 6, "duration_ms": 7}
    output = {"mission_plan": "# Plan\n", "llm_usage": llm_usage}

    update = webhook_to_update(webhook("workflow.completed", {"output": output}))

    assert update.usage == (StepUsage("generate_mission_plan", "m", 5, 6, 7, None),)


@pytest.mark.parametrize(
    "usage",
    [
        {"steps_usage": [{"model": "m", "input_tokens": 10**12}]},  # out of range
        {"steps_usage": ["not an object"]},
        {"steps_usage": [{"model": "m", "input_tokens": 1}] * 51},  # too many steps
    ],
)
def test_unreadable_usage_on_a_cancel_is_dropped_not_refused(usage: object) -> None:
    update = webhook_to_update(webhook("workflow.cancelled", {"usage": usage}))

    assert update.type is JobUpdateType.CANCELLED and update.usage == ()


@pytest.mark.parametrize("cost", [-1, float("nan"), 10**9, True, "0.5"])
def test_a_reported_cost_that_is_no_sane_number_is_left_to_the_price_table(
    cost: object,
) -> None:
    steps = [{"model": "m", "input_tokens": 1, "output_tokens": 1, "cost_usd": cost}]
    update = webhook_to_update(webhook("workflow.failed", {"usage": {"steps_usage": steps}}))

    assert update.usage[0].cost_usd is None


# --- the price table file ------------------------------------------------------------


def test_the_shipped_price_table_prices_the_default_deployments_model() -> None:
    table = load_price_table()

    assert table.cost_usd("anthropic/claude-sonnet-4", 1_000_000, 1_000_000) == 18.0
    assert table.cost_usd("offline-planner-v1", 5000, 5000) == 0.0


def test_an_unknown_model_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    table = load_price_table()
    caplog.set_level(logging.WARNING, logger="infra.pricing")

    assert table.cost_usd("new/model", 1, 1) is None
    assert table.cost_usd("new/model", 1, 1) is None

    assert [r.getMessage().count("new/model") for r in caplog.records] == [1]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"prices": {}}', 'needs an object "models"'),
        ('{"models": {"m": {"input_per_million": 1}}}', "output_per_million must be a number"),
        (
            '{"models": {"m": {"input_per_million": -1, "output_per_million": 1}}}',
            "input_per_million must be 0 or more",
        ),
    ],
)
def test_a_bad_price_file_stops_the_start_with_what_is_wrong(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "prices.json"
    path.write_text(content)

    with pytest.raises(InvalidPriceTable, match=message):
        load_price_table(path)


def test_a_missing_price_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidPriceTable, match="cannot be read"):
        load_price_table(tmp_path / "absent.json")


def test_the_price_file_replaces_the_shipped_table(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    models = {"acme/one": {"input_per_million": 1.0, "output_per_million": 2.0}}
    path.write_text(json.dumps({"models": models}))

    table = load_price_table(path)

    assert table.cost_usd("acme/one", 1_000_000, 1_000_000) == 3.0
    assert table.cost_usd("anthropic/claude-sonnet-4", 1, 1) is None
