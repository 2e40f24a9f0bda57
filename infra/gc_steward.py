"""Keeps the garbage collector's full collections short while many subscriptions stay open.

A full (generation 2) collection walks every tracked object and stops the event
loop while it does. Open subscriptions are long-lived objects by the hundred
thousand, so with 1,000 of them a full collection took 70-110 ms of CPU, and under
a steady stream of webhooks one came every few seconds: most of the p99 delivery
latency (benchmarks/README.md, "Collector pauses").

So what has lived a while is moved out of the collector's view (`gc.freeze()`) every
`freeze_seconds`: the full collections CPython still triggers walk only what is newer,
which is little. Frozen objects are still freed when their last reference goes; only
reference cycles among them wait, so now and then (every `full_seconds`, or sooner
when the frozen objects grew past `growth` times the live ones the last full
collection found) everything is unfrozen and collected once: one long pause in minutes
instead of one every few seconds, and frozen garbage bounded to a fraction of live memory.

It runs only with GC_FREEZE_SECONDS set: when 10,000 subscriptions opened, its early
collection of everything (some 1.4 million objects) doubled their idle CPU over 35 s
(8.6% of a core against 4.5%), and at 1,000 subscriptions the delivery p99 it gave was
not clearly better than CPython's own (benchmarks/README.md, "Collector pauses").
Every collection's pause is in `mission_planner_gc_pause_seconds` by generation, on
or off.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import Histogram

log = logging.getLogger(__name__)

GC_PAUSE = Histogram(
    "mission_planner_gc_pause_seconds",
    "CPU time of each garbage collection, which the event loop waits for",
    ["generation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)

# Frozen objects allowed beyond `growth` times the live ones before everything is
# collected: enough that a process growing from its startup heap to a few thousand
# subscriptions is not stopped for it (one such collection of ~350,000 objects stopped
# the loop for ~400 ms in `delivery.py --subscriptions 1000`, when the bar was 1.5x and
# 50,000), while frozen garbage stays bounded (here ~200,000 objects, tens of MB).
_FLOOR_OBJECTS = 200_000


class PauseMeter:
    """A `gc.callbacks` entry that hands each collection's pause to `record`
    (generation, seconds); CPU time, so a descheduled process does not count."""

    def __init__(self, record: Callable[[int, float], None]) -> None:
        self._record = record
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            self._record(info["generation"], time.thread_time() - self._started)


def _observe(generation: int, seconds: float) -> None:
    GC_PAUSE.labels(generation=str(generation)).observe(seconds)


_METER = PauseMeter(_observe)


def measure_pauses() -> None:
    """Once per process, however many apps it starts (the tests start many)."""
    if _METER not in gc.callbacks:
        gc.callbacks.append(_METER)


class CollectorSteward:
    """Freezes the long-lived objects now and then, and collects them all rarely."""

    def __init__(
        self,
        freeze_seconds: float,
        full_seconds: float,
        growth: float = 2.0,
        floor: int = _FLOOR_OBJECTS,
    ) -> None:
        self._freeze_seconds = freeze_seconds
        self._full_seconds = full_seconds
        self._growth = growth
        self._floor = floor
        self._live_after_full = gc.get_freeze_count()
        self._last_full = time.monotonic()
        self.full_collections = 0

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._freeze_seconds)
            self.tick(time.monotonic())

    def tick(self, now: float) -> None:
        frozen = gc.get_freeze_count()
        allowed = self._live_after_full * self._growth + self._floor
        if now - self._last_full >= self._full_seconds or frozen > allowed:
            self._collect_everything(now)
            return
        # The young generations first (a few ms): what died young is not frozen.
        gc.collect(1)
        gc.freeze()

    def _collect_everything(self, now: float) -> None:
        started = time.thread_time()
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self._live_after_full = gc.get_freeze_count()
        self._last_full = now
        self.full_collections += 1
        log.info(
            "full garbage collection: %d objects live, %.0f ms",
            self._live_after_full,
            (time.thread_time() - started) * 1000,
        )
