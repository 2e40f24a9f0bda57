"""CORS for GraphQL over HTTP: the ALLOWED_ORIGINS the websocket uses, and only those."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.typing import Origin, Subprotocol

from tests.e2e.server import RunningServer

pytestmark = pytest.mark.e2e

FRONTEND = "http://localhost:5173"
STRANGER = "https://evil.example"

TRANSPORT_WS = Subprotocol("graphql-transport-ws")


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # Written unnormalised: the HTTP and websocket checks read the same normalised list.
    env = {"ALLOWED_ORIGINS": "HTTP://LOCALHOST:5173, https://app.example:443"}
    running = RunningServer(Path(tmp_path_factory.mktemp("cors")), env).start()
    yield running
    running.stop()


@pytest.fixture
async def http(cors_server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cors_server.base_url, timeout=10) as client:
        yield client


def preflight_headers(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, accept",
    }


@pytest.mark.parametrize("origin", [FRONTEND, "https://app.example"])
async def test_a_listed_origin_passes_the_preflight_and_reads_the_answer(
    cors_server: RunningServer, http: httpx.AsyncClient, origin: str
) -> None:
    preflight = await http.options("/graphql", headers=preflight_headers(origin))
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "accept"} <= {h.strip() for h in allowed.split(",")}

    token = cors_server.token("cors-user")
    response = await http.post(
        "/graphql",
        json={"query": "{ viewer { id } }"},
        headers={"Origin": origin, "Authorization": f"Bearer {token}"},
    )
    assert response.json() == {"data": {"viewer": {"id": "cors-user"}}}
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "origin" in response.headers["vary"].lower()


async def test_another_origin_is_refused_over_http_and_websocket(
    cors_server: RunningServer, http: httpx.AsyncClient
) -> None:
    preflight = await http.options("/graphql", headers=preflight_headers(STRANGER))
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    response = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": STRANGER}
    )
    # The server answers; the browser withholds the answer from the page.
    assert "access-control-allow-origin" not in response.headers

    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(
            cors_server.ws_url, origin=Origin(STRANGER), subprotocols=[TRANSPORT_WS]
        ):
            pass
    assert refused.value.response.status_code == 403


async def test_a_listed_origin_opens_the_websocket_too(cors_server: RunningServer) -> None:
    async with websockets.connect(
        cors_server.ws_url, origin=Origin(FRONTEND), subprotocols=[TRANSPORT_WS]
    ) as socket:
        assert socket.subprotocol == "graphql-transport-ws"
