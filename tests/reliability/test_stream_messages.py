"""A bus message that does not decode, or an event too large for the bus: read from the log.

The idle poll is set far beyond the waits here, so what arrives came by the path under test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from domain.event_log import MissionEvent, ProgressPayload
from domain.report import Progress
from graph.streams import report_events, user_events
from infra.auth import Viewer
from infra.bus import Subscription
from infra.bus_wire import MAX_WIRE_BYTES, wire_envelope
from infra.publisher import OversizedEvent, read_bus_message, user_channel
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.reliability.test_streams import Report, new_report

LONG_NAME = "Drafting: " + "the family's plan, line by line. " * 600  # about 20 KB


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    settings = settings_for(
        database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000, SUBSCRIPTION_POLL_SECONDS=600
    )
    async with running_api(settings) as harness:
        yield harness


async def reading_the_bus(
    api: ApiHarness, report: Report, which: str, subscription: Subscription
) -> AsyncIterator[MissionEvent]:
    """The stream, past sequence 2: from here on it waits on the bus, not on a first read."""
    viewer = Viewer(report.user, is_admin=False, expires_at=None)
    if which == "missionEvents":
        events = report_events(api.state, viewer, report.id, 1, subscription)
    else:
        events = user_events(api.state, viewer, subscription)
    await report.step("join_bundles")  # sequence 2, on the bus whole
    assert (await next_from(events, 1)).sequence == 2
    return events


async def next_from(events: AsyncIterator[MissionEvent], after: int) -> MissionEvent:
    """The first event after sequence `after` (myMissionEvents may replay older ones)."""
    while True:
        event = await asyncio.wait_for(anext(events), 5)
        if event.sequence > after:
            return event


@pytest.mark.parametrize("which", ["missionEvents", "myMissionEvents"])
async def test_a_malformed_bus_message_is_taken_for_a_lost_one(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    report = await new_report(api)
    bus, channel = api.state.bus, user_channel(report.user)
    original = api.state.deps.publisher.publish

    async def garbling(events: Sequence[MissionEvent]) -> None:
        for event in events:
            if event.sequence == 3:  # committed; on the bus only as text that is not an event
                await bus.publish(channel, '{"report_id": "' + event.report_id + '", "seq')
            else:
                await original([event])

    monkeypatch.setattr(api.state.deps.publisher, "publish", garbling)
    async with bus.subscribe(channel) as subscription:
        events = await reading_the_bus(api, report, which, subscription)
        await report.step("build_scenario_list")  # sequence 3
        third = await next_from(events, 2)
        await report.step("generate_mission_plan")  # sequence 4, on the bus whole
        fourth = await next_from(events, 3)

    assert (third.sequence, fourth.sequence) == (3, 4)
    assert isinstance(third.payload, ProgressPayload)
    assert third.payload.progress.step_id == "build_scenario_list"


@pytest.mark.parametrize("which", ["missionEvents", "myMissionEvents"])
async def test_an_event_too_large_for_the_bus_reaches_subscribers_whole(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    report = await new_report(api)
    bus = api.state.bus
    sent: list[str] = []
    original = bus.publish_many

    async def recording(messages: list[tuple[str, str]]) -> None:
        for channel, message in messages:
            if channel == user_channel(report.user):
                sent.append(message)
            assert len(wire_envelope(channel, message).encode()) <= MAX_WIRE_BYTES
        await original(messages)

    monkeypatch.setattr(bus, "publish_many", recording)
    async with bus.subscribe(user_channel(report.user)) as subscription:
        events = await reading_the_bus(api, report, which, subscription)
        big = await append_progress(api, report, LONG_NAME)
        await api.state.deps.publisher.publish([big])
        received = await next_from(events, 2)

    assert received == big
    assert read_bus_message(sent[-1]) == OversizedEvent(report.id, big.sequence)


async def append_progress(api: ApiHarness, report: Report, step_name: str) -> MissionEvent:
    """Commits a progress event as the webhook path would, with a step name of any length."""
    async with api.state.deps.uow() as uow:
        current = await uow.reports.get(report.id, for_update=True)
        assert current is not None
        current, sequence = current.next_sequence()
        progress = Progress("generate_mission_plan", step_name, 4, 6, 20.0)
        event = MissionEvent(
            report.id,
            report.user,
            sequence,
            api.state.deps.clock.now(),
            ProgressPayload(progress, 1),
        )
        await uow.reports.save(current)
        await uow.events.append(event)
        await uow.commit()
    return event
