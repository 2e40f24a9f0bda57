"""LLM-service webhook bodies for a report, as the service would send them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

PLAN = """# Mission Plan: Miami, FL

## Executive Summary
Stay put, stock water, keep the insulin cold.

## Risk Assessment
### Hurricane — HIGH
Storm surge and wind.

## Recommended Bundles
- **72-Hour Family Go-Bag** [bundle:go-bag-72h] — grab and go.

## Survival Skills
- **Water purification** (priority: high) — tap water may fail.

## Day-by-Day Simulation
### Day 1: Landfall
Shelter in the interior room.

## Next Steps
1. Buy water.
"""

FAILURE = {"code": "LLM_TIMEOUT", "message": "The model timed out.", "retryable": True}
USAGE = {"model": "offline-planner-v1", "input_tokens": 1, "output_tokens": 2, "duration_ms": 3}


def webhook_event(
    report: dict[str, Any], type_: str, sequence: int, *, attempt: int = 1, **data: Any
) -> dict[str, Any]:
    """`report` is the GraphQL report (`id`, `jobId`)."""
    return {
        "type": type_,
        "job_id": report["jobId"],
        "workflow_name": "mission_generation",
        "sequence": sequence,
        "occurred_at": datetime.now(UTC).isoformat(),
        "metadata": {"report_id": report["id"], "attempt": attempt},
        "data": data,
    }


def completed_event(report: dict[str, Any], sequence: int = 90) -> dict[str, Any]:
    output = {"mission_plan": PLAN, "parsed_sections": {}, "llm_usage": USAGE}
    return webhook_event(report, "workflow.completed", sequence, output=output)


def failed_event(report: dict[str, Any], sequence: int = 90) -> dict[str, Any]:
    return webhook_event(report, "workflow.failed", sequence, error=FAILURE)
