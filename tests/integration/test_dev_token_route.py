"""POST /api/dev/token: development sign-in for the web client, absent in production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.harness import ApiHarness, running_api, settings_for

PATH = "/api/dev/token"
VIEWER = "{ viewer { id isAdmin } }"


@pytest.fixture
async def make_api(tmp_path: Path) -> AsyncIterator[Any]:
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


async def viewer_of(api: ApiHarness, token: str) -> dict[str, Any]:
    response = await api.client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.json()["data"]["viewer"]


async def test_development_mints_a_token_the_api_accepts(make_api: Any) -> None:
    api = await make_api()
    assert (await api.client.get(PATH)).json() == {"available": True}

    response = await api.client.post(PATH, json={"user_id": "alice"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["user_id"] == "alice" and body["admin"] is False
    assert await viewer_of(api, body["token"]) == {"id": "alice", "isAdmin": False}

    admin = (await api.client.post(PATH, json={"user_id": "root.ops", "admin": True})).json()
    assert await viewer_of(api, admin["token"]) == {"id": "root.ops", "isAdmin": True}


@pytest.mark.parametrize(
    "overrides",
    [
        {"ENVIRONMENT": "production"},
        {"ENVIRONMENT": "staging"},
        {"ENVIRONMENT": "test"},
        {"DEV_SIGN_IN": False},
    ],
    ids=["production", "staging", "test", "off"],
)
async def test_where_it_is_off_both_methods_answer_404_saying_so(
    make_api: Any, overrides: Any
) -> None:
    api = await make_api(**overrides)
    assert (await api.client.get(PATH)).status_code == 404
    response = await api.client.post(PATH, json={"user_id": "alice", "admin": True})
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "message": "Development sign-in is off on this server: sign in with a token.",
    }


async def test_development_in_any_case_is_development(make_api: Any) -> None:
    api = await make_api(ENVIRONMENT="Development")
    assert (await api.client.post(PATH, json={"user_id": "alice"})).status_code == 200


@pytest.mark.parametrize("environment", ["production", "staging"])
async def test_outside_development_it_can_be_turned_on_explicitly(
    make_api: Any, environment: str
) -> None:
    api = await make_api(ENVIRONMENT=environment, DEV_SIGN_IN=True)
    assert (await api.client.post(PATH, json={"user_id": "alice"})).status_code == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "invalid_json"),
        (b'["alice"]', "invalid_json"),
        (b"{}", "invalid_user_id"),
        (b'{"user_id": ""}', "invalid_user_id"),
        (b'{"user_id": "al ice"}', "invalid_user_id"),
        (b'{"user_id": "a\\u0000b"}', "invalid_user_id"),
        (('{"user_id": "' + "a" * 65 + '"}').encode(), "invalid_user_id"),
        (b'{"user_id": 7}', "invalid_user_id"),
        (b'{"user_id": "alice", "admin": "yes"}', "invalid_admin"),
        (b'{"user_id": "' + b"a" * 2000 + b'"}', "body_too_large"),
    ],
)
async def test_bad_requests_get_a_reason_and_no_token(
    make_api: Any, body: bytes, error: str
) -> None:
    api = await make_api()
    response = await api.client.post(PATH, content=body)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["message"]
    assert "token" not in response.json()
