"""The retry rules: jittered exponential backoff, the window, the rejected 4xx, 3xx."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from llm_service.delivery_policy import (
    AttemptResult,
    DeliveryPolicy,
    response_result,
    settle,
)
from llm_service.outbox import DEAD, DELIVERED, PENDING, Settlement
from llm_service.settings import LLMServiceSettings

CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def test_defaults_retry_for_a_day_from_200ms_up_to_10_minutes() -> None:
    policy = DeliveryPolicy()
    assert (policy.retry_base_seconds, policy.retry_max_seconds) == (0.2, 600.0)
    assert policy.retry_window_seconds == 24 * 3600
    settings = LLMServiceSettings(api_secret="s", webhook_secret="w")
    assert settings.webhook_retry_window_seconds == 24 * 3600
    assert settings.webhook_retry_max_seconds == 600.0


def test_backoff_with_jitter_stays_between_half_and_all_of_a_doubling_delay() -> None:
    rng = random.Random(7)
    policy = DeliveryPolicy(retry_base_seconds=0.2, retry_max_seconds=30.0, jitter=rng.random)
    for attempt in range(1, 40):
        nominal = min(0.2 * 2 ** (attempt - 1), 30.0)
        samples = [policy.backoff_seconds(attempt) for _ in range(200)]
        assert all(nominal / 2 <= s <= nominal for s in samples), attempt
        # The jitter really spreads retries: not every delivery waits the same.
        assert max(samples) - min(samples) > nominal / 4, attempt


def test_backoff_bounds_double_each_attempt_until_the_max() -> None:
    lowest = DeliveryPolicy(retry_base_seconds=0.2, retry_max_seconds=30.0, jitter=lambda: 0.0)
    highest = DeliveryPolicy(retry_base_seconds=0.2, retry_max_seconds=30.0, jitter=lambda: 1.0)
    assert [lowest.backoff_seconds(n) for n in (1, 2, 3, 4)] == pytest.approx([0.1, 0.2, 0.4, 0.8])
    assert [highest.backoff_seconds(n) for n in (1, 2, 3, 4)] == pytest.approx([0.2, 0.4, 0.8, 1.6])
    # The floor of one attempt is the ceiling of the one before: the schedule keeps growing.
    for n in range(1, 8):
        assert lowest.backoff_seconds(n + 1) == pytest.approx(highest.backoff_seconds(n))
    assert highest.backoff_seconds(9) == 30.0
    assert lowest.backoff_seconds(10_000) == 15.0
    assert highest.backoff_seconds(10_000) == 30.0


def _settle(
    result: AttemptResult, *, attempt: int = 1, after: float = 1.0, window: float = 3600.0
) -> Settlement:
    policy = DeliveryPolicy(retry_window_seconds=window, jitter=lambda: 1.0)
    now = CREATED + timedelta(seconds=after)
    return settle(
        policy,
        delivery_id="msg_1",
        created_at=CREATED,
        attempt=attempt,
        started_at=now,
        duration_ms=12,
        result=result,
        now=now,
    )


def test_a_2xx_delivers_with_no_next_attempt() -> None:
    settlement = _settle(response_result(204))
    assert settlement.outcome == DELIVERED
    record = settlement.record
    assert (record.status, record.status_code, record.duration_ms) == ("delivered", 204, 12)
    assert record.next_attempt_at is None and record.error_class is None


@pytest.mark.parametrize(
    ("status_code", "error_class"),
    [(500, "server_error"), (503, "server_error"), (302, "redirect"), (429, "client_error")],
)
def test_a_failed_response_is_retried_after_the_backoff(status_code: int, error_class: str) -> None:
    settlement = _settle(response_result(status_code), attempt=3)
    assert settlement.outcome == PENDING
    assert settlement.record.status == "failed"
    assert settlement.record.error_class == error_class
    assert settlement.retry_at == CREATED + timedelta(seconds=1.0 + 0.8)
    assert settlement.error == f"HTTP {status_code}"


def test_a_rejecting_4xx_is_dead_after_five_attempts_but_429_goes_on() -> None:
    assert _settle(response_result(400), attempt=4).outcome == PENDING
    dead = _settle(response_result(400), attempt=5)
    assert (dead.outcome, dead.error, dead.retry_at) == (DEAD, "HTTP 400", None)
    assert _settle(response_result(429), attempt=50).outcome == PENDING
    assert _settle(response_result(408), attempt=50).outcome == PENDING


def test_a_retry_that_would_start_after_the_window_makes_the_delivery_dead() -> None:
    timeout = AttemptResult("timeout", error_class="ReadTimeout")
    # 0.2 s backoff, 9.9 s after creation, 10 s window: the retry still fits.
    assert _settle(timeout, after=9.7, window=10.0).outcome == PENDING
    dead = _settle(timeout, after=9.9, window=10.0)
    assert dead.outcome == DEAD and dead.retry_at is None
    assert dead.error == "retry window expired; last: ReadTimeout"
    assert (dead.record.status, dead.record.status_code) == ("timeout", None)


def test_a_delivery_found_past_its_window_gets_one_try_then_dies() -> None:
    # E.g. the service was down for longer than the window: the event is tried once.
    late = _settle(response_result(204), after=2 * 24 * 3600.0, window=24 * 3600.0)
    assert late.outcome == DELIVERED
    failed = _settle(response_result(500), after=2 * 24 * 3600.0, window=24 * 3600.0)
    assert failed.outcome == DEAD
