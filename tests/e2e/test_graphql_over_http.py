"""GraphQL over HTTP conformance: the npm graphql-http audit suite against the server."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.node_clients import node_script, run_node
from tests.e2e.server import RunningServer

pytestmark = pytest.mark.e2e


async def test_the_graphql_http_audit_finds_no_error_and_no_warning(server: RunningServer) -> None:
    command = node_script("audit_http.mjs", "graphql-http")
    run = await run_node(command, f"{server.base_url}/graphql")
    assert run.returncode == 0, run.stderr
    results = run.json_lines()
    assert len(results) > 50  # the whole suite ran
    assert [r for r in results if r["status"] != "ok"] == []


async def test_a_request_error_is_a_400_without_data_under_the_new_media_type(
    server: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        for accept, status in (
            ("application/graphql-response+json", 400),
            ("application/graphql-response+json, application/json;q=0.9", 400),
            ("application/json", 200),  # what older clients expect
            ("*/*", 200),
        ):
            response = await http.post(
                "/graphql", json={"query": "{ noSuchField }"}, headers={"Accept": accept}
            )
            assert response.status_code == status, accept
            media = accept.split(",")[0] if status == 400 else "application/json"
            assert response.headers["content-type"].startswith(media), accept
            body = response.json()
            assert "data" not in body and "noSuchField" in body["errors"][0]["message"]


async def test_an_execution_error_keeps_its_data_and_a_200(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        response = await http.post(
            "/graphql",
            json={"query": "{ viewer { id } }"},
            headers={"Accept": "application/graphql-response+json"},
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"].startswith("Authentication required")
