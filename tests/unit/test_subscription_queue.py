"""A bus subscription's queue: what a stream reading it sees (infra.bus.Subscription)."""

from __future__ import annotations

import asyncio

import pytest

from infra.bus import RESYNC, SlowSubscriber, Subscription


async def test_a_waiting_reader_gets_what_is_delivered_in_order() -> None:
    subscription = Subscription("u", 10, 3)
    reader = asyncio.create_task(subscription.get(timeout=5))
    await asyncio.sleep(0)  # the reader waits on an empty queue
    subscription.deliver("a")
    subscription.deliver("b")
    assert await reader == "a"
    assert await subscription.get(timeout=5) == "b"
    assert subscription.pending == 0


async def test_a_read_with_nothing_delivered_ends_empty_handed() -> None:
    subscription = Subscription("u", 10, 3)
    assert await subscription.get(timeout=0.01) is None
    subscription.deliver("late")  # a timed-out read leaves nothing behind to steal it
    assert await subscription.get(timeout=5) == "late"


async def test_a_cancelled_read_loses_nothing() -> None:
    subscription = Subscription("u", 10, 3)
    reader = asyncio.create_task(subscription.get())
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    subscription.deliver("after")
    assert await subscription.get(timeout=5) == "after"


async def test_a_full_queue_turns_into_one_resync_then_a_hang_up() -> None:
    subscription = Subscription("u", 2, 1)
    hung_up: list[bool] = []
    subscription.on_closed = lambda: hung_up.append(True)
    for message in ("1", "2", "3"):
        subscription.deliver(message)
    assert subscription.pending == 1
    for message in ("4", "5"):
        subscription.deliver(message)  # fills up again before the reader drained it
    assert hung_up == [True]
    with pytest.raises(SlowSubscriber):
        await subscription.get(timeout=5)


async def test_a_reader_that_catches_up_is_forgiven_earlier_overflows() -> None:
    subscription = Subscription("u", 1, 1)
    subscription.deliver("1")
    subscription.deliver("2")  # overflow 1: RESYNC
    assert await subscription.get(timeout=5) is RESYNC
    subscription.deliver("3")
    subscription.deliver("4")  # overflow again, but the count was reset by catching up
    assert await subscription.get(timeout=5) is RESYNC


async def test_close_wakes_the_reader_with_slow_subscriber() -> None:
    subscription = Subscription("u", 10, 3)
    reader = asyncio.create_task(subscription.get())
    await asyncio.sleep(0)
    subscription.close()
    with pytest.raises(SlowSubscriber):
        await reader
