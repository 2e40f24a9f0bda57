"""`wait_until`: sync and async predicates, the value it hands back, a clear failure."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.waiting import wait_until


async def test_returns_the_first_truthy_value_of_a_sync_predicate() -> None:
    polls: list[int] = []

    def third_time_lucky() -> str | None:
        polls.append(1)
        return "ready" if len(polls) == 3 else None

    assert await wait_until(third_time_lucky, interval=0) == "ready"
    assert len(polls) == 3


async def test_awaits_an_async_predicate() -> None:
    done = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, done.set)

    async def is_done() -> bool:
        return done.is_set()

    assert await wait_until(is_done, timeout=5) is True


async def test_a_timeout_names_what_was_awaited_and_the_last_value() -> None:
    reconnects = 0

    with pytest.raises(AssertionError) as failure:
        await wait_until(lambda: reconnects >= 1, timeout=0.05)

    assert str(failure.value) == "waited 0.05 s for lambda: reconnects >= 1; last value was False"


async def test_a_timeout_names_a_function_predicate_or_the_given_description() -> None:
    async def report_completed() -> None:
        return None

    with pytest.raises(AssertionError, match=r"for test_a_timeout_.*report_completed; last"):
        await wait_until(report_completed, timeout=0.01)
    with pytest.raises(AssertionError, match="for the job to finish; last value was 0"):
        await wait_until(lambda: 0, timeout=0.01, what="the job to finish")
