"""A websocket closed under its operations (the slow-subscriber hang-up, 1013): they end
quietly, on the light path and on strawberry's, with nothing sent after the close and
nothing in the log but the hang-up's warning."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.app import create_app
from graph.subscriptions import TOO_SLOW
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, settings_for
from tests.integration.test_light_subscriptions import (
    MINE,
    WHOLE,
    MemorySocket,
    new_report,
    view_of,
)
from tests.support.job_events import webhook_event
from tests.support.waiting import wait_until

QUEUE_SIZE = 1
# Each blocked subscriber's queue overflows more than 3 times (the bus's limit) on these.
EVENTS_WHILE_STALLED = 8


class StalledSocket(MemorySocket):
    """A client that stops reading: every message the server sends waits, as it would
    behind a full TCP window, until `resume_reading()`."""

    def __init__(self, app: Any, token: str) -> None:
        self.reading = asyncio.Event()
        self.reading.set()
        self.close_sent = asyncio.Event()
        self.close_reason: str | None = None
        super().__init__(app, token)

    def stop_reading(self) -> None:
        self.reading.clear()

    def resume_reading(self) -> None:
        self.reading.set()

    async def _send(self, message: dict[str, Any]) -> None:
        if message["type"] == "websocket.close":
            self.close_reason = message.get("reason")
            self.close_sent.set()
        await self.reading.wait()
        await super()._send(message)


@pytest.fixture
async def app_and_api(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Any, ApiHarness]]:
    settings = settings_for(
        database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000, SUBSCRIBER_QUEUE_SIZE=QUEUE_SIZE
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, ApiHarness(client, app.state.mission_planner)


class Writing:
    """The report's plan being written: each webhook one text delta, one event."""

    def __init__(self, api: ApiHarness, report: dict[str, Any]) -> None:
        self.api, self.report, self.sequence, self.draft_length = api, report, 20, 0

    async def send(self, type_: str, **data: Any) -> None:
        self.sequence += 1
        body = webhook_event(
            self.report, type_, self.sequence, step_id="generate_mission_plan", **data
        )
        assert (await self.api.webhook(body)).status_code == 200

    async def deltas(self, count: int) -> None:
        for _ in range(count):
            self.draft_length += 1
            await self.send("workflow.progress", delta="x", draft_length=self.draft_length)


async def _first_frame_of(socket: StalledSocket, op_id: str) -> dict[str, Any]:
    while (frame := await socket.next_frame()).get("id") != op_id:
        pass
    return frame


@pytest.mark.parametrize("light_path", [True, False], ids=["light", "strawberry"])
async def test_operations_end_quietly_when_a_slow_subscriber_is_hung_up(
    app_and_api: tuple[Any, ApiHarness], caplog: pytest.LogCaptureFixture, light_path: bool
) -> None:
    """Two operations fall behind and are hung up on; a third, on a quiet report, kept
    up with its queue and is not: it finds the socket closed at its next event."""
    app, api = app_and_api
    view_of(app).light_subscriptions = light_path
    user, report = await new_report(api)
    quiet = (await api.graphql(SUBMIT, {"input": WIZARD}, user=user))["data"]
    quiet_report = quiet["submitMissionPlan"]["report"]
    bus = api.state.bus
    before = bus.subscriber_count
    socket = StalledSocket(app, api.token(user))
    assert (await socket.next_frame())["type"] == "connection_ack"
    for op_id in ("a", "b"):
        socket.send({"id": op_id, "type": "subscribe", "payload": {"query": MINE}})
    payload = {"query": WHOLE, "variables": {"id": quiet_report["id"]}}
    socket.send({"id": "quiet", "type": "subscribe", "payload": payload})
    await _first_frame_of(socket, "quiet")  # its report's state: every operation runs
    assert bus.subscriber_count == before + 3

    socket.stop_reading()
    with caplog.at_level(logging.INFO):
        writing = Writing(api, report)
        await writing.send("workflow.step_started")
        await writing.deltas(EVENTS_WHILE_STALLED)
        await asyncio.wait_for(socket.close_sent.wait(), 30)
        # The client reads again: what the server sent before its close arrives, and the
        # operations, their sends done, find the socket closed.
        socket.resume_reading()
        frames = await socket.until_complete()
        quiet_writing = Writing(api, quiet_report)
        await quiet_writing.send("workflow.step_started")
        # Still connected from the client's side: the operations end on their own, their
        # bus subscriptions given back, with nothing sent after the close.
        await wait_until(lambda: bus.subscriber_count == before)
        await socket.close()

    assert frames[-1] == {"closed": 1013}
    assert socket.close_reason == TOO_SLOW
    assert "slow subscriber: closing the websocket" in caplog.text
    problems = [
        r for r in caplog.records if r.levelno >= logging.ERROR or "worker task" in r.getMessage()
    ]
    assert not problems, caplog.text
