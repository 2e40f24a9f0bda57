"""When a webhook is tried again, and when it is given up: the retry rules in one place.

- A 2xx delivers. Anything else is a failed attempt: a 3xx too (redirects are
  never followed: the URL was given at submit and is the only one we post to),
  and so are timeouts and connection errors.
- A failed attempt is retried after an exponential backoff with jitter, for as
  long as the retry still starts within the window counted from the event's
  creation; past it the delivery is dead and never sent again.
- A 4xx other than 408/409/429 means the receiver rejects the event: after a few
  tries (they cover a deploy in progress) it is dead at once.
- A dead delivery no longer heads its job's queue: the events behind it go out.
  The receiver misses that one event; the API's reconciliation (stale reads and
  its sweeper ask for the job's status) brings the report to its final state.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from llm_service.outbox import DEAD, DELIVERED, PENDING, AttemptRecord, Settlement

# Client errors that may pass (timeout, conflict, rate limit) are retried like 5xx.
TRANSIENT_CLIENT_ERRORS = frozenset({408, 409, 429})
MAX_ATTEMPTS_ON_CLIENT_ERROR = 5

# llm_webhook_attempts.error_class holds this much; exception class names can be longer.
ERROR_CLASS_MAX_LENGTH = 64

# Attempt statuses, as stored in llm_webhook_attempts.status.
ATTEMPT_DELIVERED, ATTEMPT_FAILED, ATTEMPT_TIMEOUT, ATTEMPT_ERROR = (
    "delivered",
    "failed",
    "timeout",
    "error",
)
ATTEMPT_STATUSES = (ATTEMPT_DELIVERED, ATTEMPT_FAILED, ATTEMPT_TIMEOUT, ATTEMPT_ERROR)


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout_seconds: float = 10.0
    retry_base_seconds: float = 0.2
    retry_max_seconds: float = 600.0
    retry_window_seconds: float = 86_400.0
    poll_seconds: float = 2.0
    concurrency: int = 16
    batch_size: int = 200
    # Uniform in [0, 1); replaced in tests to pin the jitter at its bounds.
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def nominal_backoff_seconds(self, attempts: int) -> float:
        """The base after the first failed attempt, doubling, capped at the max."""
        exponent = min(max(attempts - 1, 0), 60)  # bounded so the power never overflows
        return min(self.retry_base_seconds * 2.0**exponent, self.retry_max_seconds)

    def backoff_seconds(self, attempts: int) -> float:
        """Equal jitter: between half the nominal delay and all of it.

        Spreads the retries of many deliveries that failed together (the API was
        down) while the lower bound still doubles, so the schedule keeps backing off.
        """
        nominal = self.nominal_backoff_seconds(attempts)
        return nominal * (0.5 + 0.5 * self.jitter())

    def deadline(self, created_at: datetime) -> datetime:
        return created_at + timedelta(seconds=self.retry_window_seconds)


@dataclass(frozen=True)
class AttemptResult:
    """What one POST came to, before the policy decides what follows."""

    status: str  # ATTEMPT_*
    status_code: int | None = None
    error_class: str | None = None


def response_result(status_code: int) -> AttemptResult:
    if 200 <= status_code < 300:
        return AttemptResult(ATTEMPT_DELIVERED, status_code)
    return AttemptResult(ATTEMPT_FAILED, status_code, _response_class(status_code))


def _response_class(status_code: int) -> str:
    if 300 <= status_code < 400:
        return "redirect"
    if 400 <= status_code < 500:
        return "client_error"
    if 500 <= status_code < 600:
        return "server_error"
    return "unexpected_status"


def settle(
    policy: DeliveryPolicy,
    *,
    delivery_id: str,
    created_at: datetime,
    attempt: int,
    started_at: datetime,
    duration_ms: int,
    result: AttemptResult,
    now: datetime,
) -> Settlement:
    """The attempt's record and what it leaves the delivery in."""

    def outcome(state: str, retry_at: datetime | None, error: str | None) -> Settlement:
        record = AttemptRecord(
            delivery_id=delivery_id,
            attempt=attempt,
            started_at=started_at,
            status=result.status,
            status_code=result.status_code,
            duration_ms=duration_ms,
            next_attempt_at=retry_at,
            error_class=result.error_class[:ERROR_CLASS_MAX_LENGTH] if result.error_class else None,
        )
        return Settlement(record=record, outcome=state, error=error)

    if result.status == ATTEMPT_DELIVERED:
        return outcome(DELIVERED, None, None)
    error = f"HTTP {result.status_code}" if result.status_code else result.error_class
    if _rejected(result.status_code) and attempt >= MAX_ATTEMPTS_ON_CLIENT_ERROR:
        return outcome(DEAD, None, error)
    retry_at = now + timedelta(seconds=policy.backoff_seconds(attempt))
    if retry_at > policy.deadline(created_at):
        return outcome(DEAD, None, f"retry window expired; last: {error}")
    return outcome(PENDING, retry_at, error)


def _rejected(status_code: int | None) -> bool:
    return (
        status_code is not None
        and 400 <= status_code < 500
        and status_code not in TRANSIENT_CLIENT_ERRORS
    )
