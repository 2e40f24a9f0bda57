"""GraphQL over HTTP as the spec has it: media types, status codes and long-lived streams.

Strawberry answers every request `application/json` with 200. The GraphQL over HTTP
spec adds `application/graphql-response+json`, under which a request error (the
document does not parse or validate, the variables do not coerce: nothing was
executed, so the answer has no `data`) is a 400; under `application/json` it stays
a 200, which older clients expect.

Subscriptions over SSE (graphql-sse) and multipart HTTP (Apollo Client) hold a
response open for as long as they run. StreamResponse notices a client that went
away at once rather than at the next heartbeat write, and always runs its
`on_close`, which frees the user's connection slot. A stream hung up on (a subscriber
too slow to keep up) ends as its protocol ends a failed one: a last result with the
error, the end marker, the end of the body.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.streaming import HTTPStreamTransport, JSONEncoder
from strawberry.types import ExecutionResult

from infra.auth import Viewer

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
_JSON_RANGES = frozenset({"application/json", "application/*", "*/*"})
# An Accept header with more parts than this is not negotiated with.
_MAX_ACCEPT_PARTS = 32


def prefers_graphql_response_json(accept: str | None) -> bool:
    """True when the client asks for the spec's media type at least as much as for JSON.

    No Accept header, or `*/*`, means application/json (the spec's rule for legacy
    clients); so does an Accept with neither type, answered as JSON rather than 406.
    """
    if not accept:
        return False
    best_graphql = best_json = 0.0
    for part in accept.split(",", _MAX_ACCEPT_PARTS)[:_MAX_ACCEPT_PARTS]:
        media, _, params = part.partition(";")
        media = media.strip().lower()
        if media == GRAPHQL_RESPONSE_JSON:
            best_graphql = max(best_graphql, _quality(params))
        elif media in _JSON_RANGES:
            best_json = max(best_json, _quality(params))
    return best_graphql > 0 and best_graphql >= best_json


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(1.0, max(0.0, float(value.strip())))
            except ValueError:
                return 0.0
    return 1.0


def is_request_error(result: ExecutionResult) -> bool:
    """Nothing was executed: errors without a path (parse, validation, coercion)."""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


class GraphQLSubResponse(Response):
    """Strawberry's per-request sub-response, carrying what the view decided about it."""

    def __init__(self, *, graphql_response_json: bool) -> None:
        super().__init__()
        self.status_code = None  # type: ignore[assignment]  # unset: strawberry's convention
        del self.headers["content-length"]
        self.graphql_response_json = graphql_response_json
        self.viewer: Viewer | None = None
        # Set while a stream runs: ends it with this error (a subscriber too slow).
        self.hang_up: Callable[[str], None] | None = None


class StreamResponse(StreamingResponse):
    """A streaming response that stops as soon as the client disconnects, and can be
    hung up on with an error.

    Starlette, under ASGI 2.4 servers (uvicorn), notices a gone client only when a
    write fails: at the next heartbeat, up to 15 s later for SSE, while the stream's
    subscription and its connection slot stay held.

    A hang-up stops the stream between two of its messages (uvicorn writes each whole,
    once the connection can take it), gives back the subscription and the slot at once,
    then completes the response with the protocol's ending: returning from an unfinished
    response would have uvicorn log an error and its client see a truncated body. The
    ending waits for the client to read, however slowly; one that reads nothing for
    HTTP_WRITE_STALL_SECONDS has its connection dropped by the server
    (graph/write_stall.py), which the response sees as the client gone.
    """

    def __init__(
        self,
        content: AsyncIterator[str],
        *,
        sub_response: GraphQLSubResponse,
        on_close: Callable[[], None],
        transport: HTTPStreamTransport,
        encode_json: JSONEncoder,
        **kwargs: Any,
    ) -> None:
        super().__init__(content, **kwargs)
        self._sub_response = sub_response
        self._on_close: Callable[[], None] | None = on_close
        self._transport = transport
        self._encode_json = encode_json
        self._streaming = anyio.CancelScope()
        self._hung_up_with: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as task_group:
                self._sub_response.hang_up = self._hang_up

                async def stream_then_stop() -> None:
                    with contextlib.suppress(OSError):  # the client went away mid-write
                        with self._streaming:
                            await self.stream_response(send)
                        if self._hung_up_with is not None and self._streaming.cancelled_caught:
                            await self._end_with(self._hung_up_with, send)
                    task_group.cancel_scope.cancel()

                task_group.start_soon(stream_then_stop)
                await self.listen_for_disconnect(receive)
                task_group.cancel_scope.cancel()
        finally:
            self._sub_response.hang_up = None
            await self._close_stream()

    def _hang_up(self, error: str) -> None:
        # Called from the bus's task; the stream has sent its head by then (its
        # subscription is made once the body is iterated).
        self._hung_up_with = error
        self._streaming.cancel()

    async def _end_with(self, error: str, send: Send) -> None:
        await self._close_stream()
        result: GraphQLHTTPResponse = {"data": None, "errors": [{"message": error}]}
        ending = self._transport.encode_next(result, self._encode_json)
        ending += self._transport.encode_complete()
        await send({"type": "http.response.body", "body": ending.encode(), "more_body": False})

    async def _close_stream(self) -> None:
        """Gives back the stream's slot and closes its subscription (once)."""
        on_close, self._on_close = self._on_close, None
        if on_close is None:
            return
        on_close()
        aclose = getattr(self.body_iterator, "aclose", None)
        if aclose is not None:
            with anyio.CancelScope(shield=True):
                await aclose()
