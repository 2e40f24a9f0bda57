"""Publishes committed events to the bus, on the channel of their user."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence

from domain.event_log import MissionEvent
from infra.bus import EventBus

log = logging.getLogger(__name__)


def user_channel(user_id: str) -> str:
    # Hashed: user ids may hold characters a LISTEN channel or a log line should not.
    return "u." + hashlib.sha256(user_id.encode()).hexdigest()[:24]


class BusEventPublisher:
    def __init__(self, bus: EventBus) -> None:
        self._bus = bus

    async def publish(self, events: Sequence[MissionEvent]) -> None:
        for event in events:
            try:
                await self._bus.publish(user_channel(event.user_id), json.dumps(event.to_dict()))
            except Exception:
                # The event is committed; subscribers recover it from the log.
                log.exception("publishing event %s/%s failed", event.report_id, event.sequence)


class NoBusPublisher:
    """For a one-shot CLI command, which connects no bus: events stay in the log only.

    Safe because the log is the truth: a subscriber finds them on its next read.
    """

    async def publish(self, events: Sequence[MissionEvent]) -> None:
        if events:
            log.info("not broadcasting %d events: this process has no bus", len(events))
