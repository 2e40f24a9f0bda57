"""graphql-transport-ws as strawberry speaks it, plus what it leaves out.

Strawberry's handler indexes every message as a well-formed dict, so `[1,2]`,
`"hi"` or a subscribe without a payload raised out of it and dropped the
socket with a traceback; a refused token closed with the bare reason
"Forbidden"; and nothing bounded how many sockets one user holds or how long
an acknowledged socket may sit without a subscription. Every refusal here is
a close code with a reason a client can show.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING, Any, cast

from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)

from graph.context import Context
from graph.light_subscriptions import LightPlan

if TYPE_CHECKING:
    from graph.graphql_endpoint import CappedWebSocketAdapter, MissionPlannerGraphQL

# Close codes: 4400 (bad message), 4403 (refused), 4408 (timeout) and 4429 (too
# many) are those graphql-transport-ws uses for the same reasons; 4413 is ours.
BAD_MESSAGE = 4400
FORBIDDEN = 4403
IDLE = 4408
MESSAGE_TOO_LARGE = 4413
# The one cap on a websocket message: uvicorn refuses a larger frame (graph.serve), and
# the GraphQL socket closes with MESSAGE_TOO_LARGE on a larger text (graph.graphql_endpoint).
# A subscribe message is a query plus variables; nothing legitimate comes near this.
MAX_WS_MESSAGE_BYTES = 64 * 1024
TOO_MANY_SOCKETS = 4429


class SocketRefused(Exception):
    """Raised by the view's on_ws_connect; the handler closes with this code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class OpenSockets:
    """Acknowledged sockets per user, so one user cannot hold them all.

    Counted in this process only: behind N workers a user may hold N times the
    limit. That still bounds what one token costs; a shared count would need a
    store every connect and disconnect waits on.
    """

    def __init__(self, limit_per_user: int) -> None:
        self.limit_per_user = limit_per_user
        # Keyed by id(): a connection's context is unhashable, and lives until release.
        self._by_user: dict[str, set[int]] = {}
        self._owner: dict[int, str] = {}

    def admit(self, user_id: str, connection: object) -> bool:
        held = self._by_user.get(user_id, set())
        if len(held) >= self.limit_per_user:
            return False
        held.add(id(connection))
        self._by_user[user_id] = held
        self._owner[id(connection)] = user_id
        return True

    def release(self, connection: object) -> None:
        user_id = self._owner.pop(id(connection), None)
        if user_id is None:
            return
        held = self._by_user[user_id]
        held.discard(id(connection))
        if not held:
            del self._by_user[user_id]  # the map holds only users with open sockets

    def count(self, user_id: str) -> int:
        return len(self._by_user.get(user_id, ()))


def message_problem(message: object) -> str | None:
    """Why a decoded message is not a graphql-transport-ws message, or None if it is one."""
    if not isinstance(message, dict):
        return "Message must be a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "Message type must be a string"
    if kind in ("subscribe", "complete"):
        op_id = message.get("id")
        if not isinstance(op_id, str) or not op_id:
            return f"A {kind} message needs a non-empty string id"
    if kind == "subscribe":
        return _subscribe_payload_problem(message.get("payload"))
    return None


def _subscribe_payload_problem(payload: object) -> str | None:
    if not isinstance(payload, dict):
        return "Subscribe payload must be an object"
    if not isinstance(payload.get("query"), str):
        return "Subscribe payload.query must be a string"
    for key, kind in (("variables", dict), ("extensions", dict), ("operationName", str)):
        value = payload.get(key)
        if value is not None and not isinstance(value, kind):
            expected = "an object" if kind is dict else "a string"
            return f"Subscribe payload.{key} must be {expected} or null"
    return None


class MissionPlannerWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Checks each message's shape, closes refused and idle sockets with a reason."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A timer, not a sleeping task: a task, its frame and its sleep were ~1.5 KiB
        # per idle socket (benchmarks/README.md, "Changes made for speed").
        self._idle_timer: asyncio.TimerHandle | None = None
        self._idle_close: asyncio.Task[None] | None = None
        self._subscribed_recently = False

    @property
    def _view(self) -> MissionPlannerGraphQL:
        # Strawberry types `view` as its base view; the handler only ever serves ours.
        return cast("MissionPlannerGraphQL", self.view)

    async def handle_message(self, message: Any) -> None:
        problem = message_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)
        # Strawberry's read loop keeps the last message until the next one arrives; what
        # the operation needs it has taken (its query, variables and id).
        message.clear()

    async def handle_connection_init(self, message: Any) -> None:
        try:
            await super().handle_connection_init(message)
        except SocketRefused as refused:
            await self.websocket.close(code=refused.code, reason=refused.reason)
            return
        if self.connection_acknowledged:
            # Strawberry's init-timeout task would sleep out its whole wait regardless.
            # Dropped, not kept: a cancelled task holds its traceback and so its frame.
            if self.connection_init_timeout_task is not None:
                self.connection_init_timeout_task.cancel()
                self.connection_init_timeout_task = None
            if self._idle_timer is None:
                self._arm_idle_timer()

    async def handle_subscribe(self, message: Any) -> None:
        self._subscribed_recently = True
        # The operation keeps its query text for its whole life; thousands of clients
        # send the same few, so they share one string (freed with its last operation).
        payload = message["payload"]
        payload["query"] = sys.intern(payload["query"])
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Our two subscriptions on the light path (graph/light_subscriptions.py), the
        rest (and any of them with an error before its stream starts) on strawberry's.

        A socket closed under its operation (a slow subscriber hung up on, a refusal, the
        client gone) ends it at its next send, on either path: its stream and bus
        subscription are closed on the way out, nothing more is sent, nothing is logged.
        """
        try:
            plan = self._light_plan(operation)
            if plan is None:
                await super().run_operation(operation)
            else:
                await self._run_light(operation, plan)
        except WebSocketDisconnected:
            if self.operations.get(operation.id) is operation:
                del self.operations[operation.id]

    async def handle_task_exception(self, error: Exception) -> None:
        if not isinstance(error, WebSocketDisconnected):  # routine: see run_operation
            await super().handle_task_exception(error)

    async def _run_light(self, operation: Operation[Context, None], plan: LightPlan) -> None:
        complete: Any = {"id": operation.id, "type": "complete"}
        try:
            await self._view.light_path.serve(self.context, operation, plan, self._send_text)
            await operation.send_operation_message(complete)
        except WebSocketDisconnected:
            raise
        except Exception as error:  # as strawberry's run_operation does
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message(complete)
            self.operations.pop(operation.id, None)
            raise

    async def _send_text(self, text: str) -> None:
        # The view's websocket adapter is ours (websocket_adapter_class).
        await cast("CappedWebSocketAdapter", self.websocket).send_text(text)

    def _light_plan(self, operation: Operation[Context, None]) -> LightPlan | None:
        view = self._view
        if not view.light_subscriptions:
            return None
        try:
            return view.light_path.plan(
                operation.query, operation.variables, operation.operation_name
            )
        except Exception:  # e.g. a parser failure: strawberry's path reports it
            return None

    def _arm_idle_timer(self) -> None:
        loop = asyncio.get_running_loop()
        self._idle_timer = loop.call_later(self._view.idle_timeout_seconds, self._idle_check)

    def _idle_check(self) -> None:
        """Closes the socket once a whole idle period passed with no operation running.

        So a socket is closed between one and two periods after its last operation.
        """
        if not self.operations and not self._subscribed_recently:
            idle_seconds = self._view.idle_timeout_seconds
            reason = f"Idle: no subscription for {idle_seconds:g} s"
            self._idle_close = asyncio.create_task(self.websocket.close(code=IDLE, reason=reason))
            return
        self._subscribed_recently = False
        self._arm_idle_timer()

    async def shutdown(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        if self._idle_close is not None:
            self._idle_close.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._idle_close
        self._view.open_sockets.release(self.context)
        await super().shutdown()
