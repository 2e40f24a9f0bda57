"""What the publisher puts on the bus: the event, or its identity when it would not fit."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from broadcaster._backends.memory import MemoryBackend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.event_log import (
    CompletedPayload,
    MalformedEvent,
    MissionEvent,
    NotificationPayload,
    ProgressPayload,
)
from domain.report import Progress
from infra.bus import EventBus
from infra.bus_wire import MAX_WIRE_BYTES
from infra.publisher import (
    BusEventPublisher,
    OversizedEvent,
    bus_message,
    read_bus_message,
    user_channel,
)

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class RecordingBackend(MemoryBackend):
    """The memory backend, keeping every payload that went on the wire."""

    def __init__(self) -> None:
        super().__init__("memory://")
        self.wire: list[str] = []

    async def publish(self, channel: str, message: str) -> None:
        self.wire.append(message)
        await super().publish(channel, message)


def note(body: str, sequence: int = 7) -> MissionEvent:
    payload = NotificationPayload("note-1", "PLAN_READY", "Your plan is ready", body)
    return MissionEvent("report-1", "user-1", sequence, AT, payload)


async def publish_and_receive(event: MissionEvent) -> tuple[list[str], str]:
    backend = RecordingBackend()
    async with EventBus(backend) as bus:
        async with bus.subscribe(user_channel(event.user_id)) as subscription:
            await BusEventPublisher(bus).publish([event])
            received = await subscription.get(timeout=5)
    assert isinstance(received, str)
    return [m for m in backend.wire if "__heartbeat__" not in m], received


async def test_an_event_that_fits_is_sent_whole() -> None:
    event = note("Your mission plan for Miami, FL is ready to read.")
    wire, received = await publish_and_receive(event)
    assert read_bus_message(received) == event
    assert len(wire[0].encode()) <= MAX_WIRE_BYTES


async def test_an_event_this_process_published_comes_back_as_itself() -> None:
    """Not decoded again: the bus brings a process its own events (the text is the same)."""
    event = note("Ready.", sequence=8)
    _, received = await publish_and_receive(event)
    assert read_bus_message(received) is event
    assert read_bus_message(bus_message(note("Ready.", sequence=9))) == note("Ready.", sequence=9)


@pytest.mark.parametrize(
    "body",
    ["x" * 7_000, "é" * 1_000, '"' * 3_000],  # escaping grows the last two on the wire
    ids=["long", "non-ascii", "quotes"],
)
async def test_an_event_too_large_for_the_bus_is_sent_as_its_identity(body: str) -> None:
    event = note(body)

    wire, received = await publish_and_receive(event)

    assert [len(m.encode()) <= MAX_WIRE_BYTES for m in wire] == [True]
    assert read_bus_message(received) == OversizedEvent("report-1", 7)


@pytest.mark.parametrize("body", ["é" * 1_000, '"' * 3_000], ids=["non-ascii", "quotes"])
def test_the_limit_counts_the_wire_envelope_not_only_the_event(body: str) -> None:
    # Under the limit as the event's JSON, over it once wrapped and escaped for the bus.
    assert len(json.dumps(note(body).to_dict(), separators=(",", ":"))) < MAX_WIRE_BYTES
    assert isinstance(read_bus_message(bus_message(note(body))), OversizedEvent)


steps = st.text(max_size=3_000)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(name=steps, body=steps)
def test_no_message_exceeds_the_limit_and_each_reads_back(name: str, body: str) -> None:
    progress = ProgressPayload(Progress("generate_mission_plan", name, 4, 6, 20.0), 1)
    for event in (note(body), MissionEvent("report-1", "user-1", 3, AT, progress)):
        channel = user_channel(event.user_id)
        message = bus_message(event)
        envelope = json.dumps({"c": channel, "m": message}, separators=(",", ":"))
        assert len(envelope.encode()) <= MAX_WIRE_BYTES
        assert read_bus_message(message) in (event, OversizedEvent("report-1", event.sequence))


MALFORMED = {
    "not JSON": "not json",
    "truncated": bus_message(MissionEvent("r", "u", 1, AT, CompletedPayload(1)))[:-3],
    "a list": "[1, 2]",
    "an empty object": "{}",
    "oversized without a sequence": '{"oversized": {"report_id": "r"}}',
    "oversized sequence a string": '{"oversized": {"report_id": "r", "sequence": "2"}}',
    "oversized not an object": '{"oversized": 5}',
    "type unknown": json.dumps(
        {**MissionEvent("r", "u", 1, AT, CompletedPayload(1)).to_dict(), "type": "exploded"}
    ),
}


@pytest.mark.parametrize("message", MALFORMED.values(), ids=MALFORMED)
def test_a_message_that_is_not_ours_raises_malformed_event(message: str) -> None:
    with pytest.raises(MalformedEvent):
        read_bus_message(message)
