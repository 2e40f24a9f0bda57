"""Workflow definitions: loading and validation (the progress math is domain.workflow's)."""

from __future__ import annotations

from typing import Any

import pytest

from llm_service.steps import build_step_registry
from llm_service.workflows import (
    InvalidWorkflowError,
    WorkflowNotFoundError,
    load_workflow,
    parse_workflow,
)
from tests.llm_service.fakes import FixedTextProvider
from tests.support.workflow_steps import (
    GENERATE_MISSION_PLAN,
    STEP_IDS,
    mission_generation_definition,
)


def test_each_step_of_mission_generation_has_an_implementation() -> None:
    workflow = load_workflow("mission_generation")
    assert workflow.step_ids == STEP_IDS
    assert tuple(build_step_registry(FixedTextProvider("unused"))) == STEP_IDS
    # The model's step carries most of the weight, so its streamed progress shows.
    assert max(workflow.steps, key=lambda s: s.weight).id == GENERATE_MISSION_PLAN


def test_the_service_reports_the_api_s_percentages() -> None:
    workflow = load_workflow("mission_generation")
    assert workflow.progress_of_steps == mission_generation_definition().progress_of_steps()


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
