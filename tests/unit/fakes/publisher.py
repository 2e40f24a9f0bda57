"""The event publisher: records what it published and whether it was committed first."""

from __future__ import annotations

from collections.abc import Sequence

from domain.event_log import MissionEvent
from tests.unit.fakes.store import FakeStore


class FakePublisher:
    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store
        self.published: list[MissionEvent] = []
        # For each published event: was it already committed to the log?
        self.committed_when_published: list[bool] = []

    async def publish(self, events: Sequence[MissionEvent]) -> None:
        for event in events:
            self.published.append(event)
            if self.store is not None:
                self.committed_when_published.append(self.store.has_event(event))
