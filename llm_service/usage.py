"""What a job used, per step and summed: the `usage` of its status and webhooks.

A step that calls a model appends its entry to `context["steps_usage"]`; the job
reports the list (and its sums) on every event from then on, so a job that fails
or is cancelled after the model answered still says what it spent.
"""

from __future__ import annotations

from typing import Any

STEPS_USAGE = "steps_usage"


def step_usage(
    step_id: str,
    *,
    model: str,
    input_tokens: int,
    output_tokens: int,
    duration_ms: int,
    cost_usd: float | None,
) -> dict[str, Any]:
    return {
        "step_id": step_id,
        "model": model,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "duration_ms": duration_ms,
        "cost_usd": cost_usd,
    }


def job_usage(context: dict[str, Any]) -> dict[str, Any] | None:
    """The job's usage so far; None before any step used a model.

    `cost_usd` is the sum of the reported costs, None unless every step reported one
    (the API prices the others from its price table).
    """
    steps: list[dict[str, Any]] = context.get(STEPS_USAGE) or []
    if not steps:
        return None
    costs = [step["cost_usd"] for step in steps]
    input_tokens = sum(step["input_tokens"] for step in steps)
    output_tokens = sum(step["output_tokens"] for step in steps)
    return {
        "model": steps[-1]["model"],
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
        "duration_ms": sum(step["duration_ms"] for step in steps),
        "cost_usd": None if None in costs else round(sum(costs), 6),
        STEPS_USAGE: [dict(step) for step in steps],
    }
