"""Issue 6, points 5, 7 and 13 on the real server's websocket: malformed messages, refusal
reasons, anonymous subscriptions, the per-user socket cap and the idle timeout.

The server runs with WS_MAX_CONNECTIONS_PER_USER=2 and WS_IDLE_TIMEOUT_SECONDS=1. A
protocol violation leaves one warning line in its log, and no traceback.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests.e2e.server import RunningServer
from tests.security.helpers import (
    EVENTS,
    MY_EVENTS,
    SERVER_WEBHOOK_SECRET,
    TRANSPORT_WS,
    GraphQLSocket,
    new_user,
    server_submit,
)

pytestmark = pytest.mark.e2e

IDLE_SECONDS = 1.0
SOCKETS_PER_USER = 2


@pytest.fixture(scope="module")
def edge_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = RunningServer(
        Path(tmp_path_factory.mktemp("ws-edges")),
        env_overrides={
            "WS_INIT_TIMEOUT_SECONDS": "3",
            "WS_IDLE_TIMEOUT_SECONDS": str(IDLE_SECONDS),
            "WS_MAX_CONNECTIONS_PER_USER": str(SOCKETS_PER_USER),
            "OFFLINE_STEP_DELAY_MS": "600000",
            "LLM_WEBHOOK_SECRET": SERVER_WEBHOOK_SECRET,
        },
    ).start()
    yield running
    running.stop()


async def close_frame(ws: Any, timeout: float = 10.0) -> tuple[int, str]:
    """Reads until the server closes the connection; returns its close code and reason."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    assert closed.value.rcvd is not None, "closed without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


def init_message(token: str) -> str:
    return json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})


def subscribe(payload: Any, op_id: Any = "1") -> str:
    return json.dumps({"id": op_id, "type": "subscribe", "payload": payload})


DEEP = "[" * 3000 + "]" * 3000
DEEP_VARIABLES = (
    '{"id":"1","type":"subscribe","payload":{"query":"{ viewer { id } }","variables":'
    + '{"a":' * 3000
    + "1"
    + "}" * 3000
    + "}}"
)
BEFORE_INIT = {
    "a list": ("[1,2]", "Message must be a JSON object"),
    "a string": ('"hi"', "Message must be a JSON object"),
    "a number": ("5", "Message must be a JSON object"),
    "nested 3,000 deep": (DEEP, "JSON nested too deeply"),
    "not JSON": ("{type", "Invalid JSON"),
    "a list type": ('{"type": ["connection_init"]}', "Message type must be a string"),
}
AFTER_INIT = {
    **BEFORE_INIT,
    "a null payload": (subscribe(None), "Subscribe payload must be an object"),
    "no id": (
        json.dumps({"type": "subscribe", "payload": {"query": MY_EVENTS}}),
        "A subscribe message needs a non-empty string id",
    ),
    "a number id": (subscribe({"query": MY_EVENTS}, 1), "A subscribe message needs a non-empty"),
    "a number query": (subscribe({"query": 5}), "Subscribe payload.query must be a string"),
    "list variables": (
        subscribe({"query": MY_EVENTS, "variables": [1]}),
        "Subscribe payload.variables must be an object or null",
    ),
    "a list operationName": (
        subscribe({"query": MY_EVENTS, "operationName": ["x"]}),
        "Subscribe payload.operationName must be a string or null",
    ),
    "variables nested 3,000 deep": (DEEP_VARIABLES, "JSON nested too deeply"),
    "complete without id": ('{"type": "complete"}', "A complete message needs"),
}


def assert_logged_without_traceback(server: RunningServer, code: int, reason: str) -> None:
    log = server.log_text()
    assert "Traceback" not in log
    assert f"closing websocket: {code} {reason}\n" in log


@pytest.mark.parametrize("case", list(BEFORE_INIT))
async def test_a_malformed_message_before_init_closes_with_4400_and_a_reason(
    edge_server: RunningServer, case: str
) -> None:
    text, reason = BEFORE_INIT[case]
    async with websockets.connect(edge_server.ws_url, subprotocols=TRANSPORT_WS) as ws:
        await ws.send(text)
        code, said = await close_frame(ws)
    assert (code, said) == (4400, reason)
    assert_logged_without_traceback(edge_server, code, said)


@pytest.mark.parametrize("case", list(AFTER_INIT))
async def test_a_malformed_message_after_init_closes_with_4400_and_a_reason(
    edge_server: RunningServer, case: str
) -> None:
    text, reason = AFTER_INIT[case]
    async with GraphQLSocket.open(edge_server, edge_server.token(new_user())) as socket:
        await socket.ws.send(text)
        code, said = await close_frame(socket.ws)
    assert code == 4400 and said.startswith(reason), said
    assert_logged_without_traceback(edge_server, code, said)


async def test_refused_tokens_close_with_4403_and_say_why(edge_server: RunningServer) -> None:
    expired = edge_server.token(new_user(), ttl_seconds=-60)
    payloads: dict[str, Any] = {
        "no payload": (None, "Forbidden: authorization required"),
        "empty payload": ({}, "Forbidden: authorization required"),
        "not a JWT": ({"authorization": "Bearer not-a-jwt"}, "Forbidden: invalid token"),
        "expired": ({"authorization": f"Bearer {expired}"}, "Forbidden: invalid token"),
    }
    for name, (payload, reason) in payloads.items():
        init = {"type": "connection_init"} | ({} if payload is None else {"payload": payload})
        async with websockets.connect(edge_server.ws_url, subprotocols=TRANSPORT_WS) as ws:
            await ws.send(json.dumps(init))
            assert await close_frame(ws) == (4403, reason), name
    assert "Traceback" not in edge_server.log_text()


async def test_two_anonymous_subscriptions_on_one_socket_are_both_answered(
    edge_server: RunningServer,
) -> None:
    user = new_user()
    report = await server_submit(edge_server, user)
    query = "subscription($id: ID!) { missionEvents(reportId: $id) { __typename } }"
    async with GraphQLSocket.open(edge_server, edge_server.token(user)) as socket:
        first = await socket.start(query, {"id": report["id"]})
        second = await socket.start(query, {"id": report["id"]})
        everything = [await socket.start(MY_EVENTS), await socket.start(MY_EVENTS)]
        answered: dict[str, str] = {}
        while len(answered) < 2:
            message = await socket.receive()
            answered[message["id"]] = message["payload"]["data"]["missionEvents"]["__typename"]
        assert answered == {first: "MissionProgressEvent", second: "MissionProgressEvent"}
        # Both anonymous myMissionEvents get the next event of the user's reports.
        await server_submit(edge_server, user)
        seen: set[str] = set()
        while seen != set(everything):
            message = await socket.receive()
            if message["id"] in everything:
                assert message["type"] == "next", message
                seen.add(message["id"])


async def test_a_document_with_two_anonymous_operations_gets_an_error(
    edge_server: RunningServer,
) -> None:
    async with GraphQLSocket.open(edge_server, edge_server.token(new_user())) as socket:
        result = await socket.execute(MY_EVENTS + " " + MY_EVENTS)
    assert [e["message"] for e in result["errors"]] == [
        "This anonymous operation must be the only defined operation."
    ] * 2


async def test_a_user_holds_at_most_the_cap_of_open_sockets(edge_server: RunningServer) -> None:
    user = new_user()
    token = edge_server.token(user)
    async with (
        GraphQLSocket.open(edge_server, token) as one,
        GraphQLSocket.open(edge_server, token) as two,
    ):
        watching = [await one.start(MY_EVENTS), await two.start(MY_EVENTS)]
        assert len(watching) == SOCKETS_PER_USER
        async with websockets.connect(edge_server.ws_url, subprotocols=TRANSPORT_WS) as ws:
            await ws.send(init_message(token))
            refused = await close_frame(ws)
        assert refused == (4429, f"Too many open connections: at most {SOCKETS_PER_USER} per user")
        # Another user is not affected.
        async with GraphQLSocket.open(edge_server, edge_server.token(new_user())) as other:
            assert (await other.execute("{ viewer { id } }"))["data"]["viewer"]["id"]
        # The refused one took no place, and the others still work.
        assert (await one.execute("{ viewer { id } }"))["data"]["viewer"]["id"] == user
    # Closed sockets give their place back.
    async with GraphQLSocket.open(edge_server, token) as again:
        assert (await again.execute("{ viewer { id } }"))["data"]["viewer"]["id"] == user


async def test_an_idle_socket_is_closed_with_4408_and_a_reason(edge_server: RunningServer) -> None:
    async with GraphQLSocket.open(edge_server, edge_server.token(new_user())) as socket:
        started = time.monotonic()
        code, reason = await close_frame(socket.ws, timeout=10)
        waited = time.monotonic() - started
    assert (code, reason) == (4408, "Idle: no subscription for 1 s")
    assert IDLE_SECONDS * 0.9 <= waited < IDLE_SECONDS * 2 + 2, waited


async def test_a_socket_with_a_running_subscription_is_not_idle(
    edge_server: RunningServer,
) -> None:
    user = new_user()
    report = await server_submit(edge_server, user)
    async with GraphQLSocket.open(edge_server, edge_server.token(user)) as socket:
        await socket.start(EVENTS, {"id": report["id"]})
        await socket.receive()  # the snapshot
        await asyncio.sleep(IDLE_SECONDS * 3)
        assert (await socket.execute("{ viewer { id } }"))["data"]["viewer"]["id"] == user
