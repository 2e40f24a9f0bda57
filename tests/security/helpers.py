"""What the security tests share: webhook bodies, state snapshots, a raw GraphQL websocket
client, and a recorder of the SQL a request runs."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import websockets
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.typing import Subprotocol

from infra.webhook_signing import sign
from infra.wiring import WEBHOOK_PATH
from tests.e2e.client import SUBMIT, WIZARD
from tests.e2e.server import RunningServer
from tests.integration.harness import ApiHarness
from tests.support.job_events import (  # noqa: F401 - re-exported for the security tests
    FAILURE,
    PLAN,
    completed_event,
    failed_event,
    webhook_event,
)

TRANSPORT_WS = [Subprotocol("graphql-transport-ws")]
LEGACY_WS = Subprotocol("graphql-ws")

SERVER_WEBHOOK_SECRET = "whsec_" + "c2VjdXJpdHktc3VpdGUtd2ViaG9vay1zZWNyZXQtMDAwMQ=="

MISSION_REPORT = "query($id: ID!) { missionReport(id: $id) { __typename id status } }"
CANCEL = """mutation($id: ID!) { cancelMissionPlan(reportId: $id) {
  __typename ... on NotFoundError { message } ... on CancelMissionPlanSuccess { reportId } } }"""
RETRY = """mutation($id: ID!) { retryMissionPlan(reportId: $id) {
  __typename ... on NotFoundError { message } ... on RetryMissionPlanSuccess { report { id } } } }"""
DISMISS = """mutation($id: ID!) { dismissNotification(id: $id) {
  __typename ... on NotFoundError { message }
  ... on DismissNotificationSuccess { notification { id dismissedAt } } } }"""
EVENTS = """subscription($id: ID!, $after: Int) { missionEvents(reportId: $id, afterSequence: $after) {
  __typename ... on MissionEventBase { sequence reportId } } }"""
MY_EVENTS = "subscription { myMissionEvents { __typename ... on MissionEventBase { sequence } } }"


def new_user() -> str:
    return f"sec-{uuid.uuid4().hex[:12]}"


def missing_id() -> str:
    return str(uuid.uuid4())


async def submit(api: ApiHarness, user: str) -> dict[str, Any]:
    body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
    result = body["data"]["submitMissionPlan"]
    assert result["__typename"] == "SubmitMissionPlanSuccess", body
    return result["report"]


@dataclass(frozen=True)
class ReportState:
    """Everything a webhook could change about a report, read from the database."""

    status: str | None
    percentage: float | None
    last_sequence: int | None
    events: tuple[tuple[int, str], ...]
    notifications: int


async def report_state(api: ApiHarness, report: dict[str, Any], user: str) -> ReportState:
    queries = api.state.queries
    stored = await queries.report(report["id"])
    events = await queries.events_after(report["id"], 0)
    notes = await queries.notifications(user, include_dismissed=True)
    return ReportState(
        status=stored.status.value if stored else None,
        percentage=stored.progress.percentage if stored else None,
        last_sequence=stored.last_sequence if stored else None,
        events=tuple((e.sequence, e.type.value) for e in events),
        notifications=len(notes),
    )


# --- the real server -------------------------------------------------------------


async def server_graphql(
    server: RunningServer, user: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {server.token(user)}"}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    assert response.status_code == 200, response.text
    return response.json()


async def server_submit(server: RunningServer, user: str) -> dict[str, Any]:
    body = await server_graphql(server, user, SUBMIT, {"input": WIZARD})
    result = body["data"]["submitMissionPlan"]
    assert result["__typename"] == "SubmitMissionPlanSuccess", body
    return result["report"]


async def server_webhook(server: RunningServer, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    headers = sign(SERVER_WEBHOOK_SECRET, f"msg_{uuid.uuid4().hex}", int(time.time()), raw)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        response = await client.post(WEBHOOK_PATH, content=raw, headers=headers)
    assert response.status_code == 200, response.text


class GraphQLSocket:
    """A bare graphql-transport-ws client: every frame and close code stays visible."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    @classmethod
    @asynccontextmanager
    async def open(
        cls, server: RunningServer, token: str, **connect_kwargs: Any
    ) -> AsyncIterator[GraphQLSocket]:
        async with websockets.connect(
            server.ws_url, subprotocols=TRANSPORT_WS, **connect_kwargs
        ) as ws:
            init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            await ws.send(json.dumps(init))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert ack["type"] == "connection_ack", ack
            yield cls(ws)

    async def start(self, query: str, variables: dict[str, Any] | None = None) -> str:
        op_id = str(next(self._ids))
        payload = {"query": query, "variables": variables or {}}
        await self.ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": payload}))
        return op_id

    async def receive(self, timeout: float = 10.0) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def outcome(self, op_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The first result of an operation: `next` payload, or the `error` frame's errors."""
        while True:
            message = await self.receive(timeout)
            if message.get("id") != op_id:
                continue
            if message["type"] == "next":
                return message["payload"]
            if message["type"] == "error":
                return {"errors": message["payload"]}
            raise AssertionError(f"operation {op_id} completed without a result")

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        return await self.outcome(await self.start(query, variables), timeout)


# --- what a request runs ---------------------------------------------------------

_LITERALS = re.compile(r"'[^']*'|\$\d+|\?|\b\d+\b")


@contextmanager
def recorded_statements(*engines: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements (literals normalised) that the calling task runs on our tables.

    Other tasks (the embedded LLM service delivering a webhook, the sweeper) share the
    engines; their statements are left out.
    """
    statements: list[str] = []
    task = asyncio.current_task()

    def record(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if asyncio.current_task() is not task:
            return
        if re.search(r"mission_reports|mission_events|notifications", statement):
            statements.append(_LITERALS.sub("?", " ".join(statement.split())))

    unique = {id(e): e for e in engines}.values()
    for engine in unique:
        event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in unique:
            event.remove(engine.sync_engine, "before_cursor_execute", record)


def app_engines(api: ApiHarness) -> tuple[AsyncEngine, AsyncEngine]:
    """The reader and writer engines of the running app (the same one on PostgreSQL)."""
    return api.state.queries._engine, api.state.deps.uow._engine  # type: ignore[attr-defined]
