"""Issue 6, point 6: what one request can cost. Variables count toward the request size
cap (tests/security/test_graphql_limits.py and test_malformed_input.py), validation stops
collecting errors, and a cost limit refuses operations whose answer would be huge."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from domain.field_errors import MAX_FIELD_ERRORS
from graph.operation_limits import ASSUMED_LIST_SIZE
from tests.e2e.client import REPORT, SUBMIT, WIZARD
from tests.integration.harness import ApiHarness
from tests.security.helpers import new_user

MAX_COST = 5000  # GRAPHQL_MAX_COST's default


def aliased_pages(count: int, first: str = "100") -> str:
    page = f"missionReports(first: {first}) {{ edges {{ node {{ id plan {{ content }} }} }} }}"
    return "{ " + " ".join(f"a{i}: {page}" for i in range(count)) + " }"


def messages(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body.get("errors") or []]


async def test_fifteen_aliased_full_pages_are_refused_by_cost(api: ApiHarness) -> None:
    user = new_user()
    body = await api.graphql(aliased_pages(15), user=user)
    assert "data" not in body
    # Each alias: itself, then 100 items of edges, node, id, plan and content.
    cost = 15 * (1 + 100 * 5)
    assert messages(body) == [
        f"'anonymous' asks for up to {cost} values; the limit is {MAX_COST}. "
        "Ask for fewer items (a smaller `first`), fewer fields or fewer aliases."
    ]
    assert body["errors"][0]["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": cost,
        "limit": MAX_COST,
    }
    # A variable `first` counts as a full page: validation runs before variables are known.
    query = aliased_pages(15, "$n").replace("{", "query($n: Int) {", 1)
    refused = await api.graphql(query, {"n": 1}, user=user)
    assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    # What a client needs still fits: a few pages, or one page of whole reports.
    assert "errors" not in await api.graphql(aliased_pages(3), user=user)
    whole = REPORT.replace("missionReport(id: $id)", "missionReports(first: 20) { edges { node")
    whole = whole.replace("query Report($id: ID!) {", "query Reports {") + " } }"
    assert "errors" not in await api.graphql(whole, user=user), whole


async def test_fragments_count_where_spread_and_doubling_fragments_stay_linear(
    api: ApiHarness,
) -> None:
    user = new_user()
    pages = " ".join(f"p{i}: missionReports(first: 100) {{ ...Page }}" for i in range(7))
    spread = (
        f"query Pages {{ {pages} }} "
        "fragment Page on MissionReportConnection { edges { node { ...Report } } } "
        "fragment Report on MissionReport { id status plan { content } usage { model } }"
    )
    body = await api.graphql(spread, user=user)
    assert body["errors"][0]["extensions"]["cost"] == 7 * (1 + 100 * 8)
    # Each fragment spreads the next twice: 2**30 fields if expanded, counted once each.
    levels = 30
    fragments = " ".join(
        f"fragment F{i} on Viewer {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    doubling = f"{{ viewer {{ ...F0 }} }} {fragments} fragment F{levels} on Viewer {{ id }}"
    body = await api.graphql(doubling, user=user)
    assert body["errors"][0]["extensions"]["cost"] == 1 + 2**levels


async def test_lists_without_first_count_as_assumed_size(api: ApiHarness) -> None:
    # 15 aliases of notifications { id message } each count 1 + 10 * 2.
    query = "{ " + " ".join(f"n{i}: notifications {{ id }}" for i in range(15)) + " }"
    body = await api.graphql(query, user=new_user())
    assert "errors" not in body
    deep = "{ bundles { id items scenarios } activeMissions { plan { sections { riskAssessment { level } } } } }"
    body = await api.graphql(deep, user=new_user())
    assert "errors" not in body, body
    assert ASSUMED_LIST_SIZE == 10


async def test_validation_stops_after_a_hundred_errors(api: ApiHarness) -> None:
    fields = " ".join(f"f{i}" for i in range(1500))
    response = await api.client.post("/graphql", json={"query": f"{{ viewer {{ {fields} }} }}"})
    body = response.json()
    assert len(body["errors"]) == 101
    assert body["errors"][-1]["message"] == (
        "Too many validation errors, error limit reached. Validation aborted."
    )
    assert len(response.content) < 20_000


async def test_input_validation_reports_at_most_fifty_field_errors(api: ApiHarness) -> None:
    # Each member has 12 problems: age, name and ten blank medical needs.
    member = {"age": 999, "name": "x" * 101, "medicalNeeds": [" "] * 10}
    members = [member] * 5_000  # 700 KB, under the body cap
    variables = {"input": {**WIZARD, "familyMembers": members}}
    user = new_user()
    headers = {"Authorization": f"Bearer {api.token(user)}"}
    response = await api.client.post(
        "/graphql", json={"query": SUBMIT, "variables": variables}, headers=headers
    )
    result = response.json()["data"]["submitMissionPlan"]
    assert result["__typename"] == "ValidationError"
    errors = result["errors"]
    assert len(errors) == MAX_FIELD_ERRORS + 1
    assert errors[0] == {"field": "familyMembers", "code": "TOO_MANY"}
    assert errors[-1] == {"field": "input", "code": "TOO_MANY_ERRORS"}
    assert len(response.content) < 10_000, len(response.content)
    active = await api.graphql("{ activeMissions { id } }", user=user)
    assert active["data"]["activeMissions"] == []


async def test_doubling_fragments_and_unknown_spreads_are_refused_at_once(
    api: ApiHarness,
) -> None:
    """Strawberry's depth and alias limiters expanded every spread: this held the loop."""
    levels = 30
    fragments = " ".join(
        f"fragment F{i} on Viewer {{ a{i}: id ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    query = f"{{ viewer {{ ...F0 }} }} {fragments} fragment F{levels} on Viewer {{ id }}"
    started = time.monotonic()
    body = await asyncio.wait_for(api.graphql(query, user=new_user()), 10)
    assert time.monotonic() - started < 2
    assert messages(body)[0] == f"{2**levels - 1} aliases found. Allowed: 15"
    unknown = await api.graphql("{ viewer { ...Missing } }", user=new_user())
    assert messages(unknown) == ["Unknown fragment 'Missing'."]
