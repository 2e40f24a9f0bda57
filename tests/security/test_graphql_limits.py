"""Issue 3, point 9: GraphQL limits, batching, suggestions, masking, and no mutation over GET.

Page size: `first` above MAX_PAGE_SIZE is clamped to it (the page says hasNextPage),
`first: 0` returns only pageInfo, a negative `first` is a GraphQL error naming `first`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from graphql import get_introspection_query

from graph.graphql_endpoint import MAX_HTTP_BODY_BYTES
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.security.helpers import CANCEL, new_user, submit


@pytest.fixture
async def strict_api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    settings = settings_for(
        database_url,
        tmp_path,
        OFFLINE_STEP_DELAY_MS=600_000,
        ENVIRONMENT="production",
        GRAPHQL_MAX_DEPTH=4,
        MAX_PAGE_SIZE=2,
        MAX_ACTIVE_JOBS_PER_USER=5,
    )
    async with running_api(settings) as harness:
        yield harness


def messages(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body.get("errors") or []]


async def test_the_depth_limit_refuses_deeper_operations(strict_api: ApiHarness) -> None:
    user = new_user()
    at_limit = "{ missionReports { edges { node { progress { percentage } } } } }"
    assert (await strict_api.graphql(at_limit, user=user))["data"] is not None
    deeper = "{ missionReports { edges { node { plan { sections { executiveSummary } } } } } }"
    body = await strict_api.graphql(deeper, user=user)
    assert "data" not in body
    assert messages(body) == ["'anonymous' exceeds maximum operation depth of 4"]
    # Fragments count where they are spread.
    spread = (
        "query Deep { missionReports { edges { ...Node } } } "
        "fragment Node on MissionReportEdge { node { plan { sections { executiveSummary } } } }"
    )
    assert messages(await strict_api.graphql(spread, user=user)) == [
        "'Deep' exceeds maximum operation depth of 4"
    ]


async def test_introspection_cannot_nest_without_end(api: ApiHarness) -> None:
    """The depth limiter skips `__` fields; graphql-core's introspection rule bounds them."""
    nested = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    body = await api.graphql(nested)
    assert "data" not in body
    assert messages(body) == ["Maximum introspection depth exceeded"]
    # The full introspection query of GraphiQL and codegen tools still works.
    full = await api.graphql(get_introspection_query(descriptions=True))
    assert "errors" not in full and full["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_the_alias_limit_refuses_more_than_fifteen(api: ApiHarness) -> None:
    user = new_user()

    def aliased(count: int) -> str:
        return "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(count)) + " }"

    assert (await api.graphql(aliased(15), user=user))["data"]["a14"] == {"id": user}
    body = await api.graphql(aliased(16), user=user)
    assert "data" not in body and messages(body) == ["16 aliases found. Allowed: 15"]


async def test_the_token_limit_refuses_huge_documents(api: ApiHarness) -> None:
    user = new_user()
    huge = "{ viewer { " + " ".join(["id"] * 2500) + " } }"
    body = await api.graphql(huge, user=user)
    assert "data" not in body
    assert messages(body) == [
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    ]


async def test_first_is_clamped_to_the_page_size_and_never_negative(
    strict_api: ApiHarness,
) -> None:
    user = new_user()
    for _ in range(3):
        await submit(strict_api, user)
    page = """query($first: Int) { missionReports(first: $first) {
        edges { node { id } } pageInfo { hasNextPage } } }"""

    async def ask(first: int | None) -> dict[str, Any]:
        return await strict_api.graphql(page, {"first": first}, user=user)

    for first in (100, 2**31 - 1, None):
        result = (await ask(first))["data"]["missionReports"]
        assert len(result["edges"]) == 2 and result["pageInfo"]["hasNextPage"], first
    empty = (await ask(0))["data"]["missionReports"]
    assert empty == {"edges": [], "pageInfo": {"hasNextPage": True}}
    for negative in (-1, -(2**31)):
        body = await ask(negative)
        assert body["data"] is None
        assert messages(body) == ["first: must not be negative."]
    too_big = await ask(2**31)  # beyond Int: a clear validation error, not a masked one
    assert "Int cannot represent non 32-bit signed integer value" in messages(too_big)[0]


async def test_batches_are_refused_and_run_nothing(api: ApiHarness) -> None:
    user = new_user()
    headers = {"Authorization": f"Bearer {api.token(user)}"}
    batch = [
        {"query": SUBMIT, "variables": {"input": WIZARD}},
        {"query": "{ viewer { id } }"},
    ]
    response = await api.client.post("/graphql", json=batch, headers=headers)
    assert response.status_code == 400
    assert "Batching is not enabled" in response.text
    assert (await api.graphql("{ activeMissions { id } }", user=user))["data"] == {
        "activeMissions": []
    }


SUGGESTIVE = {
    "field": ("{ viewr { id } }", "Cannot query field 'viewr' on type 'Query'."),
    "argument": (
        "{ missionReports(frist: 2) { nodes { id } } }",
        "Unknown argument 'frist' on field 'Query.missionReports'.",
    ),
    "enum value": (
        "{ bundles(scenario: HURRICAN) { id } }",
        "Value 'HURRICAN' does not exist in 'Scenario' enum.",
    ),
    "type": ("query($s: Scenaro) { bundles(scenario: $s) { id } }", "Unknown type 'Scenaro'."),
    "fragment type": ("{ viewer { ... on Viewr { id } } }", "Unknown type 'Viewr'."),
}


async def test_production_suggests_no_names(strict_api: ApiHarness) -> None:
    user = new_user()
    for kind, (query, message) in SUGGESTIVE.items():
        body = await strict_api.graphql(query, user=user)
        assert messages(body) == [message], kind
    typo = {**WIZARD, "location": {"cty": "Miami", "state": "FL"}}
    body = await strict_api.graphql(SUBMIT, {"input": typo}, user=user)
    assert messages(body) and not any("Did you mean" in m for m in messages(body)), body


async def test_development_keeps_suggestions(api: ApiHarness) -> None:
    user = new_user()
    for kind, (query, message) in SUGGESTIVE.items():
        (only,) = messages(await api.graphql(query, user=user))
        assert only.startswith(message + " Did you mean "), (kind, only)


async def test_unexpected_errors_are_masked_and_typed_ones_keep_their_message(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("connection to db-primary:5432 failed, password=hunter2")

    monkeypatch.setattr(api.state.queries, "bundles", broken)
    response = await api.client.post("/graphql", json={"query": "{ bundles { id } }"})
    assert response.status_code == 200
    assert messages(response.json()) == ["Unexpected error."]
    assert "hunter2" not in response.text and "db-primary" not in response.text

    # Public errors keep their words.
    anonymous = await api.graphql("{ viewer { id } }")
    assert messages(anonymous) == [
        "Authentication required: send a valid 'Authorization: Bearer <jwt>'."
    ]
    user = new_user()
    cursor = await api.graphql('{ missionReports(after: "nope") { nodes { id } } }', user=user)
    assert messages(cursor) == ["after: not a cursor returned by this API"]
    missing = await api.graphql(CANCEL, {"id": "00000000-0000-0000-0000-000000000000"}, user=user)
    assert missing["data"]["cancelMissionPlan"] == {
        "__typename": "NotFoundError",
        "message": "No mission report with this id.",
    }


async def test_get_runs_queries_but_never_mutations(api: ApiHarness) -> None:
    user = new_user()
    report = await submit(api, user)
    headers = {"Authorization": f"Bearer {api.token(user)}"}
    query = await api.client.get("/graphql", params={"query": "{ viewer { id } }"}, headers=headers)
    assert query.status_code == 200 and query.json()["data"]["viewer"]["id"] == user

    cancel = f'mutation {{ cancelMissionPlan(reportId: "{report["id"]}") {{ __typename }} }}'
    attempts = [
        {"query": cancel},
        # The mutation picked by operationName out of a document that starts with a query.
        {
            "query": "query Q { viewer { id } } " + cancel.replace("mutation", "mutation M"),
            "operationName": "M",
        },
    ]
    for params in attempts:
        response = await api.client.get("/graphql", params=params, headers=headers)
        assert response.status_code == 400, response.text
        assert "mutations are not allowed when using GET" in response.text
    # Form posts and text/plain are what a cross-site page can send without a preflight.
    for content_type in ("application/x-www-form-urlencoded", "text/plain", "multipart/form-data"):
        response = await api.client.post(
            "/graphql",
            content=json.dumps({"query": cancel}),
            headers={**headers, "content-type": content_type},
        )
        assert response.status_code == 400, content_type
    body = await api.graphql(
        "query($id: ID!) { missionReport(id: $id) { status } }", {"id": report["id"]}, user=user
    )
    assert body["data"]["missionReport"] == {"status": "GENERATING"}


async def test_a_body_over_a_mebibyte_is_413(api: ApiHarness) -> None:
    user = new_user()
    headers = {"Authorization": f"Bearer {api.token(user)}", "content-type": "application/json"}
    notes = "x" * MAX_HTTP_BODY_BYTES
    body = json.dumps({"query": SUBMIT, "variables": {"input": {**WIZARD, "notes": notes}}})

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536].encode()

    declared = await api.client.post("/graphql", content=body, headers=headers)
    assert declared.status_code == 413
    streamed = await api.client.post("/graphql", content=chunked(), headers=headers)
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413
    active = await api.graphql("{ activeMissions { id } }", user=user)
    assert active["data"]["activeMissions"] == []
