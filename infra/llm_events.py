"""LLM-service payloads (webhook bodies and job status) to domain `JobUpdate`s."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.jobs import JobOutput, JobUpdate, JobUpdateType, LLMUsage
from domain.report import ReportError

KNOWN_TYPES = {t.value for t in JobUpdateType if t is not JobUpdateType.LOST}
# Sequences and attempts are stored in 32-bit columns; token counts are shown as
# GraphQL Int (32-bit) and summed, so each stays well below that.
MAX_STORED_INT = 2**31 - 1
MAX_USAGE_COUNT = 10**9


class InvalidJobPayload(ValueError):
    """A signed body that does not follow the webhook schema."""


def is_known_event_type(body: dict[str, Any]) -> bool:
    """A string type we handle; other strings are newer events we ignore.

    Anything but a string breaks the schema (and, a list or object, the set lookup).
    """
    event_type = body.get("type")
    if not isinstance(event_type, str):
        raise InvalidJobPayload("type must be a string")
    return event_type in KNOWN_TYPES


def webhook_to_update(body: Any) -> JobUpdate:
    if not isinstance(body, dict):
        raise InvalidJobPayload("body must be a JSON object")
    data = _object(body.get("data", {}), "data")
    metadata = _object(body.get("metadata", {}), "metadata")
    update_type = JobUpdateType(_string(body, "type"))
    return JobUpdate(
        job_id=_string(body, "job_id"),
        type=update_type,
        sequence=_int(body, "sequence"),
        occurred_at=_timestamp(body.get("occurred_at")),
        report_id=_optional_string(metadata, "report_id"),
        attempt=_optional_int(metadata, "attempt"),
        step_id=_optional_string(data, "step_id"),
        step_display_name=_optional_string(data, "display_name"),
        step_finished=update_type is JobUpdateType.PROGRESS,
        output=_output(data.get("output")) if update_type is JobUpdateType.COMPLETED else None,
        error=_error(data.get("error")) if update_type is JobUpdateType.FAILED else None,
    )


def job_status_to_update(job: dict[str, Any]) -> JobUpdate:
    """A status poll answer as the update it amounts to (for reconciliation)."""
    status = _string(job, "status")
    metadata = _object(job.get("metadata") or {}, "metadata")
    base: dict[str, Any] = {
        "job_id": _string(job, "job_id"),
        "sequence": int(job.get("sequence") or 0),
        "occurred_at": _timestamp(job.get("updated_at")),
        "report_id": _optional_string(metadata, "report_id"),
        "attempt": _optional_int(metadata, "attempt"),
    }
    if status == "completed":
        result = _object(job.get("result") or {}, "result")
        return JobUpdate(type=JobUpdateType.COMPLETED, output=_output(result), **base)
    if status == "failed":
        return JobUpdate(type=JobUpdateType.FAILED, error=_error(job.get("error")), **base)
    if status == "cancelled":
        return JobUpdate(type=JobUpdateType.CANCELLED, **base)
    return JobUpdate(
        type=JobUpdateType.STEP_STARTED, step_id=job.get("current_step_id") or None, **base
    )


def _output(raw: Any) -> JobOutput:
    output = _object(raw, "data.output")
    plan = output.get("mission_plan")
    if not isinstance(plan, str):
        raise InvalidJobPayload("data.output.mission_plan must be a string")
    usage_raw = output.get("llm_usage")
    usage = None
    if isinstance(usage_raw, dict):
        usage = LLMUsage(
            model=str(usage_raw.get("model") or "unknown"),
            input_tokens=_non_negative(usage_raw, "input_tokens"),
            output_tokens=_non_negative(usage_raw, "output_tokens"),
            duration_ms=_non_negative(usage_raw, "duration_ms"),
        )
    return JobOutput(mission_plan=plan, usage=usage)


def _error(raw: Any) -> ReportError:
    if not isinstance(raw, dict):
        return ReportError("generation_failed", "The plan generator failed.", True)
    return ReportError(
        code=str(raw.get("code") or "generation_failed")[:64],
        message=str(raw.get("message") or "The plan generator failed.")[:1000],
        retryable=bool(raw.get("retryable", True)),
    )


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidJobPayload(f"{name} must be an object")
    return value


def _string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value or len(value) > 255:
        raise InvalidJobPayload(f"{key} must be a non-empty string")
    return value


def _optional_string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) and value else None


def _int(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_STORED_INT:
        raise InvalidJobPayload(f"{key} must be an integer between 0 and {MAX_STORED_INT}")
    return value


def _optional_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if not 0 <= value <= MAX_STORED_INT:
        raise InvalidJobPayload(f"metadata.{key} is out of range")
    return value


def _non_negative(body: dict[str, Any], key: str) -> int:
    value = body.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return 0
    if value > MAX_USAGE_COUNT:
        raise InvalidJobPayload(f"data.output.llm_usage.{key} is out of range")
    return value


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
    return datetime.now(UTC)
