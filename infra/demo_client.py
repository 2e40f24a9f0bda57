"""The terminal demo's GraphQL client: operations over HTTP, subscriptions over websockets.

Subscriptions speak graphql-transport-ws with the `websockets` package (a runtime
dependency; gql is only a dev dependency). Every way the API can fail to answer becomes
one of two exceptions, so the demo prints one line instead of a traceback.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Protocol

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

GRAPHQL_TRANSPORT_WS = Subprotocol("graphql-transport-ws")
# One event or plan is far below this; a larger frame is not something this API sends.
MAX_FRAME_BYTES = 4 * 1024 * 1024
ACK_TIMEOUT_SECONDS = 10.0
SUBSCRIPTION_ID = "demo"


class ApiUnreachable(Exception):
    """Nothing answered at the URL, or the connection broke before the answer."""


class ApiRejected(Exception):
    """The API answered with GraphQL errors (or refused the socket): their messages."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


class GraphQLApi(Protocol):
    """What the demo needs of the API; DemoApi is the real one."""

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]: ...

    def subscribe(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]: ...


class DemoApi:
    """One user's view of a running API at `base_url` (http[s]://host:port)."""

    def __init__(self, base_url: str, token: str, timeout_seconds: float = 30.0) -> None:
        root = base_url.rstrip("/").removesuffix("/graphql")
        self.http_url = root + "/graphql"
        self.ws_url = "ws" + self.http_url.removeprefix("http")
        self._token = token
        self._http = httpx.AsyncClient(timeout=timeout_seconds)

    async def __aenter__(self) -> DemoApi:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._http.aclose()

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The operation's `data`; ApiRejected when the answer carries errors."""
        try:
            response = await self._http.post(
                self.http_url,
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {self._token}"},
            )
        except httpx.TransportError as error:
            raise ApiUnreachable(f"{type(error).__name__} at {self.http_url}") from None
        except httpx.InvalidURL:
            raise ApiUnreachable(f"{self.http_url} is not an http(s) URL") from None
        try:
            body = response.json()
        except ValueError:
            raise ApiRejected([f"HTTP {response.status_code}, not a GraphQL answer"]) from None
        if not isinstance(body, dict):
            raise ApiRejected([f"HTTP {response.status_code}, not a GraphQL answer"])
        return _data_or_raise(body)

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Each event's `data`, until the server completes the subscription."""
        try:
            async with connect(
                self.ws_url,
                subprotocols=[GRAPHQL_TRANSPORT_WS],
                max_size=MAX_FRAME_BYTES,
                open_timeout=ACK_TIMEOUT_SECONDS,
                compression=None,
            ) as socket:
                await self._start(socket, query, variables or {})
                async for data in _events(socket):
                    yield data
        except ConnectionClosed as closed:
            # 4xxx: the server's own refusal (bad token, too many sockets), with a reason.
            if closed.rcvd is not None and 4000 <= closed.rcvd.code < 5000:
                raise ApiRejected([closed.rcvd.reason or f"closed {closed.rcvd.code}"]) from None
            raise ApiUnreachable(f"the subscription at {self.ws_url} was cut off") from None
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as error:
            raise ApiUnreachable(f"{type(error).__name__} at {self.ws_url}") from None

    async def _start(self, socket: ClientConnection, query: str, variables: dict[str, Any]) -> None:
        init = {"authorization": f"Bearer {self._token}"}
        await socket.send(json.dumps({"type": "connection_init", "payload": init}))
        async with asyncio.timeout(ACK_TIMEOUT_SECONDS):
            while (await _receive(socket)).get("type") != "connection_ack":
                pass
        payload = {"query": query, "variables": variables}
        await socket.send(
            json.dumps({"id": SUBSCRIPTION_ID, "type": "subscribe", "payload": payload})
        )


async def _events(socket: ClientConnection) -> AsyncIterator[dict[str, Any]]:
    while True:
        message = await _receive(socket)
        kind = message.get("type")
        if kind == "ping":
            await socket.send(json.dumps({"type": "pong"}))
        elif kind == "next":
            payload = message.get("payload")
            yield _data_or_raise(payload if isinstance(payload, dict) else {})
        elif kind == "error":
            errors = message.get("payload")
            raise ApiRejected(_messages(errors if isinstance(errors, list) else []))
        elif kind == "complete":
            return


async def _receive(socket: ClientConnection) -> dict[str, Any]:
    try:
        message = json.loads(await socket.recv())
    except ValueError:
        raise ApiRejected(["the server sent a frame that is not JSON"]) from None
    return message if isinstance(message, dict) else {}


def _data_or_raise(body: dict[str, Any]) -> dict[str, Any]:
    errors = body.get("errors")
    if errors:
        raise ApiRejected(_messages(errors if isinstance(errors, list) else [errors]))
    data = body.get("data")
    if not isinstance(data, dict):
        raise ApiRejected(["the answer has no data"])
    return data


def _messages(errors: list[Any]) -> list[str]:
    found = [str(e.get("message")) for e in errors if isinstance(e, dict) and e.get("message")]
    return found or ["the API reported an error without a message"]
