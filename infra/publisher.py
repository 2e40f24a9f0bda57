"""Publishes committed events to the bus, on the channel of their user, and reads them back.

A bus message is the event (`MissionEvent.to_dict`, the one event shape) or, when
that would not fit the bus (`MAX_WIRE_BYTES`, PostgreSQL NOTIFY's limit), only the
event's identity: an `OversizedEvent`. A subscriber reads the event itself from the
log, as it does for an event the bus lost, so nothing is cut and no limit reaches
the event's content (a progress event may carry long draft text).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.event_log import MalformedEvent, MissionEvent
from infra import json_text
from infra.bus import EventBus
from infra.bus_wire import MAX_WIRE_BYTES, wire_envelope

log = logging.getLogger(__name__)


def user_channel(user_id: str) -> str:
    # Hashed: user ids may hold characters a LISTEN channel or a log line should not.
    return "u." + hashlib.sha256(user_id.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class OversizedEvent:
    """A logged event too large for the bus: read it from the log."""

    report_id: str
    sequence: int


def bus_message(event: MissionEvent) -> str:
    """The event as its user's subscribers receive it: in full if it fits the bus."""
    return _bus_message(event)[0]


def _bus_message(event: MissionEvent) -> tuple[str, bool]:
    """The bus message, and whether it is the whole event."""
    full = json.dumps(event.to_dict(), separators=(",", ":"))
    if len(wire_envelope(user_channel(event.user_id), full).encode()) <= MAX_WIRE_BYTES:
        return full, True
    log.info(
        "event %s/%s is too large for the bus: sent as its identity",
        event.report_id,
        event.sequence,
    )
    identity = {"oversized": {"report_id": event.report_id, "sequence": event.sequence}}
    return json.dumps(identity), False


class _RecentlyPublished:
    """The events this process published last, by their bus message.

    Every process listens to every message, its own included: the bus brings each event
    back to this process's subscribers within milliseconds, and decoding its text would
    rebuild the event this process had (`MissionEvent.from_dict(to_dict())` is the
    same event: tests/unit/test_event_payloads.py). Kept for the last `SIZE` only.
    """

    SIZE = 256

    def __init__(self) -> None:
        self._events: dict[str, MissionEvent] = {}

    def remember(self, message: str, event: MissionEvent) -> None:
        events = self._events
        if len(events) >= self.SIZE:
            del events[next(iter(events))]  # the oldest: dicts keep insertion order
        events[message] = event

    def get(self, message: str) -> MissionEvent | None:
        return self._events.get(message)


_recently_published = _RecentlyPublished()


def read_bus_message(message: str) -> MissionEvent | OversizedEvent:
    """Inverse of `bus_message`; raises `MalformedEvent` for any other text."""
    published = _recently_published.get(message)
    if published is not None:
        return published
    try:
        data = json_text.loads(message)
    except ValueError:
        raise MalformedEvent("bus message is not JSON") from None
    if isinstance(data, dict) and "oversized" in data:
        return _oversized(data["oversized"])
    return MissionEvent.from_dict(data)


def _oversized(data: Any) -> OversizedEvent:
    report_id = data.get("report_id") if isinstance(data, dict) else None
    sequence = data.get("sequence") if isinstance(data, dict) else None
    if not isinstance(report_id, str) or type(sequence) is not int:
        raise MalformedEvent("oversized event must name a report_id and a sequence")
    return OversizedEvent(report_id, sequence)


class BusEventPublisher:
    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def publish(self, events: Sequence[MissionEvent]) -> None:
        """All of `events` at once, in order: they leave as few bus messages as fit."""
        if not events:
            return
        try:
            messages = []
            for event in events:
                message, whole = _bus_message(event)
                if whole:
                    _recently_published.remember(message, event)
                messages.append((user_channel(event.user_id), message))
            await self._bus.publish_many(messages)
        except Exception:
            # The events are committed; subscribers recover them from the log.
            first = events[0]
            log.exception(
                "publishing %d events (from %s/%s) failed",
                len(events), first.report_id, first.sequence,
            )  # fmt: skip


class NoBusPublisher:
    """For a one-shot CLI command, which connects no bus: events stay in the log only.

    Safe because the log is the truth: a subscriber finds them on its next read.
    """

    async def publish(self, events: Sequence[MissionEvent]) -> None:
        if events:
            log.info("not broadcasting %d events: this process has no bus", len(events))
