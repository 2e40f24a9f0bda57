"""LLM-service payloads (webhook bodies and job status) to domain `JobUpdate`s.

This is where the service's text enters the API, so every string taken from a
payload goes through `clean_text` here. A completed job whose result cannot be
read or stored becomes a failure (`invalid_result`) instead of an error answer:
the sender would give up on a 4xx and the report would never finish.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Any, TypeGuard

from domain.failures import GENERATION_FAILED, INVALID_RESULT, is_known_failure, report_error
from domain.jobs import JobOutput, JobUpdate, JobUpdateType
from domain.report import ReportError
from domain.text import clean_text
from domain.usage import StepUsage
from infra.legacy_llm_payloads import as_current_body, is_legacy_body, legacy_event_type

log = logging.getLogger(__name__)

KNOWN_TYPES = {t.value for t in JobUpdateType if t is not JobUpdateType.LOST}
# Sequences and attempts are stored in 32-bit columns; token counts are shown as
# GraphQL Int (32-bit) and summed, so each stays well below that.
MAX_STORED_INT = 2**31 - 1
MAX_USAGE_COUNT = 10**9
# More than any one generation costs; a larger "cost" is a broken report, priced instead.
MAX_REPORTED_COST_USD = 10_000.0
# The length of the job_id columns (mission_reports, webhook_receipts): a longer id
# could never match a report, and PostgreSQL refuses to store it.
MAX_JOB_ID_LENGTH = 64
MAX_CALL_ID_LENGTH = 64  # generation_usage.call_id
MAX_NAME_LENGTH = 255  # event types, step ids, display names, model names, report ids

_ACTIVE_STATUSES = ("queued", "running")
# A workflow has a handful of steps; a longer usage list is not one we sent.
MAX_USAGE_STEPS = 50
# The step the existing service's `llm_usage` (one model call per job) stands for.
GENERATION_STEP = "generate_mission_plan"


class InvalidJobPayload(ValueError):
    """A signed body that does not follow the webhook schema."""


def is_known_event_type(body: dict[str, Any]) -> bool:
    """A string type we handle; other strings are newer events we ignore.

    Anything but a string breaks the schema (and, a list or object, the set lookup).
    The existing LLM service's bodies name it in `event` (infra.legacy_llm_payloads).
    """
    legacy = is_legacy_body(body)
    event_type = legacy_event_type(body) if legacy else body.get("type")
    if not isinstance(event_type, str):
        raise InvalidJobPayload(f"{'event' if legacy else 'type'} must be a string")
    return event_type in KNOWN_TYPES


def webhook_to_update(body: Any) -> JobUpdate:
    """The update a webhook body stands for; InvalidJobPayload if it names no job event.

    A body of the existing LLM service is reshaped first and has no sequence (None).
    """
    if not isinstance(body, dict):
        raise InvalidJobPayload("body must be a JSON object")
    sequence: int | None = None
    if is_legacy_body(body):
        body = as_current_body(body)
    else:
        sequence = _int(body, "sequence")
    update_type = _update_type(_string(body, "type"))
    metadata = _object(body.get("metadata", {}), "metadata")
    envelope: dict[str, Any] = {
        "job_id": _job_id(body.get("job_id")),
        "sequence": sequence,
        "occurred_at": _timestamp(body.get("occurred_at")),
        "report_id": _optional_string(metadata, "report_id"),
        "attempt": _optional_int(metadata, "attempt"),
        "user_id": _optional_string(metadata, "user_id"),
    }
    try:
        data = _object(body.get("data", {}), "data")
        envelope["usage"] = _reported_usage(data.get("usage"))
        if update_type is JobUpdateType.COMPLETED:
            output, generation = _output(data.get("output"))
            envelope["usage"] = envelope["usage"] or generation
            return JobUpdate(type=update_type, output=output, **envelope)
    except InvalidJobPayload as exc:
        if update_type is not JobUpdateType.COMPLETED:
            raise
        return _unstorable_result(envelope, exc)
    draft = _draft(data) if update_type is JobUpdateType.PROGRESS else None
    return JobUpdate(
        type=update_type,
        step_id=_optional_string(data, "step_id"),
        step_display_name=_optional_string(data, "display_name"),
        step_finished=update_type is JobUpdateType.PROGRESS and draft is None,
        error=_error(data.get("error")) if update_type is JobUpdateType.FAILED else None,
        **(draft or {}),
        **envelope,
    )


# The types by value: a dict lookup per webhook where `JobUpdateType(value)` went
# through Enum's __call__, 7% of webhook_to_update (benchmarks/README.md, "Branch
# h/routefast").
_TYPES_BY_VALUE = {t.value: t for t in JobUpdateType}


def _update_type(value: str) -> JobUpdateType:
    known = _TYPES_BY_VALUE.get(value)
    return known if known is not None else JobUpdateType(value)  # raises as it did


def _draft(data: dict[str, Any]) -> dict[str, Any] | None:
    """A progress report from inside a step (`draft_length`, `delta`, `progress`), or None
    for the progress event that ends a step (it has no `draft_length`)."""
    if "draft_length" not in data:
        return None
    draft_length = _int(data, "draft_length")
    delta = data.get("delta")
    if delta is not None and not isinstance(delta, str):
        raise InvalidJobPayload("delta must be a string")
    if delta is not None and len(delta) > draft_length:
        raise InvalidJobPayload("delta is longer than draft_length")
    percentage = data.get("progress")
    if isinstance(percentage, bool) or not isinstance(percentage, int | float):
        percentage = None
    elif not (math.isfinite(percentage) and 0 <= percentage <= 100):
        raise InvalidJobPayload("progress must be a percentage between 0 and 100")
    return {
        "percentage": None if percentage is None else float(percentage),
        # Cleaned one delta at a time: clean_text treats each code point on its own,
        # so the cleaned deltas join into the cleaned text.
        "draft_delta": clean_text(delta) if delta else None,
        "draft_length": draft_length,
    }


def job_status_to_update(job: Any, job_id: str) -> JobUpdate:
    """A status poll answer for `job_id` as the update it amounts to (for reconciliation).

    Never raises: an answer that cannot be read fails the report as `invalid_result`,
    so that a reader or the sweeper does not ask again, and fail again, forever.
    """
    envelope: dict[str, Any] = {"job_id": job_id, "sequence": 0, "occurred_at": _now()}
    try:
        job = _object(job, "job status")
        metadata = _object(job.get("metadata") or {}, "metadata")
        sequence = job.get("sequence")
        envelope.update(
            sequence=sequence if _is_stored_int(sequence) else 0,
            occurred_at=_timestamp(job.get("updated_at")),
            report_id=_optional_string(metadata, "report_id"),
            attempt=_optional_int(metadata, "attempt"),
            user_id=_optional_string(metadata, "user_id"),
            usage=_reported_usage(job.get("usage")),
        )
        return _status_update(job, envelope)
    except InvalidJobPayload as exc:
        return _unstorable_result(envelope, exc)


def _status_update(job: dict[str, Any], envelope: dict[str, Any]) -> JobUpdate:
    status = job.get("status")
    if status == "completed":
        output, generation = _output(_object(job.get("result") or {}, "result"))
        envelope["usage"] = envelope["usage"] or generation
        return JobUpdate(type=JobUpdateType.COMPLETED, output=output, **envelope)
    if status == "failed":
        return JobUpdate(type=JobUpdateType.FAILED, error=_error(job.get("error")), **envelope)
    if status == "cancelled":
        return JobUpdate(type=JobUpdateType.CANCELLED, **envelope)
    if status in _ACTIVE_STATUSES:
        step_id = _optional_string(job, "current_step_id")
        return JobUpdate(type=JobUpdateType.STEP_STARTED, step_id=step_id, **envelope)
    raise InvalidJobPayload("status is not one of the job statuses")


def _unstorable_result(envelope: dict[str, Any], exc: InvalidJobPayload) -> JobUpdate:
    log.warning("job %s sent a result the API cannot store: %s", envelope["job_id"], exc)
    return JobUpdate(type=JobUpdateType.FAILED, error=INVALID_RESULT, **envelope)


def _output(raw: Any) -> tuple[JobOutput, tuple[StepUsage, ...]]:
    """The plan, and the usage its `llm_usage` reports (the existing service's shape)."""
    output = _object(raw, "data.output")
    plan = output.get("mission_plan")
    if not isinstance(plan, str):
        raise InvalidJobPayload("data.output.mission_plan must be a string")
    usage_raw = output.get("llm_usage")
    usage = (_step_usage(usage_raw, GENERATION_STEP),) if isinstance(usage_raw, dict) else ()
    return JobOutput(mission_plan=clean_text(plan)), usage


def _reported_usage(raw: Any) -> tuple[StepUsage, ...]:
    """`usage.steps_usage` of a job (what it used so far); () when absent or unreadable.

    Unreadable usage is dropped, not refused: refusing would leave the report
    generating while the sender retries the same body.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("steps_usage"), list):
        return ()
    steps = raw["steps_usage"]
    try:
        if len(steps) > MAX_USAGE_STEPS:
            raise InvalidJobPayload(f"usage.steps_usage has more than {MAX_USAGE_STEPS} steps")
        return tuple(_step_usage(_object(step, "usage step"), None) for step in steps)
    except InvalidJobPayload as exc:
        log.warning("a job reported usage the API cannot read: %s", exc)
        return ()


def _step_usage(raw: dict[str, Any], step_id: str | None) -> StepUsage:
    model = raw.get("model")
    estimated = raw.get("estimated", False)
    if not isinstance(estimated, bool):
        raise InvalidJobPayload("usage step estimated must be a boolean")
    return StepUsage(
        step_id=step_id or _optional_string(raw, "step_id") or "unknown",
        model=clean_text(model)[:MAX_NAME_LENGTH]
        if isinstance(model, str) and model
        else "unknown",
        input_tokens=_non_negative(raw, "input_tokens"),
        output_tokens=_non_negative(raw, "output_tokens"),
        duration_ms=_non_negative(raw, "duration_ms"),
        cost_usd=_cost(raw.get("cost_usd")),
        call_id=_call_id(raw.get("call_id")),
        estimated=estimated,
    )


def _call_id(value: Any) -> str:
    """The service's id of the model call; "" (one call per attempt) when it gives none."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value) > MAX_CALL_ID_LENGTH:
        raise InvalidJobPayload(f"usage call_id must be a string of {MAX_CALL_ID_LENGTH} at most")
    return clean_text(value)


def _cost(value: Any) -> float | None:
    """A reported cost in USD; None (the price table decides) unless a sane number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    cost = float(value)
    return cost if math.isfinite(cost) and 0 <= cost <= MAX_REPORTED_COST_USD else None


def _error(raw: Any) -> ReportError:
    """The user-facing error for the service's one: its code, never its message."""
    if not isinstance(raw, dict):
        return report_error(GENERATION_FAILED)
    code = raw.get("code")
    retryable = raw.get("retryable", True)
    if not isinstance(code, str) or not is_known_failure(code):
        log.warning("job failed with an unknown error code %r", raw.get("code"))
        code = GENERATION_FAILED
    return report_error(code, retryable=retryable if isinstance(retryable, bool) else True)


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidJobPayload(f"{name} must be an object")
    return value


def _string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value or len(value) > MAX_NAME_LENGTH:
        raise InvalidJobPayload(f"{key} must be a non-empty string")
    return clean_text(value)


def _job_id(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_JOB_ID_LENGTH:
        raise InvalidJobPayload(f"job_id must be a string of 1 to {MAX_JOB_ID_LENGTH} characters")
    return clean_text(value)


def _optional_string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if not isinstance(value, str) or not value or len(value) > MAX_NAME_LENGTH:
        return None
    return clean_text(value)


def _is_stored_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_STORED_INT


def _int(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if not _is_stored_int(value):
        raise InvalidJobPayload(f"{key} must be an integer between 0 and {MAX_STORED_INT}")
    return value


def _optional_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if not _is_stored_int(value):
        raise InvalidJobPayload(f"metadata.{key} is out of range")
    return value


def _non_negative(body: dict[str, Any], key: str) -> int:
    value = body.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return 0
    if value > MAX_USAGE_COUNT:
        raise InvalidJobPayload(f"llm_usage.{key} is out of range")
    return value


def _now() -> datetime:
    return datetime.now(UTC)


def _timestamp(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            try:
                return parsed.astimezone(UTC)
            except OverflowError as exc:
                raise InvalidJobPayload("occurred_at is out of range") from exc
    return _now()
