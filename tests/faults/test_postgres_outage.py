"""PostgreSQL goes away mid-job: webhook retries, job resume and reconciliation put it right.

The embedded LLM service shares the database, so its runner and its webhook
sender fail during the outage too: the job must resume and every webhook must
still be delivered.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from infra.webhook_signing import sign
from tests.e2e.client import REPORT, graphql
from tests.e2e.server import RunningServer
from tests.faults.conftest import (
    StartServer,
    log_tail,
    new_user,
    pg_fetch,
    poll,
    postgres_stopped,
    submit_plan,
    terminate_postgres_backends,
)
from tests.faults.servers import ThrowawayPostgres

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

OUTAGE_SECONDS = 2.0
WEBHOOK_PATH = "/api/webhooks/llm-callback"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"faults-webhook-secret-32-bytes!!").decode()


@asynccontextmanager
async def stop_postgres(cluster: ThrowawayPostgres, _database: str) -> AsyncIterator[None]:
    async with postgres_stopped(cluster):
        yield
        await asyncio.sleep(OUTAGE_SECONDS)


@asynccontextmanager
async def kill_connections(cluster: ThrowawayPostgres, database: str) -> AsyncIterator[None]:
    """Every connection of the service is killed, three times over a second and a half."""
    await terminate_postgres_backends(cluster, database)
    yield
    for _ in range(2):
        await asyncio.sleep(0.5)
        await terminate_postgres_backends(cluster, database)


FAULTS: dict[str, Callable[[ThrowawayPostgres, str], AbstractAsyncContextManager[None]]] = {
    "kill-connections": kill_connections,
    "stop-server": stop_postgres,
}


async def _post_webhook(
    server: RunningServer, webhook_id: str, body: dict[str, Any]
) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = sign(WEBHOOK_SECRET, webhook_id, int(time.time()), raw)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        return await client.post(WEBHOOK_PATH, content=raw, headers=headers)


async def _report(server: RunningServer, token: str, report_id: str) -> dict[str, Any]:
    body = await graphql(server, token, REPORT, {"id": report_id})
    return body["data"]["missionReport"]


@pytest.mark.parametrize(
    "fault", ["kill-connections", pytest.param("stop-server", marks=pytest.mark.faults)]
)
async def test_postgres_outage_mid_job_the_report_still_completes(
    throwaway_postgres: ThrowawayPostgres,
    dedicated_postgres: tuple[str, str],
    start_server: StartServer,
    fault: str,
) -> None:
    name, url = dedicated_postgres
    server = start_server(
        DATABASE_URL=url,
        OFFLINE_STEP_DELAY_MS="500",
        RECONCILE_AFTER_SECONDS="5",
        SWEEP_INTERVAL_SECONDS="2",
        LLM_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    token = server.token(new_user())
    report_id = await submit_plan(server, token)

    async def running() -> dict[str, Any] | None:
        report = await _report(server, token, report_id)
        return report if report["progress"]["stepId"] not in (None, "queued") else None

    before = await poll(running, timeout=30, interval=0.05, what="the job running")
    stray = {
        "type": "workflow.progress",
        "job_id": str(uuid.uuid4()),
        "workflow_name": "mission_generation",
        "sequence": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "metadata": {},
        "data": {},
    }
    async with FAULTS[fault](throwaway_postgres, name):
        if fault == "stop-server":
            # A webhook that cannot be stored must not be acknowledged, or it is lost.
            refused = await _post_webhook(server, "msg_during_outage", stray)
            assert refused.status_code >= 500, (refused.status_code, refused.text)

    async def redelivered() -> bool:
        # Once the database is back the same delivery is acknowledged (an unknown job:
        # its receipt is stored and it is ignored).
        response = await _post_webhook(server, "msg_during_outage", stray)
        return response.status_code == 200

    await poll(redelivered, timeout=30, interval=0.5, what="the retried webhook acknowledged")
    # The fault came with most of the job still to run (6 steps of 0.5 s each).
    assert before["status"] == "GENERATING"
    assert before["progress"]["percentage"] <= 10.0, before

    async def finished() -> dict[str, Any] | None:
        report = await _report(server, token, report_id)
        return report if report["status"] != "GENERATING" else None

    try:
        report = await poll(finished, timeout=120, interval=0.5, what="the report finished")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{log_tail(server)}") from None
    assert report["status"] == "COMPLETED", f"{report}\n{log_tail(server)}"
    assert report["completedAt"] and report["error"] is None
    assert report["progress"]["percentage"] == 100.0
    sections = report["plan"]["sections"]
    assert "Miami" in sections["executiveSummary"]
    assert {r["scenario"] for r in sections["riskAssessment"]} == {
        "HURRICANE",
        "POWER_GRID_FAILURE",
    }
    assert sections["bundles"] and all(b["bundle"] for b in sections["bundles"])
    assert sections["skills"] and sections["simulation"] and sections["nextSteps"]
    assert report["usage"]["totalTokens"] > 0

    # The log holds each event once, in order, with one completion and one notification.
    events = await pg_fetch(
        url,
        "SELECT sequence, event_type FROM mission_events WHERE report_id = $1 ORDER BY sequence",
        report_id,
    )
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    assert [e["event_type"] for e in events][-2:] == ["completed", "notification"]
    assert [e["event_type"] for e in events].count("completed") == 1

    # The LLM service finished the job and its sender delivered every webhook in the end.
    jobs = await pg_fetch(url, "SELECT status FROM llm_workflow_jobs")
    assert [j["status"] for j in jobs] == ["completed"]
    # ...without starting over: the runner waited out the outage instead of dropping the
    # job until its lease went stale and running every step (a paid LLM call) again.
    starts = await pg_fetch(
        url, "SELECT count(*) AS n FROM llm_webhook_outbox WHERE event_type = 'workflow.started'"
    )
    assert starts[0]["n"] == 1, f"started {starts[0]['n']} times\n{log_tail(server)}"

    async def all_delivered() -> bool:
        rows = await pg_fetch(
            url, "SELECT count(*) AS n FROM llm_webhook_outbox WHERE delivered_at IS NULL"
        )
        return bool(rows[0]["n"] == 0)

    await poll(all_delivered, timeout=60, interval=0.5, what="every webhook delivered")
