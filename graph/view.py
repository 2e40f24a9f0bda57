"""Strawberry's ASGI view with our context, websocket auth and message cap."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
from json import JSONDecodeError
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET

from graph.context import AppState, Context
from graph.schema import schema
from infra.auth import AuthError

# A subscribe message is a query plus variables; nothing legitimate comes near this.
MAX_WS_MESSAGE_BYTES = 64 * 1024


class CappedWebSocketAdapter(ASGIWebSocketAdapter):
    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                if len(text) > MAX_WS_MESSAGE_BYTES:
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
    websocket_adapter_class = CappedWebSocketAdapter  # type: ignore[assignment]

    def __init__(self, state_getter: Any, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self._state_getter = state_getter

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:  # type: ignore[override]
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


def build_view(state_getter: Any, state_settings: Any) -> MissionPlannerGraphQL:
    return MissionPlannerGraphQL(
        state_getter,
        graphql_ide="graphiql",
        allow_queries_via_get=True,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        connection_init_wait_timeout=timedelta(seconds=state_settings.connection_init_wait_seconds),
        max_subscriptions_per_connection=state_settings.max_subscriptions_per_connection,
        allowed_origins=state_settings.allowed_origin_list,
        keep_alive=False,
    )


def app_state(request_app: Any) -> AppState:
    return request_app.state.mission_planner  # type: ignore[no-any-return]
