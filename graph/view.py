"""Strawberry's ASGI view with our context, websocket auth and message and body caps."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
from json import JSONDecodeError
from typing import Any

from cross_web import HTTPException, StarletteRequestAdapter
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET

from graph.context import Context
from graph.schema import build_schema
from infra.auth import AuthError
from infra.settings import Settings

# A subscribe message is a query plus variables; nothing legitimate comes near this.
MAX_WS_MESSAGE_BYTES = 64 * 1024
# The largest valid wizard input is a few KB; uvicorn itself reads bodies without limit.
MAX_HTTP_BODY_BYTES = 1024 * 1024
# UTF-8 needs at most 4 bytes per character.
_UTF8_MAX_BYTES_PER_CHAR = 4


class CappedRequestAdapter(StarletteRequestAdapter):
    """Reads a GraphQL POST body up to MAX_HTTP_BODY_BYTES, else answers 413."""

    async def get_body(self) -> bytes:
        request: Request = self._request
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_HTTP_BODY_BYTES:
            raise HTTPException(413, "Request body too large")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_HTTP_BODY_BYTES:
                raise HTTPException(413, "Request body too large")
            chunks.append(chunk)
        return b"".join(chunks)


def _too_large(text: str) -> bool:
    """Over the cap in UTF-8 bytes; encodes only a message that could be."""
    if len(text) * _UTF8_MAX_BYTES_PER_CHAR <= MAX_WS_MESSAGE_BYTES:
        return False
    return len(text) > MAX_WS_MESSAGE_BYTES or len(text.encode()) > MAX_WS_MESSAGE_BYTES


class CappedWebSocketAdapter(ASGIWebSocketAdapter):
    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                if _too_large(text):
                    await self.ws.close(code=4413, reason="Message too large")
                    return
                try:
                    yield self.view.decode_json(text)
                except JSONDecodeError as exc:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from exc
        except KeyError as exc:
            raise NonTextMessageReceived from exc
        except WebSocketDisconnect:
            pass


class MissionPlannerGraphQL(GraphQL):
    websocket_adapter_class = CappedWebSocketAdapter
    request_adapter_class = CappedRequestAdapter

    def __init__(self, state_getter: Any, settings: Settings, **kwargs: Any) -> None:
        # Field suggestions ("Did you mean ...") would map the schema for a stranger.
        schema = build_schema(
            production=settings.is_production,
            max_depth=settings.graphql_max_depth,
            introspection=settings.introspection_enabled,
        )
        super().__init__(schema, **kwargs)
        self._state_getter = state_getter

    async def get_context(  # type: ignore[override]
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        context = Context(state=self._state_getter(), request=request, response=response)
        if isinstance(request, Request):
            context.authenticate_header(request.headers.get("authorization"))
        return context

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        params = context.connection_params or {}
        authorization = params.get("authorization") or params.get("Authorization")
        if not isinstance(authorization, str):
            raise ConnectionRejectionError({"reason": "authorization required"})
        try:
            context.viewer = context.state.authenticator.viewer_from_header(authorization)
        except AuthError as exc:
            raise ConnectionRejectionError({"reason": "invalid token"}) from exc
        return UNSET


def build_view(state_getter: Any, settings: Settings) -> MissionPlannerGraphQL:
    return MissionPlannerGraphQL(
        state_getter,
        settings,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        # GET serves queries only: strawberry answers a mutation over GET with 400.
        allow_queries_via_get=True,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        connection_init_wait_timeout=timedelta(seconds=settings.connection_init_wait_seconds),
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        allowed_origins=settings.allowed_origin_list,
        keep_alive=False,
    )
