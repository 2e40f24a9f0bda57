"""The light subscription path (graph/light_subscriptions.py) sends what strawberry's
path sends: each scenario runs once on each, over the app's own websocket endpoint."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import WebSocketRoute

from graph.app import create_app
from graph.graphql_endpoint import MissionPlannerGraphQL
from graph.light_subscriptions import LightPlan
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, settings_for
from tests.support.job_events import completed_event, failed_event, webhook_event

WS = "graphql-transport-ws"
WHOLE = """subscription Watch($id: ID!, $after: Int) {
  events: missionEvents(reportId: $id, afterSequence: $after) {
    __typename
    ... on MissionEventBase { sequence reportId occurredAt }
    ... on MissionProgressEvent { attempt draftLength progress { stepId percentage } }
    ... on MissionCompletedEvent { attempt report { id status plan { content } } }
    ... on MissionFailedEvent { error { code message retryable } }
    ... on NotificationEvent { notification { kind title reportId } }
  } }"""
MINE = "subscription { myMissionEvents { __typename ... on MissionEventBase { sequence } } }"
# What the compiled programs serve (graph/compiled_events.py): aliases, a named fragment,
# inline ones, __typename, @include/@skip decided by variables, nested objects; and a
# completed event's report, which is left to the executor.
COMPILED = """subscription Watch($id: ID!, $after: Int, $steps: Boolean!, $quiet: Boolean!) {
  e: missionEvents(reportId: $id, afterSequence: $after) {
    kind: __typename
    ...Base
    ... on MissionProgressEvent {
      attempt delta: draftDelta draftLength
      progress @include(if: $steps) { stepId stepName stepIndex stepCount percentage }
      progress { p: percentage }
    }
    ... on MissionCompletedEvent { attempt report { id status } }
    ... on MissionFailedEvent { attempt error @skip(if: $quiet) { code message retryable } }
    ... on MissionCancelledEvent { __typename sequence }
    ... on NotificationEvent {
      notification { id kind title body reportId createdAt dismissedAt __typename }
    }
  } }
fragment Base on MissionEventBase { sequence reportId occurredAt at: occurredAt }"""
CANCEL = "mutation ($id: ID!) { cancelMissionPlan(reportId: $id) { __typename } }"


class MemorySocket:
    """One graphql-transport-ws client on the app's ASGI interface, no network."""

    def __init__(self, app: Any, token: str) -> None:
        self._in: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.texts: list[str] = []  # each frame as sent: both paths must send the same bytes
        scope = {
            "type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws",
            "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
            "root_path": "", "subprotocols": [WS], "state": {},
            "headers": [(b"host", b"testserver"), (b"sec-websocket-protocol", WS.encode())],
            "client": ("127.0.0.1", 1), "server": ("testserver", 80),
        }  # fmt: skip
        self._in.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(app(scope, self._in.get, self._send))
        self.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "websocket.send":
            self.texts.append(message["text"])
            self.frames.put_nowait(json.loads(message["text"]))
        elif message["type"] == "websocket.close":
            self.frames.put_nowait({"closed": message.get("code")})

    def send(self, message: dict[str, Any]) -> None:
        self._in.put_nowait({"type": "websocket.receive", "text": json.dumps(message)})

    async def next_frame(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.frames.get(), 30)

    async def until_complete(self) -> list[dict[str, Any]]:
        frames: list[dict[str, Any]] = []
        while not frames or (
            frames[-1].get("type") not in ("complete", "error") and "closed" not in frames[-1]
        ):
            frames.append(await self.next_frame())
        return frames

    async def close(self) -> None:
        self._in.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 30)


@pytest.fixture
async def app_and_api(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Any, ApiHarness]]:
    app = create_app(settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, ApiHarness(client, app.state.mission_planner)


def view_of(app: Any) -> MissionPlannerGraphQL:
    route = next(r for r in app.routes if isinstance(r, WebSocketRoute))
    view = route.endpoint
    assert isinstance(view, MissionPlannerGraphQL)
    return view


async def on_both_paths(app: Any, token: str, payload: dict[str, Any]) -> list[list[Any]]:
    """The frames of one subscription until it ends, on the light path and on strawberry's
    (the same bytes on both)."""
    runs, texts = [], []
    for light in (True, False):
        view_of(app).light_subscriptions = light
        socket = MemorySocket(app, token)
        assert (await socket.next_frame())["type"] == "connection_ack"
        socket.send({"id": "op", "type": "subscribe", "payload": payload})
        runs.append(await socket.until_complete())
        await socket.close()
        texts.append(socket.texts)
    view_of(app).light_subscriptions = True
    assert texts[0] == texts[1], payload
    return runs


async def new_report(api: ApiHarness) -> tuple[str, dict[str, Any]]:
    user = f"light-{uuid.uuid4().hex[:10]}"
    body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
    return user, body["data"]["submitMissionPlan"]["report"]


async def test_a_finished_report_replays_the_same_frames(
    app_and_api: tuple[Any, ApiHarness],
) -> None:
    app, api = app_and_api
    user, report = await new_report(api)
    started = webhook_event(
        report,
        "workflow.step_started",
        20,
        step_id="generate_mission_plan",
        display_name="Writing",
    )
    assert (await api.webhook(started)).status_code == 200
    assert (await api.webhook(completed_event(report))).status_code == 200
    token = api.token(user)
    for variables in ({"id": report["id"]}, {"id": report["id"], "after": 0}):
        light, strawberry = await on_both_paths(
            app, token, {"query": WHOLE, "variables": variables}
        )
        assert light == strawberry
        assert light[-1] == {"id": "op", "type": "complete"}
    replay, _ = await on_both_paths(
        app, token, {"query": WHOLE, "variables": {"id": report["id"], "after": 0}}
    )
    kinds = [frame["payload"]["data"]["events"]["__typename"] for frame in replay[:-1]]
    assert kinds[-2:] == ["MissionCompletedEvent", "NotificationEvent"]
    assert replay[-3]["payload"]["data"]["events"]["report"]["status"] == "COMPLETED"


async def test_a_failed_report_and_errors_are_the_same_frames(
    app_and_api: tuple[Any, ApiHarness],
) -> None:
    app, api = app_and_api
    user, report = await new_report(api)
    await api.webhook(failed_event(report))
    token = api.token(user)
    payloads = [
        {"query": WHOLE, "variables": {"id": report["id"], "after": 0}},
        # Not found, someone else's, a variable that does not coerce, a parse error, an
        # unknown field, a query: the light path leaves the last four to strawberry.
        {"query": WHOLE, "variables": {"id": str(uuid.uuid4())}},
        {"query": WHOLE, "variables": {"id": "not-a-report"}},
        {"query": WHOLE, "variables": {"id": report["id"], "after": "x"}},
        {"query": "subscription { missionEvents(", "variables": {}},
        {"query": "subscription { nope }", "variables": {}},
        {"query": "{ __typename }", "variables": {}},
    ]
    for payload in payloads:
        light, strawberry = await on_both_paths(app, token, payload)
        assert light == strawberry, payload
    other = api.token(f"light-{uuid.uuid4().hex[:10]}")
    light, strawberry = await on_both_paths(app, other, payloads[0])
    assert light == strawberry
    assert light[0]["payload"] == {
        "data": None,
        "errors": [{"message": "No mission report with this id."}],
    }


async def test_my_mission_events_live_frames_are_the_same(
    app_and_api: tuple[Any, ApiHarness],
) -> None:
    app, api = app_and_api
    user, report = await new_report(api)
    token = api.token(user)
    sockets = []
    for on_light_path in (True, False):
        view_of(app).light_subscriptions = on_light_path
        socket = MemorySocket(app, token)
        assert (await socket.next_frame())["type"] == "connection_ack"
        socket.send({"id": "mine", "type": "subscribe", "payload": {"query": MINE}})
        # Handled in order: by the pong the operation's task has chosen its path.
        socket.send({"type": "ping"})
        assert (await socket.next_frame())["type"] == "pong"
        sockets.append(socket)
    view_of(app).light_subscriptions = True
    await api.webhook(completed_event(report))
    light, strawberry = [[await s.next_frame(), await s.next_frame()] for s in sockets]
    assert light == strawberry
    assert [f["payload"]["data"]["myMissionEvents"]["__typename"] for f in light] == [
        "MissionCompletedEvent",
        "NotificationEvent",
    ]
    for socket in sockets:
        await socket.close()


def test_the_light_path_serves_only_our_two_subscriptions_when_valid() -> None:
    view = MissionPlannerGraphQL(lambda: None, settings_for("sqlite+aiosqlite://", Path(".")))

    def plan(query: str, variables: dict[str, Any] | None = None) -> LightPlan | None:
        return view.light_path.plan(query, variables, None)

    watched = plan(WHOLE, {"id": "r1", "after": 3})
    assert watched is not None
    assert (watched.field, watched.report_id, watched.after_sequence) == ("missionEvents", "r1", 3)
    assert plan(MINE) is not None
    assert plan(WHOLE, {"id": "r1", "after": "x"}) is None  # strawberry reports the variable
    assert plan(WHOLE, {}) is None
    assert plan("subscription { missionEvents(") is None
    assert plan("{ __typename }") is None
    two = "subscription { a: myMissionEvents { __typename } b: myMissionEvents { __typename } }"
    assert plan(two) is None


async def test_subscribers_of_one_report_each_get_their_own_selection(
    app_and_api: tuple[Any, ApiHarness],
) -> None:
    """Results are shared only between the same document and variables: two selections,
    twice each, on one report; each pair gets equal frames, the two kinds differ."""
    app, api = app_and_api
    user, report = await new_report(api)
    token = api.token(user)
    small = "subscription($id: ID!) { missionEvents(reportId: $id) { __typename } }"
    payloads = [
        {"query": WHOLE, "variables": {"id": report["id"]}},
        {"query": small, "variables": {"id": report["id"]}},
    ] * 2
    sockets = []
    for payload in payloads:
        socket = MemorySocket(app, token)
        assert (await socket.next_frame())["type"] == "connection_ack"
        socket.send({"id": "op", "type": "subscribe", "payload": payload})
        assert (await socket.next_frame())["type"] == "next"  # the snapshot
        sockets.append(socket)
    started = webhook_event(
        report, "workflow.step_started", 20, step_id="generate_mission_plan", display_name="W"
    )
    assert (await api.webhook(started)).status_code == 200
    frames = [await socket.next_frame() for socket in sockets]
    assert frames[0] == frames[2] and frames[1] == frames[3]
    assert frames[1]["payload"] == {
        "data": {"missionEvents": {"__typename": "MissionProgressEvent"}}
    }
    assert frames[0]["payload"]["data"]["events"]["progress"]["stepId"] == "generate_mission_plan"
    for socket in sockets:
        await socket.close()


async def test_compiled_selections_send_the_same_bytes(
    app_and_api: tuple[Any, ApiHarness],
) -> None:
    """Every event type through the compiled programs' document, each directive both
    ways: progress (with a text delta), completed (its report read by the executor) and
    its notification, failed, cancelled."""
    app, api = app_and_api
    finished_user, finished = await new_report(api)
    for sequence, kind, data in (
        (20, "workflow.step_started", {"display_name": "Writing"}),
        (21, "workflow.progress", {"delta": "Day 1: ", "draft_length": 7}),
    ):
        event = webhook_event(finished, kind, sequence, step_id="generate_mission_plan", **data)
        assert (await api.webhook(event)).status_code == 200
    assert (await api.webhook(completed_event(finished))).status_code == 200
    failed_user, failed = await new_report(api)
    assert (await api.webhook(failed_event(failed))).status_code == 200
    cancelled_user, cancelled = await new_report(api)
    result = await api.graphql(CANCEL, {"id": cancelled["id"]}, user=cancelled_user)
    assert result["data"]["cancelMissionPlan"]["__typename"] == "CancelMissionPlanSuccess"
    seen: set[str] = set()
    for user, report in (
        (finished_user, finished),
        (failed_user, failed),
        (cancelled_user, cancelled),
    ):
        for steps, quiet in ((True, False), (False, True)):
            variables = {"id": report["id"], "after": 0, "steps": steps, "quiet": quiet}
            light, _ = await on_both_paths(
                app, api.token(user), {"query": COMPILED, "variables": variables}
            )
            events = [frame["payload"]["data"]["e"] for frame in light[:-1]]
            seen.update(event["kind"] for event in events)
            progress = [e for e in events if e["kind"] == "MissionProgressEvent"]
            assert all(("stepId" in e["progress"]) is steps for e in progress)
            failures = [e for e in events if e["kind"] == "MissionFailedEvent"]
            assert all(("error" in e) is not quiet for e in failures)
    assert seen == {
        "MissionProgressEvent",
        "MissionCompletedEvent",
        "MissionFailedEvent",
        "MissionCancelledEvent",
        "NotificationEvent",
    }
    plan = view_of(app).light_path.plan(COMPILED, {"id": "r", "steps": True, "quiet": False}, None)
    assert plan is not None and plan.compiled is not None


async def test_subscribers_sharing_a_frame_get_its_bytes_with_their_own_id(
    app_and_api: tuple[Any, ApiHarness],
) -> None:
    """Live, three subscribers of one report and document: one result and one encoded
    payload, each frame with its operation's id, the bytes strawberry's path sends."""
    app, api = app_and_api
    user, report = await new_report(api)
    token = api.token(user)
    payload = {"query": WHOLE, "variables": {"id": report["id"]}}
    sockets = []
    for op_id, light in (("a", True), ("b-\u00e9", True), ("a", False)):
        view_of(app).light_subscriptions = light
        socket = MemorySocket(app, token)
        assert (await socket.next_frame())["type"] == "connection_ack"
        socket.send({"id": op_id, "type": "subscribe", "payload": payload})
        assert (await socket.next_frame())["type"] == "next"  # the snapshot
        sockets.append(socket)
    view_of(app).light_subscriptions = True
    started = webhook_event(
        report, "workflow.step_started", 20, step_id="generate_mission_plan", display_name="W"
    )
    assert (await api.webhook(started)).status_code == 200
    frames = [await socket.next_frame() for socket in sockets]
    assert [frame["id"] for frame in frames] == ["a", "b-\u00e9", "a"]
    first, other, strawberry = (socket.texts[-1] for socket in sockets)
    assert first == strawberry
    assert other == strawberry.replace('"id":"a"', '"id":"b-\u00e9"')
    for socket in sockets:
        await socket.close()
