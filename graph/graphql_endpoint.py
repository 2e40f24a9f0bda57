"""Strawberry's ASGI view with our context, auth, caps and transports.

Subscriptions run over a websocket (graphql-transport-ws), over Server-Sent Events
(graphql-sse, distinct connections mode) and over multipart HTTP (Apollo Client),
all with the same resolvers, hence the same auth, replay (afterSequence) and
per-user connection cap. Only a subscription POSTed without asking for a stream
is refused (400).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from datetime import timedelta
from typing import Any

import orjson
from cross_web import HTTPException, StarletteRequestAdapter
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from starlette.websockets import WebSocketDisconnected as AlreadyClosed
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.http.exceptions import NonTextMessageReceived, WebSocketDisconnected
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

from graph.context import Context
from graph.graphiql import GraphiQLPage
from graph.http_responses import (
    GRAPHQL_RESPONSE_JSON,
    GraphQLSubResponse,
    StreamResponse,
    is_request_error,
    prefers_graphql_response_json,
)
from graph.light_subscriptions import LightPath
from graph.schema import GuardedOperation, build_schema
from graph.ws_protocol import (
    BAD_MESSAGE,
    FORBIDDEN,
    MAX_WS_MESSAGE_BYTES,
    MESSAGE_TOO_LARGE,
    TOO_MANY_SOCKETS,
    MissionPlannerWSHandler,
    OpenSockets,
    SocketRefused,
)
from infra.auth import AuthError
from infra.settings import Settings
from llm_service.http_body import BodyTooLarge, read_capped_body

log = logging.getLogger(__name__)

# Caps on a whole HTTP request, variables included. The largest valid wizard input is
# a few KB; uvicorn itself reads bodies without limit.
MAX_HTTP_BODY_BYTES = 1024 * 1024
# A GET carries query, variables and extensions in its query string; proxies commonly
# refuse URLs past 8-32 KB anyway, and anything large belongs in a POST.
MAX_QUERY_STRING_BYTES = 32 * 1024
# A request that asked for no stream gets one JSON answer: a subscription would run
# into strawberry's "Unexpected error." (streams take graphql_endpoint's other path).
HTTP_OPERATION_TYPES = {
    "GET": frozenset({OperationType.QUERY}),
    "POST": frozenset({OperationType.QUERY, OperationType.MUTATION}),
}
SUBSCRIPTION_NEEDS_A_STREAM = (
    "A subscription needs a stream: open a websocket to this same /graphql URL with the "
    "graphql-transport-ws protocol, or POST it with `Accept: text/event-stream` "
    "(graphql-sse) or `Accept: multipart/mixed;subscriptionSpec=1.0` (multipart)."
)
# UTF-8 needs at most 4 bytes per character.
_UTF8_MAX_BYTES_PER_CHAR = 4


class CappedRequestAdapter(StarletteRequestAdapter):
    """Reads a POST body up to MAX_HTTP_BODY_BYTES (else 413), a query string up to
    MAX_QUERY_STRING_BYTES (else 414)."""

    @property
    def query_params(self) -> Any:
        if len(self._request.scope.get("query_string", b"")) > MAX_QUERY_STRING_BYTES:
            raise HTTPException(414, "Query string too long: send large operations by POST")
        return super().query_params

    async def get_body(self) -> bytes:
        request: Request = self._request
        try:
            return await read_capped_body(request, MAX_HTTP_BODY_BYTES)
        except BodyTooLarge as exc:
            raise HTTPException(413, "Request body too large") from exc


def _too_large(text: str) -> bool:
    """Over the cap in UTF-8 bytes; encodes only a message that could be."""
    if len(text) * _UTF8_MAX_BYTES_PER_CHAR <= MAX_WS_MESSAGE_BYTES:
        return False
    return len(text) > MAX_WS_MESSAGE_BYTES or len(text.encode()) > MAX_WS_MESSAGE_BYTES


# What a send raises once the socket is gone: the client hung up (WebSocketDisconnect), or
# the server closed it already, e.g. a slow subscriber's hang-up (AlreadyClosed). Either way
# the operation ends (MissionPlannerWSHandler.run_operation).
_SOCKET_GONE = (WebSocketDisconnect, AlreadyClosed)


class CappedWebSocketAdapter(ASGIWebSocketAdapter):
    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                if _too_large(text):
                    await self.close(MESSAGE_TOO_LARGE, "Message too large")
                    return
                try:
                    message = json.loads(text)
                except (ValueError, RecursionError) as exc:
                    await self.close(BAD_MESSAGE, _json_problem(exc))
                    return
                # Not held while waiting for the next message: on an idle socket the
                # last one (the subscribe) would stay alive for the socket's life.
                del text
                yield message
                del message
        except KeyError as exc:
            raise NonTextMessageReceived from exc
        except WebSocketDisconnect:
            pass

    async def send_json(self, message: Mapping[str, object]) -> None:
        # Strawberry's, with a send after our own close also raising WebSocketDisconnected
        # (Starlette raises its own RuntimeError there, which escaped as an error).
        try:
            await super().send_json(message)
        except AlreadyClosed as exc:
            raise WebSocketDisconnected from exc

    async def send_text(self, text: str) -> None:
        """A message already encoded (the light path's frames), sent as `send_json` sends."""
        try:
            await self.ws.send_text(text)
        except _SOCKET_GONE as exc:
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        # The one line a refused or misbehaving socket leaves in the log; a client that
        # breaks the protocol is worth a warning, a refusal or a timeout is routine.
        level = logging.WARNING if code in _PROTOCOL_VIOLATIONS else logging.INFO
        log.log(level, "closing websocket: %d %s", code, reason)
        if self.ws.application_state != WebSocketState.DISCONNECTED:
            await self.ws.close(code=code, reason=reason)


_PROTOCOL_VIOLATIONS = frozenset({BAD_MESSAGE, MESSAGE_TOO_LARGE})


def _json_problem(exc: Exception) -> str:
    # RecursionError: `[[[[...` nested deeper than the parser's recursion limit.
    return "JSON nested too deeply" if isinstance(exc, RecursionError) else "Invalid JSON"


class MissionPlannerGraphQL(GraphQL[Context, None]):
    websocket_adapter_class = CappedWebSocketAdapter
    request_adapter_class = CappedRequestAdapter
    graphql_transport_ws_handler_class = MissionPlannerWSHandler

    def encode_json(self, data: object) -> str:
        """Every response, frame and stream message: orjson, 2-3x quicker than the json
        module (7% of a dashboard request's instructions, benchmarks/README.md); the json
        module for what orjson refuses (an integer beyond 64 bits). Always text: a
        websocket message must be a text frame, and bytes would go out as binary."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:  # orjson.JSONEncodeError is one
            return json.dumps(data, separators=(",", ":"))

    def __init__(
        self,
        state_getter: Any,
        settings: Settings,
        graphiql_page: GraphiQLPage | None = None,
        **kwargs: Any,
    ) -> None:
        # Field suggestions ("Did you mean ...") would map the schema for a stranger.
        schema = build_schema(
            production=settings.is_production,
            max_depth=settings.graphql_max_depth,
            introspection=settings.introspection_enabled,
            max_cost=settings.graphql_max_cost,
            max_page_size=settings.max_page_size,
        )
        super().__init__(schema, **kwargs)
        self._state_getter = state_getter
        self.open_sockets = OpenSockets(settings.ws_max_connections_per_user)
        self.idle_timeout_seconds = settings.ws_idle_timeout_seconds
        self.graphiql_page = graphiql_page
        # The light subscription path, with the schema's own extension for its parse,
        # validation and masking (made once here: stateless for those uses).
        guard = next(e for e in schema.get_extensions() if isinstance(e, GuardedOperation))
        self.light_path = LightPath(schema, guard)
        # graphql-transport-ws subscriptions on the light path (tests compare both paths).
        self.light_subscriptions = True

    async def render_graphql_ide(self, request: Request) -> Response:
        if self.graphiql_page is None:
            raise HTTPException(404, "Not Found")
        return self.graphiql_page.response()

    async def get_sub_response(self, request: Request) -> GraphQLSubResponse:  # type: ignore[override]
        accept = request.headers.get("accept")
        return GraphQLSubResponse(graphql_response_json=prefers_graphql_response_json(accept))

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = process_result(result)
        if is_request_error(result):
            # The spec: an answer to a request that never executed has no `data` entry.
            response.pop("data", None)
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if isinstance(sub_response, GraphQLSubResponse) and sub_response.graphql_response_json:
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
            if isinstance(response_data, dict) and "data" not in response_data:
                response.status_code = sub_response.status_code or 400
        return response

    async def create_streaming_response(
        self,
        request: Request,  # type: ignore[override]
        stream: Callable[[], AsyncIterator[str]],
        sub_response: Response,
        headers: Mapping[str, str],
    ) -> Response:
        """An SSE or multipart stream, holding one of its user's connection slots."""
        assert isinstance(sub_response, GraphQLSubResponse)
        slot = object()
        viewer = sub_response.viewer
        # Without a valid token the subscription ends at once with its GraphQL error.
        if viewer is not None and not self.open_sockets.admit(viewer.user_id, slot):
            limit = self.open_sockets.limit_per_user
            raise HTTPException(429, f"Too many open connections: at most {limit} per user")
        # The transport strawberry chose for this request, by the same rule.
        transport = self._get_stream_transport_from_headers(request.headers)
        assert transport is not None
        return StreamResponse(
            stream(),
            sub_response=sub_response,
            on_close=lambda: self.open_sockets.release(slot),
            transport=transport,
            encode_json=self.encode_json,
            status_code=sub_response.status_code or 200,
            headers={**sub_response.headers, **headers},
        )

    def parse_json(self, data: str | bytes) -> Any:
        """The body (or a GET's variables): a JSON object, else 400 with the reason."""
        try:
            value = json.loads(data)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            reason = f"Unable to parse request as JSON: {_json_problem(exc)}"
            raise HTTPException(400, reason) from exc
        if not isinstance(value, (dict, list)):
            raise HTTPException(400, "Expected a JSON object")
        return value

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        # Strawberry's own version, with subscriptions refused: the set it allows over
        # POST includes them for its streaming transports, which do not come here.
        method = request_adapter.method
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=HTTP_OPERATION_TYPES[method],
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as e:
            if e.operation_type is OperationType.SUBSCRIPTION:
                raise HTTPException(400, SUBSCRIPTION_NEEDS_A_STREAM) from e
            raise HTTPException(400, e.as_http_error_reason(method)) from e
        except CannotGetOperationTypeError as e:
            raise HTTPException(400, e.as_http_error_reason()) from e
        except MissingQueryError as e:
            raise HTTPException(400, "No GraphQL query found in the request") from e

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = Context(state=self._state_getter(), request=request, response=response)
        if isinstance(request, Request):
            context.authenticate_header(request.headers.get("authorization"))
            if isinstance(response, GraphQLSubResponse):
                response.viewer = context.viewer  # for the connection cap of a stream
        return context

    async def on_ws_connect(self, context: Context) -> Any:
        # Refusals carry their reason in the close frame: with a bare "Forbidden" a
        # client such as GraphiQL cannot tell the user what to fix.
        params = context.connection_params or {}
        # The token is decoded once, here; the context lives as long as the socket.
        context.connection_params = None
        authorization = params.get("authorization") or params.get("Authorization")
        if not isinstance(authorization, str):
            raise SocketRefused(FORBIDDEN, "Forbidden: authorization required")
        try:
            viewer = context.state.authenticator.viewer_from_header(authorization)
        except AuthError as exc:
            raise SocketRefused(FORBIDDEN, "Forbidden: invalid token") from exc
        if not self.open_sockets.admit(viewer.user_id, context):
            limit = self.open_sockets.limit_per_user
            reason = f"Too many open connections: at most {limit} per user"
            raise SocketRefused(TOO_MANY_SOCKETS, reason)
        context.viewer = viewer
        return UNSET


def build_view(
    state_getter: Any, settings: Settings, graphiql_page: GraphiQLPage | None = None
) -> MissionPlannerGraphQL:
    return MissionPlannerGraphQL(
        state_getter,
        settings,
        graphiql_page,
        graphql_ide="graphiql" if graphiql_page is not None else None,
        # GET serves queries only: strawberry answers a mutation over GET with 400.
        allow_queries_via_get=True,
        subscription_protocols=[
            GRAPHQL_TRANSPORT_WS_PROTOCOL,
            GRAPHQL_SSE_PROTOCOL,
            MULTIPART_SUBSCRIPTION_PROTOCOL,
        ],
        connection_init_wait_timeout=timedelta(seconds=settings.connection_init_wait_seconds),
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        allowed_origins=settings.allowed_origin_list,
        keep_alive=False,
    )
