"""Values shared within one event-loop iteration, gone by the next."""

from __future__ import annotations

import asyncio

from graph.per_tick import PerTick


async def test_a_value_lives_until_the_next_loop_iteration() -> None:
    shared: PerTick[str, int] = PerTick()
    shared.put("a", 1)
    assert shared.get("a") == 1
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert shared.get("a") is None
    shared.put("b", 2)
    assert shared.get("b") == 2


def test_values_left_by_a_closed_loop_are_not_seen_by_the_next() -> None:
    shared: PerTick[str, int] = PerTick()

    async def put() -> None:
        shared.put("a", 1)

    asyncio.run(put())  # closes before the clearing callback runs

    async def get() -> int | None:
        return shared.get("a")

    assert asyncio.run(get()) is None
