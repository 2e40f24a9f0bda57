"""The delivery benchmark's baseline: a raw Starlette websocket fan-out of the same frames.

Speaks just enough graphql-transport-ws for the benchmark's client (init, ack,
one subscribe), and on each POSTed webhook body pushes the frame the API would
push for it (same fields, same size) to the report's subscribers. No signature
check, no database, no GraphQL: the floor the API's event delivery is held to.

    uvicorn benchmarks.baseline_fanout:app --ws-per-message-deflate false
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from domain.workflow import WorkflowDefinition

DEFINITION_FILE = (
    Path(__file__).resolve().parents[1]
    / "llm_service/workflows/definitions/mission_generation.json"
)
definition = WorkflowDefinition.from_dict(json.loads(DEFINITION_FILE.read_text()))
subscribers: dict[str, set[tuple[WebSocket, str]]] = defaultdict(set)
sequences: dict[str, int] = defaultdict(int)


def progress_event(report_id: str, step_id: str, finished: bool) -> dict[str, Any]:
    step = definition.step(step_id)
    sequences[report_id] += 1
    return {
        "__typename": "MissionProgressEvent",
        "sequence": sequences[report_id],
        "reportId": report_id,
        "occurredAt": datetime.now(UTC).isoformat(),
        "attempt": 1,
        "progress": {
            "stepId": step.step_id,
            "stepName": step.display_name,
            "stepIndex": step.index,
            "stepCount": definition.step_count,
            "percentage": step.end_percentage if finished else step.start_percentage,
        },
    }


def frame(subscription_id: str, event: dict[str, Any]) -> str:
    payload = {"data": {"missionEvents": event}}
    return json.dumps(
        {"id": subscription_id, "type": "next", "payload": payload}, separators=(",", ":")
    )


async def subscriptions(websocket: WebSocket) -> None:
    await websocket.accept(subprotocol="graphql-transport-ws")
    entry: tuple[WebSocket, str] | None = None
    report_id = ""
    try:
        await websocket.receive_json()  # connection_init
        await websocket.send_json({"type": "connection_ack"})
        subscribe = await websocket.receive_json()
        report_id = subscribe["payload"]["variables"]["id"]
        entry = (websocket, subscribe["id"])
        subscribers[report_id].add(entry)
        first_step = definition.steps[0].id
        await websocket.send_text(frame(entry[1], progress_event(report_id, first_step, False)))
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        if entry is not None:
            subscribers[report_id].discard(entry)


async def webhook(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    report_id = body["metadata"]["report_id"]
    finished = body["type"] == "workflow.progress"
    event = progress_event(report_id, body["data"]["step_id"], finished)
    for websocket, subscription_id in list(subscribers.get(report_id, ())):
        await websocket.send_text(frame(subscription_id, event))
    return JSONResponse({"status": "applied"})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        WebSocketRoute("/graphql", subscriptions),
        Route("/api/webhooks/llm-callback", webhook, methods=["POST"]),
        Route("/healthz", healthz),
    ]
)
