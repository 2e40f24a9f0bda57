"""The webhook pipeline's baseline: verify, write in one transaction, fan out. Nothing else.

A bare Starlette + asyncpg handler doing the work the API's webhook route must do
for a progress webhook, without the API's layers: the Standard Webhooks signature
check (`standardwebhooks`, the library the API uses), then in ONE transaction the
receipt (`INSERT ... ON CONFLICT DO NOTHING`, so a duplicate changes nothing), the
report row locked and moved on, and the event appended to the log; then the frame
the API would push (same fields and size, `baseline_fanout.frame`) to the report's
subscribers in this process (the API's memory:// bus is in-process too).

    DATABASE_URL=postgresql://... LLM_WEBHOOK_SECRET=whsec_... \
        uvicorn benchmarks.baseline_webhook:app --ws-per-message-deflate false
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from benchmarks.baseline_fanout import definition, frame, healthz, subscribers, subscriptions

RECEIPT = """INSERT INTO webhook_receipts (webhook_id, job_id, event_type, received_at)
VALUES ($1, $2, $3, $4) ON CONFLICT (webhook_id) DO NOTHING RETURNING webhook_id"""
LOCK = "SELECT user_id, last_sequence FROM mission_reports WHERE id = $1 FOR UPDATE"
MOVE = """UPDATE mission_reports SET progress = $2, last_sequence = $3, last_job_sequence = $4,
updated_at = $5 WHERE id = $1"""
APPEND = """INSERT INTO mission_events (report_id, sequence, user_id, event_type, payload,
occurred_at) VALUES ($1, $2, $3, 'progress', $4, $5)"""

pool: asyncpg.Pool | None = None
verifier = Webhook(os.environ.get("LLM_WEBHOOK_SECRET", "whsec_" + "A" * 32))


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global pool
    url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    pool = await asyncpg.create_pool(url, min_size=2, max_size=10)
    try:
        yield
    finally:
        await pool.close()


def progress(step_id: str, finished: bool) -> dict[str, Any]:
    step = definition.step(step_id)
    return {
        "stepId": step.step_id,
        "stepName": step.display_name,
        "stepIndex": step.index,
        "stepCount": definition.step_count,
        "percentage": step.end_percentage if finished else step.start_percentage,
    }


async def webhook(request: Request) -> JSONResponse:
    raw = await request.body()
    try:
        body = verifier.verify(raw.decode(), dict(request.headers), json_parse=True)
    except Exception:
        return JSONResponse({"error": "invalid_signature"}, status_code=401)
    report_id = body["metadata"]["report_id"]
    step = progress(body["data"]["step_id"], body["type"] == "workflow.progress")
    now = datetime.now(UTC)
    assert pool is not None
    async with pool.acquire() as conn, conn.transaction():
        first = await conn.fetchval(
            RECEIPT, request.headers["webhook-id"], body["job_id"], body["type"], now
        )
        if first is None:
            return JSONResponse({"status": "ignored"})
        row = await conn.fetchrow(LOCK, report_id)
        if row is None:
            return JSONResponse({"status": "ignored"})
        sequence = row["last_sequence"] + 1
        await conn.execute(MOVE, report_id, json.dumps(step), sequence, body["sequence"], now)
        payload = {"progress": step, "attempt": 1}
        await conn.execute(APPEND, report_id, sequence, row["user_id"], json.dumps(payload), now)
    event = {
        "__typename": "MissionProgressEvent",
        "sequence": sequence,
        "reportId": report_id,
        "occurredAt": now.isoformat(),
        "attempt": 1,
        "progress": step,
    }
    for websocket, subscription_id in list(subscribers.get(report_id, ())):
        await websocket.send_text(frame(subscription_id, event))
    return JSONResponse({"status": "applied"})


app = Starlette(
    routes=[
        WebSocketRoute("/graphql", subscriptions),
        Route("/api/webhooks/llm-callback", webhook, methods=["POST"]),
        Route("/healthz", healthz),
    ],
    lifespan=lifespan,
)
