"""The core loop over real sockets: submit, watch live, read the plan, cancel, isolation."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import websockets
from gql.transport.exceptions import TransportQueryError
from websockets.typing import Subprotocol

from tests.e2e.client import MISSION_EVENTS, REPORT, SUBMIT, WIZARD, graphql, request, ws_session
from tests.e2e.server import RunningServer

pytestmark = pytest.mark.e2e

STEPS = "{ workflowSteps { id displayName index startPercentage endPercentage } }"


def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def submit(server: RunningServer, token: str) -> str:
    body = await graphql(server, token, SUBMIT, {"input": WIZARD})
    result = body["data"]["submitMissionPlan"]
    assert result["__typename"] == "SubmitMissionPlanSuccess", body
    return str(result["report"]["id"])


async def test_submit_watch_progress_and_read_the_plan(server: RunningServer) -> None:
    token = server.token(user())
    steps = (await graphql(server, token, STEPS))["data"]["workflowSteps"]
    assert [s["displayName"] for s in steps] == [
        "Formatting Bundles",
        "Joining Bundles",
        "Building Scenario List",
        "Building User Message",
        "Generating Mission Plan",
        "Parsing Sections",
    ]
    report_id = await submit(server, token)

    events = []
    async with ws_session(server, token) as session:
        async for item in session.subscribe(request(MISSION_EVENTS, id=report_id)):
            events.append(item["missionEvents"])
    kinds = [e["__typename"] for e in events]
    # The stream ends with the completion and the notification written with it.
    assert kinds[-2:] == ["MissionCompletedEvent", "NotificationEvent"], kinds
    assert events[-2]["report"]["status"] == "COMPLETED"
    assert events[-1]["notification"]["title"] == "Your plan is ready"
    progress = [e["progress"] for e in events if e["__typename"] == "MissionProgressEvent"]
    # "Step X of N" from the first (queued) event on: N is the workflow's, X never goes back.
    assert [p["stepCount"] for p in progress] == [len(steps)] * len(progress)
    indexes = [p["stepIndex"] for p in progress]
    assert indexes == sorted(indexes), "the step went back"
    percentages = [p["percentage"] for p in progress]
    assert percentages == sorted(percentages), "progress went down"
    names = [p["stepName"] for p in progress if p["stepName"] != "Queued"]
    order = [s["displayName"] for s in steps]
    assert names, "no step progress was pushed"
    assert [order.index(n) for n in names] == sorted(order.index(n) for n in names)
    sequences = [e["sequence"] for e in events]
    assert sequences == sorted(set(sequences)), "events out of order or repeated"
    # Replayed from the log and snapshotted, each sequence is the very event seen live.
    async with ws_session(server, token) as session:
        replayed = [
            item["missionEvents"]
            async for item in session.subscribe(request(MISSION_EVENTS, id=report_id, after=0))
        ]
        snapshot = [
            item["missionEvents"]
            async for item in session.subscribe(request(MISSION_EVENTS, id=report_id))
        ]
    assert [e["sequence"] for e in replayed] == list(range(1, len(replayed) + 1))
    logged = {e["sequence"]: e for e in replayed}
    for event in events + snapshot:
        assert event == logged[event["sequence"]], (event, logged[event["sequence"]])
    assert snapshot == replayed[-2:]  # the completion and its notification

    report = (await graphql(server, token, REPORT, {"id": report_id}))["data"]["missionReport"]
    assert report["status"] == "COMPLETED"
    assert report["progress"]["percentage"] == 100.0
    sections = report["plan"]["sections"]
    assert "Miami" in sections["executiveSummary"]
    assert {r["scenario"] for r in sections["riskAssessment"]} == {
        "HURRICANE",
        "POWER_GRID_FAILURE",
    }
    assert sections["bundles"] and all(b["bundle"] for b in sections["bundles"])
    assert sections["skills"] and sections["simulation"] and sections["nextSteps"]
    assert report["usage"]["model"] == "offline-planner-v1"
    assert report["usage"]["totalTokens"] > 0
    assert report["usage"]["costUsd"] == 0.0

    notes = await graphql(server, token, "{ notifications { id title reportId } }")
    assert [n["title"] for n in notes["data"]["notifications"]] == ["Your plan is ready"]


async def test_cancel_mid_run_ends_the_stream_and_removes_the_report(server: RunningServer) -> None:
    token = server.token(user())
    report_id = await submit(server, token)
    events = []
    async with ws_session(server, token) as session:
        async for item in session.subscribe(request(MISSION_EVENTS, id=report_id)):
            event = item["missionEvents"]
            events.append(event)
            if (
                event["__typename"] == "MissionProgressEvent"
                and event["progress"]["stepIndex"] >= 1
            ):
                cancel = await graphql(
                    server,
                    token,
                    "mutation($id: ID!) { cancelMissionPlan(reportId: $id) { __typename } }",
                    {"id": report_id},
                )
                assert (
                    cancel["data"]["cancelMissionPlan"]["__typename"] == "CancelMissionPlanSuccess"
                )
    assert events[-1]["__typename"] == "MissionCancelledEvent"
    assert (await graphql(server, token, REPORT, {"id": report_id}))["data"][
        "missionReport"
    ] is None
    active = await graphql(server, token, "{ activeMissions { id } }")
    assert report_id not in [r["id"] for r in active["data"]["activeMissions"]]
    await asyncio.sleep(1.5)  # the job would have finished by now: it must not come back
    assert (await graphql(server, token, REPORT, {"id": report_id}))["data"][
        "missionReport"
    ] is None


async def test_another_user_is_denied_everywhere(server: RunningServer) -> None:
    owner, intruder = server.token(user()), server.token(user())
    report_id = await submit(server, owner)

    assert (await graphql(server, intruder, REPORT, {"id": report_id}))["data"][
        "missionReport"
    ] is None
    cancel = await graphql(
        server,
        intruder,
        "mutation($id: ID!) { cancelMissionPlan(reportId: $id) { __typename } }",
        {"id": report_id},
    )
    assert cancel["data"]["cancelMissionPlan"]["__typename"] == "NotFoundError"
    async with ws_session(server, intruder) as session:
        with pytest.raises(TransportQueryError, match="No mission report"):
            async for _ in session.subscribe(request(MISSION_EVENTS, id=report_id)):
                pass
    owned = await graphql(server, owner, REPORT, {"id": report_id})
    assert owned["data"]["missionReport"]["id"] == report_id


@pytest.mark.parametrize("payload", [{}, {"authorization": "Bearer not-a-jwt"}])
async def test_websocket_without_a_valid_token_is_closed_with_4403(
    server: RunningServer, payload: dict[str, str]
) -> None:
    async with websockets.connect(
        server.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_only_the_graphql_transport_ws_protocol_is_spoken(server: RunningServer) -> None:
    async with websockets.connect(server.ws_url, subprotocols=[Subprotocol("graphql-ws")]) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4406
