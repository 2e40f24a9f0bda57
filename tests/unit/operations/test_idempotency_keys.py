"""Idempotency keys of `submit_mission_plan`: length, replay, per user, freed on failure, and a key still in flight."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.errors import (
    IdempotencyKeyConflict,
    IdempotencyKeyInFlight,
    InvalidInput,
    LLMServiceUnavailable,
)
from domain.operations import (
    IN_FLIGHT_RETRY_AFTER_SECONDS,
    cancel_mission_plan,
    submit_mission_plan,
)
from domain.report import MissionReport, MissionStatus
from domain.wizard import Location
from tests.support.waiting import wait_until
from tests.unit.fakes import T0, Fakes, generating_report, valid_input
from tests.unit.operations.steps import OTHER_USER, USER, fail, stored, submit


@pytest.mark.parametrize("key", ["", "k" * 256])
async def test_idempotency_key_of_bad_length_is_invalid_input(fakes: Fakes, key: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await submit(fakes, key=key)

    assert [error.field for error in raised.value.errors] == ["idempotencyKey"]
    assert fakes.store.reports == {}
    assert fakes.llm.submitted == []


async def test_idempotency_key_of_maximum_length_is_accepted(fakes: Fakes) -> None:
    report = await submit(fakes, key="k" * 255)

    assert report.idempotency_key == "k" * 255


async def test_bad_input_and_bad_key_are_reported_together(fakes: Fakes) -> None:
    with pytest.raises(InvalidInput) as raised:
        await submit_mission_plan(fakes.deps, USER, valid_input(duration_days=1), "")

    fields = [error.field for error in raised.value.errors]
    assert "durationDays" in fields
    assert "idempotencyKey" in fields


async def test_same_idempotency_key_returns_the_same_report_and_submits_once(
    fakes: Fakes,
) -> None:
    first = await submit(fakes, key="request-1")
    fakes.clock.advance(seconds=5)
    second = await submit(fakes, key="request-1")

    assert second == first
    assert len(fakes.store.reports) == 1
    assert len(fakes.llm.submitted) == 1
    assert len(fakes.publisher.published) == 1


async def test_idempotency_keys_are_per_user(fakes: Fakes) -> None:
    mine = await submit(fakes, USER, key="request-1")
    theirs = await submit(fakes, OTHER_USER, key="request-1")

    assert theirs.id != mine.id
    assert theirs.user_id == OTHER_USER
    assert len(fakes.llm.submitted) == 2


async def test_replaying_a_key_at_the_active_limit_returns_the_report(fakes: Fakes) -> None:
    first = await submit(fakes, key="request-1")
    await submit(fakes)
    await submit(fakes)

    assert await submit(fakes, key="request-1") == first


async def test_idempotency_key_is_freed_when_the_report_fails(fakes: Fakes) -> None:
    first = await submit(fakes, key="request-1")
    await fail(fakes, first)

    second = await submit(fakes, key="request-1")

    assert second.id != first.id
    assert second.status is MissionStatus.GENERATING
    assert second.job_id == "job-2"
    assert stored(fakes, first.id).status is MissionStatus.FAILED
    assert stored(fakes, first.id).idempotency_key is None


async def test_idempotency_key_is_freed_when_the_report_is_cancelled(fakes: Fakes) -> None:
    first = await submit(fakes, key="request-1")
    await cancel_mission_plan(fakes.deps, USER, first.id)

    second = await submit(fakes, key="request-1")

    assert second.id != first.id
    assert list(fakes.store.reports) == [second.id]


async def test_a_concurrent_winner_of_the_same_key_is_returned(fakes: Fakes) -> None:
    winner = generating_report(id="winner", user_id=USER, idempotency_key="request-1")

    def concurrent_request_commits_first(_: MissionReport) -> None:
        fakes.store.reports[winner.id] = winner

    fakes.store.before_add = concurrent_request_commits_first

    assert await submit(fakes, key="request-1") == winner
    assert list(fakes.store.reports) == [winner.id]
    assert fakes.store.events == []
    assert fakes.llm.submitted == []


# --- the same key while the first request is still submitting --------------------


async def test_a_second_submit_with_the_key_waits_until_the_first_has_its_job(
    fakes: Fakes,
) -> None:
    second: list[asyncio.Task[MissionReport]] = []

    async def second_request_meanwhile() -> None:
        fakes.llm.during_submit = None
        second.append(asyncio.create_task(submit(fakes, key="same-key")))
        await wait_until(lambda: fakes.sleep.slept, interval=0, what="the second to wait")
        assert not second[0].done(), "answered before the first request's job existed"

    fakes.llm.during_submit = second_request_meanwhile
    first = await submit(fakes, key="same-key")
    answer = await second[0]
    assert answer.id == first.id
    assert answer.job_id == first.job_id == "job-1"
    assert len(fakes.llm.submitted) == 1


async def test_when_the_first_submit_fails_the_waiting_one_tries_itself(fakes: Fakes) -> None:
    waiting: list[asyncio.Task[MissionReport]] = []

    async def second_request_then_fail() -> None:
        fakes.llm.during_submit = None
        waiting.append(asyncio.create_task(submit(fakes, key="same-key")))
        await wait_until(lambda: fakes.sleep.slept, interval=0, what="the second to wait")
        raise LLMServiceUnavailable("connection refused")

    fakes.llm.during_submit = second_request_then_fail
    with pytest.raises(LLMServiceUnavailable):
        await submit(fakes, key="same-key")
    second = await waiting[0]
    assert second.job_id == "job-1"
    assert list(fakes.store.reports) == [second.id]


async def test_a_second_submit_gives_up_when_the_first_never_gets_its_job(fakes: Fakes) -> None:
    first_started = asyncio.Event()

    async def hang_mid_submit() -> None:
        first_started.set()
        await asyncio.Event().wait()

    fakes.llm.during_submit = hang_mid_submit
    first = asyncio.create_task(submit(fakes, key="same-key"))
    await first_started.wait()
    fakes.llm.during_submit = None

    with pytest.raises(IdempotencyKeyInFlight) as raised:
        await submit(fakes, key="same-key")

    # Not "the generator is down": the key is busy, and the answer says when to ask again.
    assert not isinstance(raised.value, LLMServiceUnavailable)
    assert raised.value.retry_after_seconds == IN_FLIGHT_RETRY_AFTER_SECONDS
    assert "still starting" in raised.value.message
    # It waited the whole submit_wait_seconds, on the fake clock: no wall time passed.
    assert fakes.clock.now() - T0 == timedelta(seconds=fakes.deps.submit_wait_seconds)
    assert len(fakes.llm.submitted) == 0
    first.cancel()


async def test_a_submit_that_keeps_losing_its_key_to_failing_rivals_is_told_to_retry(
    fakes: Fakes,
) -> None:
    """Each round another request takes the key first, then fails to start its job."""
    rivals: list[str] = []

    def a_rival_takes_the_key_then_lets_it_go(_: MissionReport) -> None:
        rival = generating_report(
            id=f"rival-{len(rivals)}", job_id=None, idempotency_key="same-key"
        )
        rivals.append(rival.id)
        fakes.store.reports[rival.id] = rival
        # Discarded by the time the waiting request polls again (FakeSleep yields once).
        asyncio.get_running_loop().call_soon(fakes.store.reports.pop, rival.id)

    fakes.store.before_add = a_rival_takes_the_key_then_lets_it_go

    with pytest.raises(IdempotencyKeyInFlight) as raised:
        await submit(fakes, key="same-key")

    assert len(rivals) == 3
    assert raised.value.retry_after_seconds == IN_FLIGHT_RETRY_AFTER_SECONDS
    await asyncio.sleep(0)  # the last rival lets its key go too
    assert fakes.store.reports == {}
    assert fakes.llm.submitted == []


async def test_reusing_a_key_with_a_different_input_is_a_conflict(fakes: Fakes) -> None:
    first = await submit(fakes, key="k")
    with pytest.raises(IdempotencyKeyConflict):
        await submit_mission_plan(fakes.deps, USER, valid_input(duration_days=30), "k")
    assert list(fakes.store.reports) == [first.id]
    assert len(fakes.llm.submitted) == 1
    # The same input with padding normalises to the same plan: not a conflict.
    padded = valid_input(location=Location(city="  Miami ", state="FL", postal_code="33101"))
    again = await submit_mission_plan(fakes.deps, USER, padded, "k")
    assert again.id == first.id
