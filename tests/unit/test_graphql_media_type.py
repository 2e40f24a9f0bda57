"""Which media type a GraphQL over HTTP answer takes, from the request's Accept header."""

from __future__ import annotations

import pytest

from graph.http_responses import prefers_graphql_response_json


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, False),  # no Accept: the legacy application/json
        ("", False),
        ("*/*", False),
        ("application/json", False),
        ("text/html", False),  # neither: answered as JSON rather than 406
        ("application/graphql-response+json", True),
        ("Application/GraphQL-Response+JSON", True),
        ("application/graphql-response+json, application/json;q=0.9", True),  # Apollo, urql
        ("application/json, application/graphql-response+json", True),  # a tie: the spec's type
        ("application/json, application/graphql-response+json;q=0.5", False),
        ("application/graphql-response+json;q=0", False),
        ("application/graphql-response+json;q=oops", False),
        ("*/*;q=0.1, application/graphql-response+json;q=0.2", True),
    ],
)
def test_the_spec_media_type_is_used_when_asked_for_at_least_as_much(
    accept: str | None, expected: bool
) -> None:
    assert prefers_graphql_response_json(accept) is expected


def test_a_huge_accept_header_is_read_in_bounded_parts() -> None:
    accept = "text/plain, " * 100_000 + "application/graphql-response+json"
    assert prefers_graphql_response_json(accept) is False
