"""The admins' usage summary by model and user within a period; bundle prices in dollars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.harness import ApiHarness
from tests.integration.usage.metered import (
    SUMMARY,
    MeteredProvider,
    as_admin,
    finished,
    new_model,
    new_user,
    submit,
)


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
