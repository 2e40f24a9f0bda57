"""The idle re-read of the log, once per process and interval, not once per subscription.

A `missionEvents` stream learns of new events from the bus; the log is re-read
in case the bus lost one without anyone noticing (no gap seen yet, no RESYNC).
That used to be each subscription's own timed wait and read, which at 10,000
idle subscriptions kept a core busy (benchmarks/README.md, fix 6). Here one task
reads the latest sequence of every watched report in one query per chunk, and
wakes (RESYNC) only the subscriptions that are behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass

from infra.bus import RESYNC, Subscription
from infra.db.read_queries import ReadQueries

log = logging.getLogger(__name__)

# Report ids per query: bounded statements whatever the number of subscriptions.
CHUNK = 500


@dataclass(eq=False)
class WatchedStream:
    """One stream's report and the last sequence it passed on."""

    report_id: str
    subscription: Subscription
    last: int


class ReportWatch:
    def __init__(self, queries: ReadQueries, interval_seconds: float) -> None:
        self._queries = queries
        self._interval = interval_seconds
        self._streams: dict[str, set[WatchedStream]] = {}

    @contextlib.contextmanager
    def watching(
        self, report_id: str, subscription: Subscription, last: int
    ) -> Iterator[WatchedStream]:
        stream = WatchedStream(report_id, subscription, last)
        self._streams.setdefault(report_id, set()).add(stream)
        try:
            yield stream
        finally:
            streams = self._streams.get(report_id)
            if streams is not None:
                streams.discard(stream)
                if not streams:
                    del self._streams[report_id]

    @property
    def watched_reports(self) -> int:
        return len(self._streams)

    async def run(self) -> None:
        """Forever: every interval (jittered), wake the streams the log is ahead of."""
        while True:
            await asyncio.sleep(self._interval * random.uniform(0.8, 1.2))
            try:
                await self.wake_streams_behind()
            except Exception:
                # The next round tries again; the bus still delivers meanwhile.
                log.exception("re-reading the latest sequences of watched reports failed")

    async def wake_streams_behind(self) -> int:
        """One read per CHUNK reports; returns how many streams were woken."""
        report_ids = list(self._streams)
        woken = 0
        for start in range(0, len(report_ids), CHUNK):
            latest = await self._queries.latest_sequences(report_ids[start : start + CHUNK])
            for report_id, sequence in latest.items():
                for stream in list(self._streams.get(report_id, ())):
                    if sequence > stream.last:
                        stream.subscription.deliver(RESYNC)
                        woken += 1
        return woken
