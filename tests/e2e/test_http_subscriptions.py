"""Subscriptions over SSE (npm graphql-sse) and multipart HTTP (npm @apollo/client).

The same resolvers as the websocket's, so the same events in order, the same
replay with afterSequence, the same auth; and the same per-user connection cap.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.client import SUBMIT, WIZARD, graphql, request, ws_session
from tests.e2e.node_clients import node_script, run_node
from tests.e2e.server import RunningServer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

CLIENTS = {
    "graphql-sse": ("subscribe_sse.mjs", "graphql-sse"),
    "apollo-multipart": ("subscribe_multipart.mjs", "@apollo/client"),
}
MY_EVENTS = "subscription { myMissionEvents { __typename } }"
SSE = {"Accept": "text/event-stream"}
MULTIPART = {"Accept": "multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json"}


def new_user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def submit(server: RunningServer, token: str) -> str:
    body = await graphql(server, token, SUBMIT, {"input": WIZARD})
    return str(body["data"]["submitMissionPlan"]["report"]["id"])


async def events_from(client: str, server: RunningServer, token: str, *args: str) -> list[Any]:
    command = node_script(*CLIENTS[client])
    run = await run_node(command, f"{server.base_url}/graphql", token, *args)
    assert run.returncode == 0, run.stderr
    results = run.json_lines()
    assert all(not result.get("errors") for result in results), results
    return [without_nested_typenames(result["data"]["missionEvents"]) for result in results]


def without_nested_typenames(event: dict[str, Any]) -> dict[str, Any]:
    """Apollo's cache adds __typename to every object it selects; the events' own stays."""
    return {
        key: {k: v for k, v in value.items() if k != "__typename"}
        if isinstance(value, dict)
        else value
        for key, value in event.items()
    }


@pytest.mark.parametrize("client", CLIENTS)
async def test_a_client_follows_a_plan_to_completion(server: RunningServer, client: str) -> None:
    token = server.token(new_user())
    report_id = await submit(server, token)
    events = await events_from(client, server, token, report_id)
    completed, notification = events[-2:]
    assert completed == {
        "__typename": "MissionCompletedEvent",
        "sequence": completed["sequence"],
        "report": {"status": "COMPLETED"},
    }
    assert notification == {
        "__typename": "NotificationEvent",
        "sequence": completed["sequence"] + 1,
        "notification": {"kind": "PLAN_READY"},
    }
    sequences = [event["sequence"] for event in events]
    assert sequences == sorted(set(sequences))
    percentages = [e["progress"]["percentage"] for e in events if "progress" in e]
    assert percentages == sorted(percentages)


@pytest.mark.parametrize("client", CLIENTS)
async def test_after_sequence_replays_only_what_followed(
    server: RunningServer, client: str
) -> None:
    token = server.token(new_user())
    report_id = await submit(server, token)
    everything = await events_from(client, server, token, report_id)  # to the end
    completed = everything[-2]["sequence"]
    replayed = await events_from(client, server, token, report_id, str(completed - 2))
    assert [e["sequence"] for e in replayed] == [completed - 1, completed, completed + 1]
    assert [e["__typename"] for e in replayed[1:]] == ["MissionCompletedEvent", "NotificationEvent"]


@pytest.mark.parametrize("client", CLIENTS)
async def test_without_a_token_the_client_is_told_to_authenticate(
    server: RunningServer, client: str
) -> None:
    command = node_script(*CLIENTS[client])
    run = await run_node(command, f"{server.base_url}/graphql", "", str(uuid.uuid4()))
    text = run.stdout + run.stderr
    assert "Authentication required" in text, text
    assert "MissionProgressEvent" not in text


@pytest.mark.parametrize("client", CLIENTS)
async def test_another_users_report_is_not_found(server: RunningServer, client: str) -> None:
    report_id = await submit(server, server.token(new_user()))
    command = node_script(*CLIENTS[client])
    run = await run_node(command, f"{server.base_url}/graphql", server.token(new_user()), report_id)
    text = run.stdout + run.stderr
    assert "No mission report with this id." in text, text
    assert "sequence" not in text


async def test_a_plain_post_of_a_subscription_is_told_to_ask_for_a_stream(
    server: RunningServer,
) -> None:
    token = server.token(new_user())
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        response = await http.post(
            "/graphql",
            json={"query": MY_EVENTS},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
    assert response.status_code == 400
    assert "text/event-stream" in response.text and "graphql-transport-ws" in response.text


# The connection cap: one server with a small one.
CAP = 2


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {"WS_MAX_CONNECTIONS_PER_USER": str(CAP)}
    running = RunningServer(Path(tmp_path_factory.mktemp("capped")), env).start()
    yield running
    running.stop()


async def open_stream(
    stack: AsyncExitStack, http: httpx.AsyncClient, token: str, accept: dict[str, str]
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", **accept}
    return await stack.enter_async_context(
        http.stream("POST", "/graphql", json={"query": MY_EVENTS}, headers=headers)
    )


@pytest.fixture
async def http(capped_server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=capped_server.base_url, timeout=10) as client:
        yield client


@pytest.mark.parametrize("accept", [SSE, MULTIPART], ids=["sse", "multipart"])
async def test_streams_count_against_the_per_user_connection_cap(
    capped_server: RunningServer, http: httpx.AsyncClient, accept: dict[str, str]
) -> None:
    token = capped_server.token(new_user())
    async with AsyncExitStack() as stack:
        held = [await open_stream(stack, http, token, accept) for _ in range(CAP)]
        assert [r.status_code for r in held] == [200] * CAP
        async with AsyncExitStack() as extra:
            refused = await open_stream(extra, http, token, accept)
            assert refused.status_code == 429
            assert (await refused.aread()).decode() == (
                f"Too many open connections: at most {CAP} per user"
            )
        # Someone else is not affected.
        other = await open_stream(stack, http, capped_server.token(new_user()), accept)
        assert other.status_code == 200

    # Closing the streams gives the slots back at once (not at the next heartbeat).
    async def admitted_again() -> bool:
        async with AsyncExitStack() as again:
            return (await open_stream(again, http, token, accept)).status_code == 200

    await wait_until(admitted_again, timeout=2)


async def test_websockets_and_streams_share_the_cap(
    capped_server: RunningServer, http: httpx.AsyncClient
) -> None:
    token = capped_server.token(new_user())
    async with AsyncExitStack() as stack, ws_session(capped_server, token) as session:
        # An acknowledged socket with a running subscription holds one slot.
        events = session.subscribe(request(MY_EVENTS))
        pending = asyncio.ensure_future(events.__anext__())
        assert (await open_stream(stack, http, token, SSE)).status_code == 200
        async with AsyncExitStack() as extra:
            assert (await open_stream(extra, http, token, MULTIPART)).status_code == 429
        pending.cancel()
