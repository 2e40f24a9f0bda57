"""Workflow definitions: loading, validation and progress math."""

from __future__ import annotations

from typing import Any

import pytest

from llm_service.workflows import (
    InvalidWorkflowError,
    WorkflowNotFoundError,
    load_workflow,
    parse_workflow,
)


def test_mission_generation_has_six_weighted_steps() -> None:
    workflow = load_workflow("mission_generation")
    assert workflow.step_ids == (
        "format_bundles",
        "join_bundles",
        "build_scenario_list",
        "build_user_message",
        "generate_mission_plan",
        "parse_sections",
    )
    assert max(workflow.steps, key=lambda s: s.weight).id == "generate_mission_plan"
    assert workflow.progress_after(0) == 0.0
    assert workflow.progress_after(len(workflow.steps)) == 100.0


def test_progress_is_rounded_to_one_decimal() -> None:
    workflow = parse_workflow(
        {
            "name": "thirds",
            "version": 1,
            "steps": [{"id": i, "display_name": i, "weight": 1} for i in ("a", "b", "c")],
        }
    )
    assert [workflow.progress_after(n) for n in range(4)] == [0.0, 33.3, 66.7, 100.0]


@pytest.mark.parametrize("name", ["nope", "../settings", "Mission_Generation", ""])
def test_unknown_names_are_not_found(name: str) -> None:
    with pytest.raises(WorkflowNotFoundError):
        load_workflow(name)


def _step(step_id: str, weight: Any = 1) -> dict[str, Any]:
    return {"id": step_id, "display_name": step_id.title(), "weight": weight}


@pytest.mark.parametrize(
    "raw",
    [
        [],
        {"name": "w", "version": 1, "steps": []},
        {"name": "w", "version": 0, "steps": [_step("a")]},
        {"name": "w", "version": 1, "steps": [_step("a"), _step("a")]},
        {"name": "w", "version": 1, "steps": [_step("a", 0)]},
        {"name": "w", "version": 1, "steps": [_step("a", 1.5)]},
        {"name": "w", "version": 1, "steps": [{"id": "a", "weight": 1}]},
    ],
)
def test_invalid_definitions_are_rejected(raw: Any) -> None:
    with pytest.raises(InvalidWorkflowError):
        parse_workflow(raw)
