"""Issue 6, point 4: every limit on outside input fits the column that stores it.

A parser that accepts what its column cannot hold answers 500 on PostgreSQL (and
the webhook sender retries forever), while SQLite stores it silently. So each
String(n) column of both services is listed here with the limit that guards it:
a new column without a guard fails `test_every_string_column_is_accounted_for`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, String

from domain.operations import MAX_IDEMPOTENCY_KEY_LENGTH
from domain.validation import CITY_MAX_LENGTH, STATE_MAX_LENGTH
from infra.auth import AuthError, TokenAuthenticator
from infra.db.tables import metadata as api_metadata
from infra.llm_payloads import (
    KNOWN_TYPES,
    MAX_CALL_ID_LENGTH,
    MAX_JOB_ID_LENGTH,
    MAX_NAME_LENGTH,
    InvalidJobPayload,
    webhook_to_update,
)
from infra.webhook_signing import InvalidSignature, WebhookVerifier, sign
from llm_service.delivery_policy import (
    ATTEMPT_STATUSES,
    AttemptResult,
    DeliveryPolicy,
    settle,
)
from llm_service.outbox import DELIVERY_STATUSES
from llm_service.tables import metadata as llm_metadata
from llm_service.webhook_body import webhook_id as outbox_webhook_id
from llm_service.workflows import load_workflow

SECRET = "whsec_" + "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI="
JWT_SECRET = "limits-secret-0123456789-0123456789-01"


def longest_accepted(accepts: Callable[[int], bool], upper: int = 4096) -> int:
    """The greatest length `accepts` takes (it must take 1), by walking up to `upper`."""
    longest = 0
    for length in range(1, upper + 1):
        if not accepts(length):
            break
        longest = length
    assert longest >= 1
    return longest


def webhook_job_id_accepted(length: int) -> bool:
    body = {"type": "workflow.started", "job_id": "j" * length, "sequence": 1, "data": {}}
    try:
        webhook_to_update(body)
    except InvalidJobPayload:
        return False
    return True


def jwt_subject_accepted(length: int) -> bool:
    auth = TokenAuthenticator(JWT_SECRET)
    try:
        auth.viewer_from_token(auth.mint("u" * length))
    except AuthError:
        return False
    return True


def webhook_id_accepted(length: int) -> bool:
    webhook_id, body = "m" * length, b"{}"
    try:
        WebhookVerifier([SECRET]).verify(body, sign(SECRET, webhook_id, int(time.time()), body))
    except InvalidSignature:
        return False
    return True


def column_length(column: Column[object]) -> int:
    assert isinstance(column.type, String) and column.type.length is not None
    return int(column.type.length)


# column -> the longest value that can reach it from outside, each measured or derived.
GUARDS: dict[str, Callable[[], int]] = {
    # The API's tables.
    "mission_reports.id": lambda: 36,  # our own uuid4
    "mission_reports.user_id": lambda: longest_accepted(jwt_subject_accepted, 300),
    "mission_reports.status": lambda: len("GENERATING"),
    "mission_reports.job_id": lambda: longest_accepted(webhook_job_id_accepted, 300),
    "mission_reports.idempotency_key": lambda: MAX_IDEMPOTENCY_KEY_LENGTH,
    "mission_reports.location_label": lambda: CITY_MAX_LENGTH + len(", ") + STATE_MAX_LENGTH,
    "mission_events.report_id": lambda: 36,
    "mission_events.user_id": lambda: longest_accepted(jwt_subject_accepted, 300),
    "mission_events.event_type": lambda: len("NOTIFICATION"),
    "notifications.id": lambda: 36,
    "notifications.user_id": lambda: longest_accepted(jwt_subject_accepted, 300),
    "notifications.report_id": lambda: 36,
    "notifications.kind": lambda: len("PLAN_READY"),
    "notifications.title": lambda: len("Your plan is ready"),
    # Our reports' ids: a usage row of a deleted report must match its cancellation event.
    "generation_usage.report_id": lambda: 36,
    "generation_usage.user_id": lambda: longest_accepted(jwt_subject_accepted, 300),
    "generation_usage.job_id": lambda: longest_accepted(webhook_job_id_accepted, 300),
    "generation_usage.model": lambda: MAX_NAME_LENGTH,
    "generation_usage.call_id": lambda: MAX_CALL_ID_LENGTH,
    "submission_attempts.user_id": lambda: longest_accepted(jwt_subject_accepted, 300),
    "submission_attempts.report_id": lambda: 36,
    "webhook_receipts.webhook_id": lambda: longest_accepted(webhook_id_accepted, 300),
    "webhook_receipts.job_id": lambda: longest_accepted(webhook_job_id_accepted, 300),
    "webhook_receipts.event_type": lambda: max(len(t) for t in KNOWN_TYPES),
    # Seeded by a migration, never from a request.
    "bundles.id": lambda: 0,
    "bundles.name": lambda: 0,
    "bundles.budget_tier": lambda: 0,
    "bundle_scenarios.bundle_id": lambda: 0,
    "bundle_scenarios.scenario": lambda: len("POWER_GRID_FAILURE"),
    # The LLM service's tables: a submitted workflow_name must be a known workflow.
    "llm_workflow_jobs.id": lambda: 36,
    "llm_workflow_jobs.workflow_name": lambda: len(load_workflow("mission_generation").name),
    "llm_workflow_jobs.status": lambda: len("cancelled"),
    "llm_workflow_jobs.current_step_id": lambda: max(
        len(step.id) for step in load_workflow("mission_generation").steps
    ),
    "llm_workflow_jobs.runner_id": lambda: len("runner-") + 16,
    "llm_webhook_outbox.id": lambda: len(outbox_webhook_id("0" * 36, 2**31 - 1)),
    "llm_webhook_outbox.job_id": lambda: 36,
    "llm_webhook_outbox.event_type": lambda: len("workflow.step_started"),
    "llm_webhook_outbox.status": lambda: max(map(len, DELIVERY_STATUSES)),
    "llm_webhook_attempts.delivery_id": lambda: len(outbox_webhook_id("0" * 36, 2**31 - 1)),
    "llm_webhook_attempts.status": lambda: max(map(len, ATTEMPT_STATUSES)),
    # Any exception class can surface (an embedded receiver raises its own): cut to fit.
    "llm_webhook_attempts.error_class": lambda: stored_error_class_length("E" * 500),
}


def time_now() -> datetime:
    return datetime.now(UTC)


def stored_error_class_length(error_class: str) -> int:
    now = time_now()
    settlement = settle(
        DeliveryPolicy(),
        delivery_id="msg_1",
        created_at=now,
        attempt=1,
        started_at=now,
        duration_ms=1,
        result=AttemptResult("error", error_class=error_class),
        now=now,
    )
    return len(settlement.record.error_class or "")


def string_columns() -> dict[str, int]:
    return {
        f"{table.name}.{column.name}": column_length(column)
        for meta in (api_metadata, llm_metadata)
        for table in meta.tables.values()
        for column in table.columns
        if isinstance(column.type, String) and column.type.length is not None  # not Text
    }


def test_every_string_column_is_accounted_for() -> None:
    assert set(string_columns()) == set(GUARDS)


@pytest.mark.parametrize("name", sorted(GUARDS))
def test_what_reaches_a_column_fits_it(name: str) -> None:
    assert GUARDS[name]() <= string_columns()[name], name


def test_the_webhook_job_id_limit_is_the_column_length() -> None:
    # Equal, not only below: the LLM service's ids are stored in exactly these columns.
    assert longest_accepted(webhook_job_id_accepted, 300) == MAX_JOB_ID_LENGTH
    assert MAX_JOB_ID_LENGTH == string_columns()["mission_reports.job_id"]
    assert MAX_JOB_ID_LENGTH == string_columns()["webhook_receipts.job_id"]
