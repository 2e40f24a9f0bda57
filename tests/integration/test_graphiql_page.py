"""GraphiQL's page is served on the API's own copies of its npm files, and only those;
without them the API still works and the page says what is missing."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import graph.graphiql
from graph.graphiql import ASSETS_PATH, NPM_PROJECT, load_graphiql_page
from tests.e2e.node_clients import skip_or_fail
from tests.integration.harness import ApiHarness, running_api, settings_for

HTML = {"Accept": "text/html"}
SOURCES = re.compile(r'(?:src|href)="([^"]+)"')


def installed() -> None:
    if not (NPM_PROJECT / "node_modules" / "graphiql").exists():
        skip_or_fail("GraphiQL's npm files are missing (make graphiql-assets)")


@pytest.fixture
async def make_api(tmp_path: Path) -> AsyncIterator[Any]:
    contexts: list[Any] = []

    async def start() -> ApiHarness:
        data_dir = tmp_path / f"api-{len(contexts)}"
        settings = settings_for(f"sqlite+aiosqlite:///{data_dir / 'api.db'}", data_dir)
        context = running_api(settings)
        contexts.append(context)
        return await context.__aenter__()

    yield start
    for context in reversed(contexts):
        await context.__aexit__(None, None, None)


def test_the_page_names_only_files_the_api_serves() -> None:
    installed()
    page = load_graphiql_page()
    assert page.status_code == 200
    sources = [s for s in SOURCES.findall(page.html) if not s.startswith("data:")]
    assert len(sources) == 7
    assert all(s.startswith(f"{ASSETS_PATH}/") for s in sources), sources
    assert sorted(s.removeprefix(f"{ASSETS_PATH}/") for s in sources) == sorted(page.assets)
    assert "unpkg" not in page.html
    assert "window.missionPlannerHeaders" in page.html  # the #token= prefill is in place


async def test_the_api_serves_the_page_and_nothing_else_from_node_modules(make_api: Any) -> None:
    installed()
    api = await make_api()
    page = await api.client.get("/graphql", headers=HTML)
    assert (
        page.status_code == 200
        and f'src="{ASSETS_PATH}/graphiql@3.8.3/graphiql.min.js"' in page.text
    )
    script = await api.client.get(f"{ASSETS_PATH}/graphiql@3.8.3/graphiql.min.js")
    assert script.status_code == 200
    assert script.content == (NPM_PROJECT / "node_modules/graphiql/graphiql.min.js").read_bytes()
    assert "immutable" in script.headers["cache-control"]
    for other in (
        "graphiql@3.8.3/package.json",
        "graphiql@3.8.3/graphiql.min.js.map",
        "graphiql@9.9.9/graphiql.min.js",
        "../../../../etc/passwd",
        "%2e%2e/%2e%2e/package.json",
    ):
        assert (await api.client.get(f"{ASSETS_PATH}/{other}")).status_code == 404, other


async def test_without_the_npm_files_the_api_works_and_the_page_says_so(
    make_api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An install whose graphiql is another version than the page names counts as missing.
    stale = tmp_path / "npm" / "node_modules" / "graphiql"
    stale.mkdir(parents=True)
    (stale / "package.json").write_text(json.dumps({"version": "3.0.0"}))
    (stale / "graphiql.min.js").write_text("stale")
    monkeypatch.setattr(graph.graphiql, "NPM_PROJECT", tmp_path / "npm")
    api = await make_api()

    page = await api.client.get("/graphql", headers=HTML)
    assert page.status_code == 503
    assert "GraphiQL's files are not installed" in page.text
    assert "make graphiql-assets" in page.text and "graphiql@3.8.3" in page.text
    assert (
        await api.client.get(f"{ASSETS_PATH}/graphiql@3.8.3/graphiql.min.js")
    ).status_code == 404
    assert (await api.graphql("{ __typename }"))["data"] == {"__typename": "Query"}
