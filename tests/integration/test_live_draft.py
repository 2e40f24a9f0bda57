"""The plan's text while it is written, through the API: webhooks in, GraphQL out.

The job's webhooks are sent by the test (the embedded job waits in its first step),
so duplicates, late deltas and gaps can be played exactly; the last test runs the
embedded offline planner for real. What a client sees is checked: `MissionReport.draft`,
the stream's `draftDelta`/`draftLength` (each delta placed at draftLength minus its
length), the snapshot of a subscriber who joins mid-way, the replay from afterSequence 0,
and the size of every bus message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from domain.draft import place_delta
from domain.plan_text import safe_markdown
from infra.bus_wire import MAX_WIRE_BYTES, wire_envelope
from infra.publisher import user_channel
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.support.job_events import PLAN, completed_event, webhook_event
from tests.support.waiting import wait_until
from tests.support.workflow_steps import GENERATE_MISSION_PLAN

EVENTS = """
subscription ($id: ID!, $after: Int) {
  missionEvents(reportId: $id, afterSequence: $after) {
    __typename
    ... on MissionEventBase { sequence }
    ... on MissionProgressEvent { attempt draftDelta draftLength progress { stepId percentage } }
  }
}
"""
REPORT = """query ($id: ID!) { missionReport(id: $id) {
  status draft progress { stepId percentage } plan { content } } }"""
# A plan with HTML in it, which the stored plan loses (domain.plan_text.safe_markdown).
RAW_PLAN = PLAN.replace("Stay put,", "Stay put <b>now</b>,") + "Call 🚨 <i>911</i> if hurt.\n"


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    settings = settings_for(
        database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000, SUBSCRIPTION_POLL_SECONDS=0.3
    )
    async with running_api(settings) as harness:
        yield harness


class Job:
    """The report's job as the test plays it: step events and the streamed plan."""

    def __init__(self, api: ApiHarness, report: dict[str, Any], user: str) -> None:
        self.api, self.report, self.user, self.sequence = api, report, user, 10

    def body(self, type_: str, **data: Any) -> dict[str, Any]:
        self.sequence += 1
        return webhook_event(self.report, type_, self.sequence, **data)

    async def send(self, body: dict[str, Any], webhook_id: str | None = None) -> None:
        assert (await self.api.webhook(body, webhook_id=webhook_id)).status_code == 200

    async def start_generating(self) -> None:
        await self.send(self.body("workflow.step_started", step_id=GENERATE_MISSION_PLAN))

    def delta(self, text: str, end: int, percentage: float) -> dict[str, Any]:
        """The webhook of the delta `text[:end]` ends: the text since `end - len`."""
        return self.body(
            "workflow.progress",
            step_id=GENERATE_MISSION_PLAN,
            progress=percentage,
            delta=text,
            draft_length=end,
        )

    async def state(self) -> dict[str, Any]:
        body = await self.api.graphql(REPORT, {"id": self.report["id"]}, user=self.user)
        return dict(body["data"]["missionReport"])

    async def complete(self, plan: str) -> None:
        self.sequence += 1
        body = completed_event(self.report, self.sequence)
        body["data"]["output"]["mission_plan"] = plan
        await self.send(body)


async def submitted(api: ApiHarness) -> Job:
    user = f"user-{uuid.uuid4().hex[:10]}"
    body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
    return Job(api, body["data"]["submitMissionPlan"]["report"], user)


def pieces(text: str, *cuts: int) -> list[tuple[str, int]]:
    bounds = [0, *cuts, len(text)]
    return [(text[start:end], end) for start, end in itertools.pairwise(bounds)]


def rebuilt(events: list[dict[str, Any]]) -> str:
    """What a client makes of the stream: each delta at draftLength minus its length."""
    draft = ""
    for event in events:
        if event["__typename"] == "MissionProgressEvent":
            draft = place_delta(draft, event["draftDelta"], event["draftLength"])
    return draft


async def collect(stream: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [data["missionEvents"] async for data in stream]


async def test_the_draft_grows_with_each_delta_in_order(api: ApiHarness) -> None:
    job = await submitted(api)
    assert (await job.state())["draft"] == ""  # generating, no text yet
    await job.start_generating()
    for index, (text, end) in enumerate(pieces(RAW_PLAN, 50, 180)):
        await job.send(job.delta(text, end, 30.0 + index * 10))
        state = await job.state()
        assert state["draft"] == RAW_PLAN[:end]
        assert state["progress"] == {"stepId": GENERATE_MISSION_PLAN, "percentage": 30 + index * 10}


async def test_duplicates_late_deltas_and_gaps_never_corrupt_the_draft(api: ApiHarness) -> None:
    job = await submitted(api)
    await job.start_generating()
    (a, a_end), (b, b_end), (c, c_end), (d, d_end) = pieces(RAW_PLAN, 40, 90, 200)
    first, second = job.delta(a, a_end, 30), job.delta(b, b_end, 35)
    third, fourth = job.delta(c, c_end, 40), job.delta(d, d_end, 45)

    await job.send(first, webhook_id="delta-1")
    await job.send(first, webhook_id="delta-1")  # the same delivery twice
    await job.send(first, webhook_id="delta-1-again")  # the same event, another delivery
    assert (await job.state())["draft"] == RAW_PLAN[:a_end]

    await job.send(third)  # a gap: the second has not come
    state = await job.state()
    assert state["draft"] == RAW_PLAN[:a_end]
    assert state["progress"]["percentage"] == 40  # the progress it reports still shows

    await job.send(second)  # late, older sequence, but it continues the text exactly
    assert (await job.state())["draft"] == RAW_PLAN[:b_end]
    await job.send(fourth)  # after the hole the third left: still ignored
    assert (await job.state())["draft"] == RAW_PLAN[:b_end]

    # The completed plan replaces whatever the draft holds.
    await job.complete(RAW_PLAN)
    state = await job.state()
    assert state["status"] == "COMPLETED" and state["draft"] is None
    assert state["plan"]["content"] == safe_markdown(RAW_PLAN)


async def test_a_subscriber_joining_mid_way_gets_the_draft_so_far_then_the_deltas(
    api: ApiHarness,
) -> None:
    job = await submitted(api)
    channel = user_channel(job.user)
    async with api.state.bus.subscribe(channel) as bus:
        await job.start_generating()
        parts = pieces(RAW_PLAN, 60, 130, 260, 400)
        for text, end in parts[:3]:
            await job.send(job.delta(text, end, 40))

        stream = api.subscribe(EVENTS, {"id": job.report["id"]}, user=job.user)
        snapshot = (await anext(stream))["missionEvents"]
        assert snapshot["__typename"] == "MissionProgressEvent"
        assert (snapshot["draftDelta"], snapshot["draftLength"]) == (RAW_PLAN[:260], 260)

        rest = asyncio.ensure_future(collect(stream))
        for text, end in parts[3:]:
            await job.send(job.delta(text, end, 60))
        await job.send(job.body("workflow.progress", step_id=GENERATE_MISSION_PLAN))
        await job.complete(RAW_PLAN)
        live = await asyncio.wait_for(rest, 10)

        messages = []
        while (message := await bus.get(timeout=0.2)) is not None:
            messages.append(message)

    deltas = [e["draftDelta"] for e in live if e["__typename"] == "MissionProgressEvent"]
    assert deltas == [RAW_PLAN[260:400], RAW_PLAN[400:], None]
    assert live[-2]["__typename"] == "MissionCompletedEvent"
    text = rebuilt([snapshot, *live])
    assert text == RAW_PLAN
    # The plan's content is the same text, made safe (no raw HTML) when it was stored.
    content = (await job.state())["plan"]["content"]
    assert content == safe_markdown(text) != text

    # A replay of the whole log rebuilds the same text from the logged deltas.
    replay = await collect(
        api.subscribe(EVENTS, {"id": job.report["id"], "after": 0}, user=job.user)
    )
    assert rebuilt(replay) == RAW_PLAN
    assert [e["draftDelta"] for e in replay if e.get("draftDelta")] == [t for t, _ in parts]

    # Every event went over the bus whole, each message under NOTIFY's limit.
    assert messages and all(isinstance(m, str) for m in messages)
    for message in messages:
        assert len(wire_envelope(channel, str(message)).encode()) < MAX_WIRE_BYTES
        assert "oversized" not in json.loads(str(message))


async def test_a_delta_too_large_for_one_bus_message_is_logged_in_pieces(api: ApiHarness) -> None:
    job = await submitted(api)
    long_text = ('He said "leave now" 🚨\n' * 1200)[:25_000]
    channel = user_channel(job.user)
    async with api.state.bus.subscribe(channel) as bus:
        await job.start_generating()
        await job.send(job.delta(long_text, len(long_text), 50))
        messages = []
        while (message := await bus.get(timeout=0.2)) is not None:
            messages.append(str(message))

    assert (await job.state())["draft"] == long_text
    await job.complete(PLAN)
    assert len(messages) > 5
    for message in messages:
        assert len(wire_envelope(channel, message).encode()) < MAX_WIRE_BYTES
        assert "oversized" not in json.loads(message)
    replay = await collect(
        api.subscribe(EVENTS, {"id": job.report["id"], "after": 0}, user=job.user)
    )
    assert rebuilt(replay) == long_text


async def test_the_offline_planner_streams_a_real_plan_to_a_late_subscriber(
    database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(
        database_url, tmp_path, OFFLINE_STEP_DELAY_MS=0, OFFLINE_CHUNK_DELAY_MS=30
    )
    async with running_api(settings) as api:
        job = await submitted(api)

        async def some_text() -> bool:
            return bool((await job.state())["draft"])

        await wait_until(some_text, timeout=20, interval=0.02)
        events = await asyncio.wait_for(
            collect(api.subscribe(EVENTS, {"id": job.report["id"]}, user=job.user)), 30
        )
        replay = await collect(
            api.subscribe(EVENTS, {"id": job.report["id"], "after": 0}, user=job.user)
        )
        content = (await job.state())["plan"]["content"]

    assert events[0]["draftLength"] > 0 and events[0]["draftDelta"]
    assert any(e.get("draftDelta") for e in events[1:]), "no delta after the snapshot"
    assert rebuilt(events) == rebuilt(replay) == content
    percentages = [e["progress"]["percentage"] for e in replay if "progress" in e]
    assert percentages == sorted(percentages)
