"""Issue 6, points 5 and 13: malformed HTTP input gets a 4xx with its reason, one log line
and no traceback, and changes nothing."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from graph.graphql_endpoint import MAX_QUERY_STRING_BYTES, SUBSCRIPTION_NEEDS_A_STREAM
from tests.integration.harness import ApiHarness
from tests.security.helpers import MY_EVENTS, new_user, report_state, submit, webhook_event

DEEP_LIST = "[" * 2000 + "]" * 2000
DEEP_OBJECT = '{"a":' * 2000 + "1" + "}" * 2000
VIEWER = '{"query": "{ viewer { id } }", "variables": %s}'

POSTS: dict[str, tuple[bytes, str]] = {
    "a JSON string": (b'"hi"', "Expected a JSON object"),
    "a JSON number": (b"5", "Expected a JSON object"),
    "JSON null": (b"null", "Expected a JSON object"),
    "a list nested 2,000 deep": (DEEP_LIST.encode(), "JSON nested too deeply"),
    "variables nested 2,000 deep": ((VIEWER % DEEP_OBJECT).encode(), "JSON nested too deeply"),
    "not UTF-8": (b'{"query": "\xff"}', "Unable to parse request as JSON"),
    "not JSON": (b"{query", "Unable to parse request as JSON: Invalid JSON"),
    "a subscription": (json.dumps({"query": MY_EVENTS}).encode(), SUBSCRIPTION_NEEDS_A_STREAM),
}


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("case", list(POSTS))
async def test_a_malformed_post_is_400_with_its_reason(
    api: ApiHarness, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, reason = POSTS[case]
    user = new_user()
    headers = {"Authorization": f"Bearer {api.token(user)}", "content-type": "application/json"}
    caplog.set_level(logging.INFO)
    response = await api.client.post("/graphql", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert reason in response.text
    assert tracebacks(caplog) == []


GETS: dict[str, tuple[dict[str, str], int, str]] = {
    "variables nested 2,000 deep": (
        {"query": "{ viewer { id } }", "variables": DEEP_OBJECT},
        400,
        "JSON nested too deeply",
    ),
    "variables a number": ({"query": "{ viewer { id } }", "variables": "5"}, 400, "JSON object"),
    "a subscription": ({"query": MY_EVENTS}, 400, SUBSCRIPTION_NEEDS_A_STREAM),
    # Point 6: the query string (query and variables) counts toward the request cap.
    "a query string over the cap": (
        {
            "query": "{ viewer { id } }",
            "variables": json.dumps({"p": "x" * MAX_QUERY_STRING_BYTES}),
        },
        414,
        "Query string too long",
    ),
}


@pytest.mark.parametrize("case", list(GETS))
async def test_a_malformed_get_is_4xx_with_its_reason(
    api: ApiHarness, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    params, status, reason = GETS[case]
    headers = {"Authorization": f"Bearer {api.token(new_user())}"}
    caplog.set_level(logging.INFO)
    response = await api.client.get("/graphql", params=params, headers=headers)
    assert response.status_code == status, response.text
    assert reason in response.text
    assert tracebacks(caplog) == []


@pytest.mark.parametrize("event_type", [["workflow.completed"], {"a": 1}, None, 7])
async def test_a_webhook_whose_type_is_not_a_string_is_400(
    api: ApiHarness, event_type: Any, caplog: pytest.LogCaptureFixture
) -> None:
    user = new_user()
    report = await submit(api, user)
    before = await report_state(api, report, user)
    body = {**webhook_event(report, "workflow.completed", 5), "type": event_type}
    caplog.set_level(logging.INFO)
    response = await api.webhook(body)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_payload", "detail": "type must be a string"}
    assert tracebacks(caplog) == []
    assert await report_state(api, report, user) == before


async def test_bad_variables_log_one_line_without_traceback(
    api: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    query = "query($id: ID!, $n: Int) { missionReport(id: $id) { id } missionReports(first: $n) { edges { cursor } } }"
    body = await api.graphql(query, {"id": ["x"], "n": "many"}, user=new_user())
    # Nothing ran: per GraphQL over HTTP the answer has no data entry at all.
    assert "data" not in body and len(body["errors"]) == 2
    assert tracebacks(caplog) == []
    refused = [r.getMessage() for r in caplog.records if r.name == "graph.errors"]
    assert len(refused) == 1 and refused[0].startswith("GraphQL request refused: 2 error(s)")
