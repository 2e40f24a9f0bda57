"""Issue 3, point 10: the websocket endpoint of the real server (`python -m graph.serve`).

The server runs with WS_INIT_TIMEOUT_SECONDS=1, WS_MAX_SUBSCRIPTIONS=3 and one
allowed origin (see conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.typing import Origin, Subprotocol

from graph.app import create_app
from graph.ws_protocol import MAX_WS_MESSAGE_BYTES
from tests.e2e.server import RunningServer
from tests.integration.harness import settings_for
from tests.security.conftest import ALLOWED_ORIGIN
from tests.security.helpers import (
    CANCEL,
    EVENTS,
    LEGACY_WS,
    MY_EVENTS,
    TRANSPORT_WS,
    GraphQLSocket,
    new_user,
    server_submit,
)
from tests.security.test_jwt import forge

pytestmark = pytest.mark.e2e


async def close_code(ws: Any, timeout: float = 10.0) -> int:
    """Reads until the server closes the connection; returns its close code."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code


async def init_close_code(server: RunningServer, init: dict[str, Any]) -> int:
    async with websockets.connect(server.ws_url, subprotocols=TRANSPORT_WS) as ws:
        await ws.send(json.dumps(init))
        return await close_code(ws)


async def test_only_graphql_transport_ws_is_spoken(ws_server: RunningServer) -> None:
    offers: list[list[Subprotocol] | None] = [[LEGACY_WS], None, [LEGACY_WS, Subprotocol("mqtt")]]
    for offered in offers:
        async with websockets.connect(ws_server.ws_url, subprotocols=offered) as ws:
            assert ws.subprotocol is None
            assert await close_code(ws) == 4406, offered
    # Offered alongside the legacy one, the current protocol is the one chosen.
    async with websockets.connect(ws_server.ws_url, subprotocols=[LEGACY_WS, *TRANSPORT_WS]) as ws:
        assert ws.subprotocol == "graphql-transport-ws"


async def test_a_silent_client_is_closed_with_4408_after_the_init_timeout(
    ws_server: RunningServer,
) -> None:
    async with websockets.connect(ws_server.ws_url, subprotocols=TRANSPORT_WS) as ws:
        started = time.monotonic()
        assert await close_code(ws, timeout=5) == 4408
        waited = time.monotonic() - started
    assert 0.5 <= waited < 4, waited  # WS_INIT_TIMEOUT_SECONDS=1, not the 5 s default


async def test_bad_or_missing_tokens_are_closed_with_4403(ws_server: RunningServer) -> None:
    user = new_user()
    expired = ws_server.token(user, ttl_seconds=-60)
    now = int(time.time())
    claims = {"sub": user, "iat": now, "nbf": now, "exp": now + 600}
    payloads: dict[str, Any] = {
        "no payload": None,
        "empty payload": {},
        "not a JWT": {"authorization": "Bearer not-a-jwt"},
        "expired": {"authorization": f"Bearer {expired}"},
        "alg none": {"authorization": f"Bearer {forge(claims, alg='none', key=None)}"},
        "wrong key": {"authorization": f"Bearer {forge(claims)}"},
        "not a string": {"authorization": 42},
        "no Bearer": {"authorization": ws_server.token(user)},
    }
    codes = {}
    for name, payload in payloads.items():
        init = {"type": "connection_init"} | ({} if payload is None else {"payload": payload})
        codes[name] = await init_close_code(ws_server, init)
    assert codes == dict.fromkeys(payloads, 4403)
    # Subscribing without connection_init at all is refused too (4401, Unauthorized).
    subscribe = {"id": "1", "type": "subscribe", "payload": {"query": MY_EVENTS}}
    assert await init_close_code(ws_server, subscribe) == 4401


async def test_subscriptions_per_connection_are_capped(ws_server: RunningServer) -> None:
    user = new_user()
    report = await server_submit(ws_server, user)
    async with GraphQLSocket.open(ws_server, ws_server.token(user)) as socket:
        silent = [await socket.start(MY_EVENTS) for _ in range(3)]
        refused = await socket.execute(EVENTS, {"id": report["id"]})
        assert [e["message"] for e in refused["errors"]] == ["Subscription limit reached"]
        # Ending one frees its place (the server handles a socket's messages in order).
        await socket.ws.send(json.dumps({"id": silent[0], "type": "complete"}))
        accepted = await socket.execute(EVENTS, {"id": report["id"]})
        assert accepted["data"]["missionEvents"]["__typename"] == "MissionProgressEvent"


async def test_only_allowed_origins_may_open_a_socket(ws_server: RunningServer) -> None:
    for origin in (
        "https://evil.example.com",
        "https://app.example.com.evil.com",
        "http://app.example.com",
        "null",
    ):
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(
                ws_server.ws_url,
                subprotocols=TRANSPORT_WS,
                origin=Origin(origin),
            ):
                pass
        assert refused.value.response.status_code == 403, origin
    token = ws_server.token(new_user())
    async with GraphQLSocket.open(ws_server, token, origin=ALLOWED_ORIGIN) as socket:
        assert (await socket.execute("{ viewer { id } }"))["data"]["viewer"]["id"]
    # Clients that are not browsers send no Origin and carry no ambient credentials.
    async with GraphQLSocket.open(ws_server, token) as socket:
        assert (await socket.execute("{ viewer { id } }"))["data"]["viewer"]["id"]


async def test_an_oversized_message_closes_the_socket(ws_server: RunningServer) -> None:
    token = ws_server.token(new_user())
    padding = "x" * (MAX_WS_MESSAGE_BYTES + 1024)
    huge = {
        "id": "1",
        "type": "subscribe",
        "payload": {"query": MY_EVENTS, "variables": {"p": padding}},
    }
    async with GraphQLSocket.open(ws_server, token) as socket:
        await socket.ws.send(json.dumps(huge))
        # 1009 from uvicorn's ws_max_size (graph.serve), 4413 from our own cap.
        assert await close_code(socket.ws) in {1009, 4413}
    # Before connection_init too.
    async with websockets.connect(ws_server.ws_url, subprotocols=TRANSPORT_WS) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"p": padding}}))
        assert await close_code(ws) in {1009, 4413}


async def test_the_view_closes_oversized_messages_with_4413_itself(tmp_path: Path) -> None:
    """Behind a server with no frame limit (plain `uvicorn graph.app:app` allows 16 MiB),
    driven as raw ASGI so that no transport caps anything first."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'ws.db'}"
    app = create_app(settings_for(url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000))
    async with app.router.lifespan_context(app):
        token = app.state.mission_planner.authenticator.mint("sec-4413")
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        # Under the cap in characters, over it in bytes: the cap counts bytes.
        variables = {"p": "é" * (MAX_WS_MESSAGE_BYTES // 2 + 1)}
        subscribe = {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": MY_EVENTS, "variables": variables},
        }
        sent = await asgi_websocket(
            app, [json.dumps(init), json.dumps(subscribe, ensure_ascii=False)]
        )
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert json.loads(sent[1]["text"])["type"] == "connection_ack"
    assert sent[-1]["code"] == 4413


async def asgi_websocket(app: Any, texts: list[str]) -> list[dict[str, Any]]:
    """Plays a client's frames to the app; returns what the app sent, up to its close."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for message in [{"type": "websocket.connect"}] + [
        {"type": "websocket.receive", "text": text} for text in texts
    ]:
        inbox.put_nowait(message)
    sent: list[dict[str, Any]] = []
    closed = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "websocket.close":
            closed.set()

    async def receive() -> dict[str, Any]:
        if inbox.empty():
            await closed.wait()
            return {"type": "websocket.disconnect", "code": 1000}
        return await inbox.get()

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"sec-websocket-protocol", b"graphql-transport-ws")],
        "subprotocols": ["graphql-transport-ws"],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    await asyncio.wait_for(app(scope, receive, send), 10)
    return sent


async def test_no_per_message_compression_is_negotiated(ws_server: RunningServer) -> None:
    async with websockets.connect(
        ws_server.ws_url, subprotocols=TRANSPORT_WS, compression="deflate"
    ) as ws:
        assert ws.request is not None and ws.response is not None
        assert "permessage-deflate" in ws.request.headers["Sec-WebSocket-Extensions"]
        assert "Sec-WebSocket-Extensions" not in ws.response.headers


async def test_an_open_subscription_ends_when_its_token_expires(ws_server: RunningServer) -> None:
    user = new_user()
    report = await server_submit(ws_server, user)
    token = ws_server.token(user, ttl_seconds=3)
    expired = "Your token expired; reconnect with a fresh one."
    async with GraphQLSocket.open(ws_server, token) as socket:
        watching = await socket.start(EVENTS, {"id": report["id"]})
        everything = await socket.start(MY_EVENTS)
        snapshot = await socket.outcome(watching)
        assert snapshot["data"]["missionEvents"]["__typename"] == "MissionProgressEvent"
        ended: dict[str, Any] = {}
        while len(ended) < 2:
            message = await socket.receive(timeout=8)
            payload = message.get("payload")
            errors = payload if message["type"] == "error" else (payload or {}).get("errors")
            if errors:  # progress events may come first; the stream ends with the error
                ended[message["id"]] = [e["message"] for e in errors]
        assert ended == {watching: [expired], everything: [expired]}
        # The socket outlives the token, but nothing more runs on it.
        after = await socket.execute("{ viewer { id } }")
        assert [e["message"] for e in after["errors"]] == [expired]
        cancel = await socket.execute(CANCEL, {"id": report["id"]})
        assert [e["message"] for e in cancel["errors"]] == [expired]
        again = await socket.execute(EVENTS, {"id": report["id"]})
        assert [e["message"] for e in again["errors"]] == [expired]
    owner_view = ws_server.token(user)
    async with GraphQLSocket.open(ws_server, owner_view) as socket:
        still = await socket.execute(
            "query($id: ID!) { missionReport(id: $id) { status } }", {"id": report["id"]}
        )
        assert still["data"]["missionReport"] == {"status": "GENERATING"}
