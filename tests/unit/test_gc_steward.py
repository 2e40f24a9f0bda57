"""The collector steward: long-lived objects frozen, frozen cycles collected in the end."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterator

import pytest

from infra.gc_steward import GC_PAUSE, CollectorSteward, measure_pauses


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    yield
    gc.unfreeze()  # later tests see the collector as they would without us


def _cycle() -> Node:
    first, second = Node(), Node()
    first.other, second.other = second, first
    return first


def test_a_tick_moves_what_has_lived_out_of_the_collectors_view() -> None:
    steward = CollectorSteward(30, 900)
    kept = [Node() for _ in range(1_000)]
    before = gc.get_freeze_count()
    steward.tick(time.monotonic())
    assert gc.get_freeze_count() >= before + len(kept)
    assert steward.full_collections == 0


def test_frozen_objects_are_still_freed_when_their_last_reference_goes() -> None:
    steward = CollectorSteward(30, 900)
    node = Node()
    alive = weakref.ref(node)
    steward.tick(time.monotonic())
    del node
    assert alive() is None


def test_a_frozen_cycle_waits_for_the_full_collection_then_goes() -> None:
    steward = CollectorSteward(30, 900)
    node = _cycle()
    cycle = weakref.ref(node)
    steward.tick(time.monotonic())  # frozen while still in use
    del node  # now garbage, which only a collection can find (a cycle)
    gc.collect()
    assert cycle() is not None, "a full collection of CPython's own skips frozen objects"
    steward.tick(time.monotonic() + 900)
    assert cycle() is None
    assert steward.full_collections == 1


def test_frozen_objects_growing_past_the_live_ones_bring_the_full_collection_sooner() -> None:
    steward = CollectorSteward(30, 900, growth=1.0, floor=10_000)
    node = _cycle()
    cycle = weakref.ref(node)
    steward.tick(time.monotonic())
    del node
    assert steward.full_collections == 0
    kept = [Node() for _ in range(20_000)]
    steward.tick(time.monotonic())  # 20,000 more than the live ones at the start
    assert steward.full_collections == 1
    assert cycle() is None
    assert len(kept) == 20_000


def _pauses(generation: str) -> float:
    for metric in GC_PAUSE.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count") and sample.labels == {"generation": generation}:
                return sample.value
    return 0.0


def test_each_collection_is_measured_once_however_many_apps_start() -> None:
    measure_pauses()
    measure_pauses()
    before = _pauses("0")
    gc.collect(0)
    assert _pauses("0") == before + 1
