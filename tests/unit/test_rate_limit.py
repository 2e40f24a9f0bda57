"""Issue 6, point 7: the per-user submission rate limit (submit-and-cancel loops started
213 plans in 10 s). Cancelled plans count; retries count; an idempotent replay does not."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import SubmissionRateLimited
from domain.operations import cancel_mission_plan, retry_mission_plan, submit_mission_plan
from domain.rate_limit import SubmissionRateLimit
from domain.report import ReportError
from tests.unit.builders import T0
from tests.unit.fakes import Fakes, make_fakes, valid_input
from tests.unit.operations.steps import fail

USER = "user-1"
LIMIT = SubmissionRateLimit(max_attempts=3, window=timedelta(seconds=60))


@pytest.fixture
def fakes() -> Fakes:
    return make_fakes(submission_rate_limit=LIMIT, max_active_jobs=100)


async def test_a_submit_and_cancel_loop_is_stopped_with_retry_after(fakes: Fakes) -> None:
    for _ in range(3):
        report = await submit_mission_plan(fakes.deps, USER, valid_input())
        await cancel_mission_plan(fakes.deps, USER, report.id)
        fakes.clock.advance(seconds=5)

    with pytest.raises(SubmissionRateLimited) as limited:
        await submit_mission_plan(fakes.deps, USER, valid_input())

    # The first of the three leaves the window 60 s after it was made, 15 s from now.
    assert limited.value.retry_after_seconds == 45
    assert (limited.value.limit, limited.value.window_seconds) == (3, 60)
    assert len(fakes.llm.submitted) == 3
    assert fakes.store.reports == {}

    fakes.clock.advance(seconds=45)
    await submit_mission_plan(fakes.deps, USER, valid_input())
    assert len(fakes.llm.submitted) == 4


async def test_the_limit_is_per_user(fakes: Fakes) -> None:
    for _ in range(3):
        await submit_mission_plan(fakes.deps, USER, valid_input())
    await submit_mission_plan(fakes.deps, "user-2", valid_input())
    with pytest.raises(SubmissionRateLimited):
        await submit_mission_plan(fakes.deps, USER, valid_input())


async def test_retries_count_and_are_refused_too(fakes: Fakes) -> None:
    report = await submit_mission_plan(fakes.deps, USER, valid_input())
    await fail(fakes, report, ReportError("provider_timeout", "The model timed out.", True))
    for _ in range(2):
        await submit_mission_plan(fakes.deps, USER, valid_input())
    before = fakes.store.reports[report.id]

    with pytest.raises(SubmissionRateLimited):
        await retry_mission_plan(fakes.deps, USER, report.id)

    assert fakes.store.reports[report.id] == before


async def test_an_idempotent_replay_is_not_a_new_attempt(fakes: Fakes) -> None:
    for _ in range(3):
        await submit_mission_plan(fakes.deps, USER, valid_input(), "same-key")
    assert len(fakes.store.submissions) == 1


async def test_old_attempts_are_pruned(fakes: Fakes) -> None:
    for _ in range(10):
        await submit_mission_plan(fakes.deps, USER, valid_input())
        fakes.clock.advance(seconds=61)
    assert len(fakes.store.submissions) == 1


async def test_zero_turns_the_limit_off() -> None:
    fakes = make_fakes(submission_rate_limit=SubmissionRateLimit(0), max_active_jobs=100)
    for _ in range(30):
        await submit_mission_plan(fakes.deps, USER, valid_input())
    assert fakes.store.submissions == []


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 5),
    st.integers(1, 120),
    st.lists(st.integers(0, 30_000), min_size=1, max_size=60),
)
def test_no_window_ever_holds_more_than_the_limit(
    limit: int, window_seconds: int, offsets_ms: list[int]
) -> None:
    """Accept whatever the limit lets through; then check every window of accepted times."""
    rule = SubmissionRateLimit(limit, timedelta(seconds=window_seconds))
    accepted: list[datetime] = []
    for offset in sorted(offsets_ms):
        now = T0 + timedelta(milliseconds=offset)
        recent = [t for t in accepted if t > rule.window_start(now)]
        wait = rule.retry_after_seconds(now, recent)
        if wait is None:
            accepted.append(now)
        else:
            assert 1 <= wait <= window_seconds
            # Waiting that long is always enough.
            later = now + timedelta(seconds=wait)
            assert (
                rule.retry_after_seconds(
                    later, [t for t in accepted if t > rule.window_start(later)]
                )
                is None
            )
    for start in accepted:
        inside = [t for t in accepted if start <= t < start + rule.window]
        assert len(inside) <= limit
