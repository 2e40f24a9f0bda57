"""Issue 6, point 8: with ENVIRONMENT=production the schema, the IDE and the metrics are
not published unless a setting says so, and the SQLite file is private (0600)."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from infra.db.engine import create_engines
from llm_service.db import create_db_engine
from tests.integration.harness import ApiHarness, running_api, settings_for

INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE_QUERY = '{ __type(name: "MissionReport") { name } }'
HTML = {"Accept": "text/html"}


@pytest.fixture
async def make_api(tmp_path: Path) -> AsyncIterator[Any]:
    """Starts the API on SQLite with the given settings; stops it after the test."""
    stack: list[Any] = []

    async def start(**overrides: Any) -> ApiHarness:
        data_dir = tmp_path / f"api-{len(stack)}"
        settings = settings_for(f"sqlite+aiosqlite:///{data_dir / 'api.db'}", data_dir, **overrides)
        context = running_api(settings)
        stack.append(context)
        return await context.__aenter__()

    yield start
    for context in reversed(stack):
        await context.__aexit__(None, None, None)


async def introspects(api: ApiHarness) -> bool:
    body = await api.graphql(INTROSPECTION)
    return body.get("data") is not None and not body.get("errors")


async def serves_graphiql(api: ApiHarness) -> bool:
    response = await api.client.get("/graphql", headers=HTML)
    return response.status_code == 200 and "graphiql" in response.text.lower()


async def test_production_hides_the_schema_and_the_ide(make_api: Any) -> None:
    api = await make_api(ENVIRONMENT="production")
    assert not await introspects(api)
    for query in (INTROSPECTION, TYPE_QUERY):
        body = await api.graphql(query)
        assert "data" not in body
        assert "introspection" in body["errors"][0]["message"].lower()
    # Clients still tell union members apart.
    assert (await api.graphql("{ __typename }"))["data"] == {"__typename": "Query"}
    assert not await serves_graphiql(api)


async def test_settings_turn_them_back_on_in_production(make_api: Any) -> None:
    api = await make_api(ENVIRONMENT="production", GRAPHQL_INTROSPECTION=True, GRAPHIQL=True)
    assert await introspects(api)
    assert await serves_graphiql(api)


async def test_development_has_them_by_default_and_settings_turn_them_off(
    make_api: Any,
) -> None:
    default = await make_api()
    assert await introspects(default) and await serves_graphiql(default)
    off = await make_api(GRAPHQL_INTROSPECTION=False, GRAPHIQL=False)
    assert not await introspects(off) and not await serves_graphiql(off)


async def test_production_metrics_need_a_token(make_api: Any) -> None:
    unset = await make_api(ENVIRONMENT="production")
    assert (await unset.client.get("/metrics")).status_code == 404

    api = await make_api(ENVIRONMENT="production", METRICS_TOKEN="scrape-me-0123456789")
    assert (await api.client.get("/metrics")).status_code == 401
    wrong = await api.client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
    right = await api.client.get(
        "/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"}
    )
    assert right.status_code == 200 and "# HELP" in right.text


async def test_development_metrics_are_open_unless_a_token_is_set(make_api: Any) -> None:
    assert (await (await make_api()).client.get("/metrics")).status_code == 200
    guarded = await make_api(METRICS_TOKEN="scrape-me-0123456789")
    assert (await guarded.client.get("/metrics")).status_code == 401


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_default_sqlite_database_is_created_private(
    make_api: Any, tmp_path: Path
) -> None:
    data_dir = tmp_path / "default-db"
    await make_api(DATABASE_URL=None, DATA_DIR=str(data_dir))
    database = data_dir / "mission_planner.db"
    assert database.exists()
    assert mode(database) == 0o600
    for companion in (data_dir / "mission_planner.db-wal", data_dir / "mission_planner.db-shm"):
        if companion.exists():
            assert mode(companion) & 0o077 == 0, companion
    for secret in data_dir.glob("*.txt"):
        assert mode(secret) == 0o600


async def test_explicit_sqlite_files_are_created_private_on_both_services(tmp_path: Path) -> None:
    api_engines = create_engines(f"sqlite+aiosqlite:///{tmp_path / 'a' / 'api.db'}")
    llm_engine = create_db_engine(f"sqlite+aiosqlite:///{tmp_path / 'b' / 'llm.db'}")
    try:
        assert mode(tmp_path / "a" / "api.db") == 0o600
        assert mode(tmp_path / "b" / "llm.db") == 0o600
    finally:
        await api_engines.dispose()
        await llm_engine.dispose()
