"""Expected client errors leave one log line each and no traceback, on every path of the API.

The server runs in this process (uvicorn on a loopback port) so that caplog sees its log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from graph.app import create_app
from infra.auth import TokenAuthenticator
from infra.db.engine import create_engines
from infra.db.migrate import upgrade_to_head
from infra.webhook_signing import sign
from infra.wiring import WEBHOOK_PATH
from tests.integration.harness import JWT_SECRET, WEBHOOK_SECRET, settings_for
from tests.security.helpers import EVENTS, TRANSPORT_WS
from tests.support.local_server import serving

REPORTS_PAGE = "query($first: Int, $after: String) { missionReports(first: $first, after: $after) { edges { cursor } } }"


@dataclass(frozen=True)
class Server:
    base_url: str

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/graphql"

    def token(self, user: str = "user-1", **kwargs: Any) -> str:
        return TokenAuthenticator(JWT_SECRET).mint(user, **kwargs)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"
    engines = create_engines(url)
    await upgrade_to_head(engines.writer)
    await engines.dispose()
    app = create_app(settings_for(url, tmp_path, OFFLINE_STEP_DELAY_MS=0))
    async with serving(app) as base_url:
        yield Server(base_url)


def server_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the API logged (the test's own websocket and http clients left out)."""
    return [r for r in caplog.records if not r.name.startswith(("websockets", "httpx", "httpcore"))]


def assert_one_line_without_traceback(caplog: pytest.LogCaptureFixture, expected: str) -> None:
    records = server_records(caplog)
    assert [r for r in records if r.exc_info] == [], [r.getMessage() for r in records]
    assert [r for r in records if r.levelno >= logging.ERROR] == []
    lines = [r.getMessage() for r in records]
    assert len(lines) == 1 and expected in lines[0], lines


async def settle() -> None:
    """Lets the server finish the request's task (its log lines come at the end)."""
    await asyncio.sleep(0.2)


# --- websockets ------------------------------------------------------------------------


async def closed_with(ws: Any) -> tuple[int, str]:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


INIT_REFUSALS: dict[str, tuple[dict[str, Any], str]] = {
    "no token": ({"type": "connection_init"}, "Forbidden: authorization required"),
    "a token that is not one": (
        {"type": "connection_init", "payload": {"authorization": "Bearer not-a-jwt"}},
        "Forbidden: invalid token",
    ),
}


@pytest.mark.parametrize("case", list(INIT_REFUSALS))
async def test_a_refused_socket_is_one_line(
    server: Server, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    init, reason = INIT_REFUSALS[case]
    caplog.set_level(logging.INFO)
    async with websockets.connect(server.ws_url, subprotocols=TRANSPORT_WS) as ws:
        await ws.send(json.dumps(init))
        assert await closed_with(ws) == (4403, reason)
    await settle()
    assert_one_line_without_traceback(caplog, reason)


async def test_a_bad_message_is_one_line(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with websockets.connect(server.ws_url, subprotocols=TRANSPORT_WS) as ws:
        await ws.send("{not json")
        assert await closed_with(ws) == (4400, "Invalid JSON")
    await settle()
    assert_one_line_without_traceback(caplog, "Invalid JSON")


SUBSCRIBE_ERRORS: dict[str, tuple[str, dict[str, Any], str]] = {
    "an unknown report": (EVENTS, {"id": str(uuid.uuid4())}, "No mission report with this id."),
    "afterSequence a string": (
        EVENTS,
        {"id": str(uuid.uuid4()), "after": "seven"},
        "Int cannot represent non-integer value",
    ),
    "a bad cursor": (REPORTS_PAGE, {"after": "not-a-cursor"}, "not a cursor returned by this API"),
    "a negative first": (REPORTS_PAGE, {"first": -1}, "first: must not be negative."),
    "an unknown field": ("subscription { nope }", {}, "Cannot query field 'nope'"),
}


@pytest.mark.parametrize("case", list(SUBSCRIBE_ERRORS))
async def test_a_bad_subscription_is_an_error_frame_and_one_line(
    server: Server, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    query, variables, message = SUBSCRIBE_ERRORS[case]
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {server.token()}"}}
    async with websockets.connect(server.ws_url, subprotocols=TRANSPORT_WS) as ws:
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        caplog.set_level(logging.INFO)
        payload = {"query": query, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
    errors = frame["payload"] if frame["type"] == "error" else frame["payload"]["errors"]
    assert message in errors[0]["message"], frame
    await settle()
    assert_one_line_without_traceback(caplog, message)


async def test_a_subscription_with_a_syntax_error_is_closed_4400_with_one_line(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    # Before: strawberry's websocket worker logged a traceback and sent a bare `complete`.
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {server.token()}"}}
    async with websockets.connect(server.ws_url, subprotocols=TRANSPORT_WS) as ws:
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        caplog.set_level(logging.INFO)
        payload = {"query": "subscription { missionEvents(", "variables": {}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        code, reason = await closed_with(ws)
    assert code == 4400 and reason.startswith("Syntax Error"), reason
    await settle()
    # One line for the refused operation, one for the socket it closed; no traceback.
    records = server_records(caplog)
    assert [r for r in records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert [r.getMessage().split(":")[0] for r in records] == [
        "GraphQL request refused",
        "closing websocket",
    ]


async def test_a_subscription_after_the_token_expired_is_one_line(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    init = {
        "type": "connection_init",
        "payload": {"authorization": f"Bearer {server.token(ttl_seconds=1)}"},
    }
    async with websockets.connect(server.ws_url, subprotocols=TRANSPORT_WS) as ws:
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await asyncio.sleep(1.5)
        caplog.set_level(logging.INFO)
        payload = {"query": EVENTS, "variables": {"id": str(uuid.uuid4())}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert "token expired" in frame["payload"]["errors"][0]["message"], frame
    await settle()
    assert_one_line_without_traceback(caplog, "token expired")


# --- HTTP ------------------------------------------------------------------------------


async def test_graphql_over_http_without_a_token_is_one_line(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.post("/graphql", json={"query": "{ viewer { id } }"})
    assert response.json()["errors"][0]["message"].startswith("Authentication required")
    await settle()
    assert_one_line_without_traceback(caplog, "Authentication required")


def signed(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return sign(secret, f"msg_{uuid.uuid4().hex}", int(time.time()), body)


WEBHOOK_REFUSALS: dict[str, tuple[bytes, dict[str, str] | None, int, str]] = {
    "unsigned": (b"{}", {}, 401, "invalid_signature"),
    "signed with another secret": (
        b"{}",
        signed(b"{}", "whsec_" + "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC0wMDAwMDA="),
        401,
        "invalid_signature",
    ),
    "not JSON": (b"{not json", None, 400, "invalid_payload"),
    "a JSON list": (b"[1, 2]", None, 400, "invalid_payload"),
    "over the size cap": (b"x" * (2 * 1024 * 1024), None, 413, "body_too_large"),
}


@pytest.mark.parametrize("case", list(WEBHOOK_REFUSALS))
async def test_a_refused_webhook_is_one_line(
    server: Server, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    body, headers, status, error = WEBHOOK_REFUSALS[case]
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.post(
            WEBHOOK_PATH, content=body, headers=signed(body) if headers is None else headers
        )
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    await settle()
    assert_one_line_without_traceback(caplog, f"webhook refused: {status} {error}")
