"""Workflow definitions and the percentage each step starts and ends at."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.report import Progress
from domain.workflow import (
    InvalidWorkflowDefinition,
    UnknownStep,
    WorkflowDefinition,
    WorkflowStepDefinition,
)
from tests.support.workflow_steps import (
    BUILD_USER_MESSAGE,
    DEFINITION_FILE,
    MISSION_GENERATION_STEPS,
    mission_generation_definition,
)


def definition(*weights: int) -> WorkflowDefinition:
    return WorkflowDefinition(
        name="test",
        steps=tuple(
            WorkflowStepDefinition(f"s{i}", f"Step {i}", "", weight)
            for i, weight in enumerate(weights)
        ),
    )


def starts_and_ends(workflow: WorkflowDefinition) -> list[tuple[float, float]]:
    return [(p.start_percentage, p.end_percentage) for p in workflow.progress_of_steps()]


# --- from_dict ---------------------------------------------------------------------


def test_the_real_definition_reads_as_the_six_weighted_steps() -> None:
    data = json.loads(DEFINITION_FILE.read_text())

    workflow = WorkflowDefinition.from_dict(data)

    assert workflow.name == "mission_generation"
    assert workflow.version == 1
    assert workflow.description
    assert [(s.id, s.display_name, s.weight) for s in workflow.steps] == list(
        MISSION_GENERATION_STEPS
    )
    assert all(s.description for s in workflow.steps)
    assert workflow.step_count == 6


def test_from_dict_fills_in_what_is_missing() -> None:
    workflow = WorkflowDefinition.from_dict(
        {
            "name": "minimal",
            "steps": [
                {"id": "plain"},
                {"id": "negative", "display_name": "", "weight": -4, "description": None},
                {"id": "heavy", "display_name": "Heavy Lifting", "weight": "3"},
            ],
        }
    )

    assert workflow.version == 1
    assert workflow.description == ""
    assert workflow.steps == (
        WorkflowStepDefinition("plain", "plain", "", 1),
        WorkflowStepDefinition("negative", "negative", "", 0),
        WorkflowStepDefinition("heavy", "Heavy Lifting", "", 3),
    )


def test_from_dict_rejects_a_step_without_an_id() -> None:
    with pytest.raises(KeyError):
        WorkflowDefinition.from_dict({"name": "broken", "steps": [{"display_name": "No id"}]})


# --- progress_of_steps ---------------------------------------------------------------


def test_mission_generation_percentages() -> None:
    progress = mission_generation_definition().progress_of_steps()

    assert [p.start_percentage for p in progress] == [0.0, 5.0, 10.0, 15.0, 20.0, 90.0]
    assert [p.end_percentage for p in progress] == [5.0, 10.0, 15.0, 20.0, 90.0, 100.0]
    assert [p.index for p in progress] == list(range(6))
    assert [p.display_name for p in progress] == [name for _, name, _ in MISSION_GENERATION_STEPS]


def test_zero_weight_steps_take_no_share() -> None:
    assert starts_and_ends(definition(0, 5, 0, 5, 0)) == [
        (0.0, 0.0),
        (0.0, 50.0),
        (50.0, 50.0),
        (50.0, 100.0),
        (100.0, 100.0),
    ]


def test_steps_without_any_weight_share_equally() -> None:
    assert starts_and_ends(definition(0, 0, 0, 0)) == [
        (0.0, 25.0),
        (25.0, 50.0),
        (50.0, 75.0),
        (75.0, 100.0),
    ]


def test_uneven_shares_are_rounded_to_one_decimal_and_still_end_at_100() -> None:
    assert starts_and_ends(definition(1, 1, 1)) == [(0.0, 33.3), (33.3, 66.7), (66.7, 100.0)]


def test_a_workflow_without_steps_is_refused() -> None:
    # No progress could ever read "step X of N" with N > 0.
    with pytest.raises(InvalidWorkflowDefinition, match="no steps"):
        definition()
    with pytest.raises(InvalidWorkflowDefinition):
        WorkflowDefinition.from_dict({"name": "empty", "steps": []})


# --- the progress a report shows -----------------------------------------------------


def test_queued_progress_is_step_0_of_the_real_step_count() -> None:
    assert mission_generation_definition().queued_progress() == Progress(
        "queued", "Queued", 0, 6, 0.0
    )
    assert definition(1, 1, 1).queued_progress().step_count == 3


def test_progress_at_a_step_started_and_finished() -> None:
    workflow = definition(1, 3)

    assert workflow.progress_at("s1", finished=False) == Progress("s1", "Step 1", 1, 2, 25.0)
    assert workflow.progress_at("s1", finished=True) == Progress("s1", "Step 1", 1, 2, 100.0)
    with pytest.raises(UnknownStep):
        workflow.progress_at("nope", finished=False)


def test_final_progress_is_the_last_step_done() -> None:
    assert definition(0, 0).final_progress() == Progress("s1", "Step 1", 1, 2, 100.0)


def test_the_queued_progress_is_never_ahead_of_a_first_step() -> None:
    for weights in ([1, 1], [0, 5], [5, 0, 0]):
        workflow = definition(*weights)
        first = workflow.progress_at("s0", finished=False)
        assert not first.is_behind(workflow.queued_progress())


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=30))
def test_percentages_run_from_0_to_100_without_gaps_or_going_back(weights: list[int]) -> None:
    progress = definition(*weights).progress_of_steps()

    assert progress[0].start_percentage == 0.0
    assert progress[-1].end_percentage == 100.0
    for before, after in itertools.pairwise(progress):
        assert after.start_percentage == before.end_percentage
    for p in progress:
        assert 0.0 <= p.start_percentage <= p.end_percentage <= 100.0


# --- step ------------------------------------------------------------------------------


def test_step_finds_a_step_by_id() -> None:
    build = mission_generation_definition().step(BUILD_USER_MESSAGE)

    assert build.step_id == BUILD_USER_MESSAGE
    assert build.display_name == "Building User Message"
    assert build.index == 3
    assert (build.start_percentage, build.end_percentage) == (15.0, 20.0)


def test_an_unknown_step_raises_unknown_step() -> None:
    with pytest.raises(UnknownStep) as raised:
        mission_generation_definition().step("write_poem")

    assert isinstance(raised.value, LookupError)
    assert raised.value.args == ("write_poem",)
