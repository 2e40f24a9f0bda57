"""The webhook body the existing LLM service sends, read as this API's own shape.

A team may point that service at this API unchanged. Its bodies name the event
in `event` (this API's service: `type`), put the completed output under
`result.output` (`mission_plan`, `parsed_sections`, `llm_usage` with `model`,
`duration_ms`, `total_tokens`, `input_tokens`, `output_tokens`) and carry no
`sequence`. They go through the same signature check, the same `webhook-id`
dedupe and the same parser (`infra.llm_payloads`) once reshaped here; without
a sequence, an update applies only when it moves the report forward (see
`MissionReport.with_progress`).

`parsed_sections` is not read: the API parses `mission_plan` itself, with the
one bounded parser every plan goes through. `total_tokens` is the sum of the
other two, which are what is stored.
"""

from __future__ import annotations

from typing import Any

# Names the existing service may use for an event, as this API's event types.
EVENT_ALIASES = {
    "workflow.step_completed": "workflow.progress",
    "workflow.step_finished": "workflow.progress",
}
_STEP_KEYS = ("step_id", "display_name")


def is_legacy_body(body: dict[str, Any]) -> bool:
    """A body of the existing service: it names its event in `event`, and has no `type`."""
    return "type" not in body and "event" in body


def legacy_event_type(body: dict[str, Any]) -> Any:
    """The event's type in this API's names; any non-string is returned as it is."""
    event = body.get("event")
    return EVENT_ALIASES.get(event, event) if isinstance(event, str) else event


def as_current_body(body: dict[str, Any]) -> dict[str, Any]:
    """The same event in this API's webhook shape (docs/llm-service-api.md), minus `sequence`.

    Only moves values around: every value is still checked by the one parser after this.
    """
    event_type = legacy_event_type(body)
    raw_data = body.get("data")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    reshaped: dict[str, Any] = {key: body[key] for key in _STEP_KEYS if key in body}
    reshaped.update(data)
    if "step_id" not in reshaped and "current_step_id" in body:
        reshaped["step_id"] = body["current_step_id"]
    if "display_name" not in reshaped and "step_name" in body:
        reshaped["display_name"] = body["step_name"]
    result = body.get("result")
    if event_type == "workflow.completed":
        reshaped["output"] = _output(result, data)
    if event_type == "workflow.failed":
        reshaped.setdefault("error", body.get("error"))
    return {
        "type": event_type,
        "job_id": body.get("job_id"),
        "workflow_name": body.get("workflow_name"),
        "occurred_at": body.get("occurred_at", body.get("timestamp")),
        "metadata": body.get("metadata") or {},
        "data": reshaped,
    }


def _output(result: Any, data: dict[str, Any]) -> Any:
    if isinstance(result, dict):
        # `result.output.mission_plan`; a `result` that is the output itself is read too.
        return result.get("output", result)
    return data.get("output")
