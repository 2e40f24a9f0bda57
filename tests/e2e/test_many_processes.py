"""Two API processes behind one PostgreSQL database share every event over the bus.

Both run `python -m graph.serve` on one scratch database, with BROADCAST_URL on a
throwaway `redis-server` (or on the database's LISTEN/NOTIFY). A plan is submitted
and watched on process 1 while its LLM-service webhooks go to process 2: the
subscriber must see every event, in order, ending with the completion. With Redis
killed and restarted mid-stream, what the outage hid is replayed from the log.
The embedded LLM service stalls in its first step, so only the test's webhooks move
the plan.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from benchmarks.common import settle
from infra.webhook_signing import sign
from tests.conftest import require_server, scratch_postgres_database, skip_or_fail
from tests.e2e.client import SUBMIT, WIZARD, graphql
from tests.e2e.server import RunningServer
from tests.faults.servers import ServerUnavailable, ThrowawayRedis
from tests.support.job_events import completed_event, webhook_event
from tests.support.workflow_steps import MISSION_GENERATION_STEPS

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

WEBHOOK_SECRET = "whsec_" + "bXVsdGktcHJvY2Vzcy13ZWJob29rLXNlY3JldC0zMmI="
WATCH = """subscription($id: ID!) { missionEvents(reportId: $id) { __typename
  ... on MissionProgressEvent { sequence progress { stepId percentage } }
  ... on MissionCompletedEvent { sequence }
  ... on NotificationEvent { sequence } } }"""
STALLED_MS = str(24 * 3600 * 1000)


@pytest.fixture
def redis_server() -> Iterator[ThrowawayRedis]:
    try:
        server = ThrowawayRedis.create()
    except ServerUnavailable as exc:
        skip_or_fail(str(exc), "multi-process")
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def database() -> Iterator[str]:
    require_server("PostgreSQL", "127.0.0.1", 5432)
    url, drop = scratch_postgres_database("mp_e2e_multi")
    yield url
    drop()


def start_pair(root: Path, database: str, broadcast: str) -> list[RunningServer]:
    """Two API processes on one database; started one after the other (each migrates)."""
    servers = []
    for n in (1, 2):
        (root / f"api{n}").mkdir()
        server = RunningServer(root / f"api{n}")
        server.env_overrides = {
            "DATABASE_URL": database,
            "BROADCAST_URL": broadcast,
            "LLM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "OFFLINE_STEP_DELAY_MS": STALLED_MS,
            "RECONCILE_AFTER_SECONDS": "3600",
            "SWEEP_INTERVAL_SECONDS": "3600",
            "SUBMISSION_RATE_LIMIT": "0",
        }
        try:
            servers.append(server.start())
        except BaseException:
            for started in servers:  # the first one would outlive the test
                started.stop()
            raise
    return servers


def webhooks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step started and finished, then the completion: each makes one event."""
    bodies = []
    sequence = 100
    for index, (step_id, name, _) in enumerate(MISSION_GENERATION_STEPS):
        kinds = (
            ["workflow.progress"] if index == 0 else ["workflow.step_started", "workflow.progress"]
        )
        for kind in kinds:
            sequence += 1
            bodies.append(webhook_event(report, kind, sequence, step_id=step_id, display_name=name))
    bodies.append(completed_event(report, sequence + 1))
    return bodies


async def post_webhook(server: RunningServer, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    headers = sign(WEBHOOK_SECRET, f"msg_{uuid.uuid4().hex}", int(time.time()), raw)
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            server.base_url + "/api/webhooks/llm-callback", content=raw, headers=headers
        )
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "applied"}, response.text


class Watcher:
    """One missionEvents subscription on a server, read in a task until it completes."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.done = asyncio.Event()

    @asynccontextmanager
    async def watching(
        self, server: RunningServer, token: str, report_id: str
    ) -> AsyncIterator[None]:
        ws = await connect(server.ws_url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": WATCH, "variables": {"id": report_id}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        task = asyncio.create_task(self._read(ws))
        try:
            await asyncio.wait_for(self._first(), 10)
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await ws.close()

    async def _first(self) -> None:
        await settle(lambda: bool(self.events), 10.0)

    async def _read(self, ws: Any) -> None:
        async for message in ws:
            decoded = json.loads(message)
            if decoded["type"] == "next":
                assert "errors" not in decoded["payload"], decoded
                self.events.append(decoded["payload"]["data"]["missionEvents"])
            elif decoded["type"] == "complete":
                self.done.set()
                return
            else:
                raise AssertionError(decoded)


async def submitted(server: RunningServer, token: str) -> dict[str, Any]:
    body = await graphql(server, token, SUBMIT, {"input": WIZARD})
    result = body["data"]["submitMissionPlan"]
    assert result["__typename"] == "SubmitMissionPlanSuccess", body
    return {"id": result["report"]["id"], "jobId": result["report"]["jobId"]}


def assert_every_event_in_order(events: list[dict[str, Any]], bodies: list[dict[str, Any]]) -> None:
    """No sequence missing or twice, and the stream ends with one event per webhook sent
    (in the order sent), then the notification written with the completion."""
    sequences = [e["sequence"] for e in events]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences))), sequences
    kinds = [e["__typename"] for e in events]
    assert kinds[-2:] == ["MissionCompletedEvent", "NotificationEvent"], kinds
    moves = events[-len(bodies) - 1 : -2]
    assert [e["progress"]["stepId"] for e in moves] == [
        b["data"]["step_id"] for b in bodies[:-1]
    ], moves


@pytest.mark.redis
@pytest.mark.timeout(180)
async def test_events_of_webhooks_on_process_2_reach_a_subscriber_on_process_1_over_redis(
    tmp_path: Path, database: str, redis_server: ThrowawayRedis
) -> None:
    api1, api2 = start_pair(tmp_path, database, redis_server.url(0))
    try:
        token = api1.token(f"multi-{uuid.uuid4().hex[:8]}")
        report = await submitted(api1, token)
        watcher = Watcher()
        bodies = webhooks(report)
        async with watcher.watching(api1, token, report["id"]):
            for body in bodies:
                await post_webhook(api2, body)
            await asyncio.wait_for(watcher.done.wait(), 30)
        assert_every_event_in_order(watcher.events, bodies)
    finally:
        api1.stop()
        api2.stop()


@pytest.mark.redis
@pytest.mark.timeout(180)
async def test_a_redis_restart_mid_stream_loses_nothing_across_processes(
    tmp_path: Path, database: str, redis_server: ThrowawayRedis
) -> None:
    api1, api2 = start_pair(tmp_path, database, redis_server.url(0))
    try:
        token = api1.token(f"multi-{uuid.uuid4().hex[:8]}")
        report = await submitted(api1, token)
        watcher = Watcher()
        bodies = webhooks(report)
        before, during, after = bodies[:3], bodies[3:6], bodies[6:]
        async with watcher.watching(api1, token, report["id"]):
            for body in before:
                await post_webhook(api2, body)
            assert await settle(lambda: len(watcher.events) >= 1 + len(before), 15.0)
            redis_server.kill()
            for body in during:  # stored and answered; their bus messages go nowhere
                await post_webhook(api2, body)
            redis_server.start()
            for body in after:
                await post_webhook(api2, body)
                await asyncio.sleep(0.2)
            await asyncio.wait_for(watcher.done.wait(), 60)
        assert_every_event_in_order(watcher.events, bodies)
    finally:
        api1.stop()
        api2.stop()


@pytest.mark.timeout(180)
async def test_events_cross_processes_over_postgres_listen_notify(
    tmp_path: Path, database: str
) -> None:
    broadcast = database.replace("postgresql+asyncpg://", "postgres://")
    api1, api2 = start_pair(tmp_path, database, broadcast)
    try:
        token = api1.token(f"multi-{uuid.uuid4().hex[:8]}")
        report = await submitted(api1, token)
        watcher = Watcher()
        bodies = webhooks(report)
        async with watcher.watching(api1, token, report["id"]):
            for body in bodies:
                await post_webhook(api2, body)
            await asyncio.wait_for(watcher.done.wait(), 30)
        assert_every_event_in_order(watcher.events, bodies)
    finally:
        api1.stop()
        api2.stop()
