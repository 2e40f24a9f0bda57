"""`apply_update` on the way: step by step, never backwards, stale updates ignored."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.event_log import EventType, MissionEvent, ProgressPayload
from domain.jobs import JobUpdateType
from domain.report import MissionStatus, Progress
from domain.transitions import apply_update
from domain.workflow import WorkflowDefinition, WorkflowStepDefinition
from tests.support.workflow_steps import (
    FORMAT_BUNDLES,
    GENERATE_MISSION_PLAN,
    JOIN_BUNDLES,
    PARSE_SECTIONS,
)
from tests.unit.fakes import MISSION_GENERATION_STEPS, generating_report, job_update
from tests.unit.transitions.updates import NOW, STEPS, apply, assert_unchanged, context, step

# --- progress ----------------------------------------------------------------------


@pytest.mark.parametrize(("step_id", "name", "index", "start", "end"), STEPS)
def test_a_started_step_sets_its_name_and_start_percentage(
    step_id: str, name: str, index: int, start: float, end: float
) -> None:
    report = generating_report()

    t = apply(report, step(step_id, 1))

    expected = Progress(step_id, name, index, 6, start)
    assert t.changed
    assert t.report.progress == expected
    assert t.report.status is MissionStatus.GENERATING
    assert t.report.last_job_sequence == 1
    assert t.report.updated_at == NOW
    [event] = t.events
    assert event.type is EventType.PROGRESS
    assert event.sequence == report.last_sequence + 1 == t.report.last_sequence
    assert event.report_id == report.id
    assert event.user_id == report.user_id
    assert event.occurred_at == NOW
    assert event.payload == ProgressPayload(expected, attempt=1)


@pytest.mark.parametrize(("step_id", "name", "index", "start", "end"), STEPS)
def test_a_finished_step_sets_its_end_percentage(
    step_id: str, name: str, index: int, start: float, end: float
) -> None:
    t = apply(generating_report(), step(step_id, 1, finished=True))

    assert t.report.progress == Progress(step_id, name, index, 6, end)
    assert len(t.events) == 1


def test_a_whole_run_moves_step_by_step_with_consecutive_events() -> None:
    report = generating_report()
    events: list[MissionEvent] = []
    percentages: list[float] = []
    sequence = 0
    for step_id, *_ in STEPS:
        for finished in (False, True):
            sequence += 1
            t = apply(report, step(step_id, sequence, finished=finished))
            report = t.report
            events.extend(t.events)
            percentages.append(report.progress.percentage)

    assert percentages == [0.0, 5.0, 5.0, 10.0, 10.0, 15.0, 15.0, 20.0, 20.0, 90.0, 90.0, 100.0]
    assert [e.sequence for e in events] == list(range(2, 14))
    assert report.status is MissionStatus.GENERATING


def test_progress_never_goes_down() -> None:
    ahead = apply(generating_report(), step(GENERATE_MISSION_PLAN, 5, finished=True)).report

    t = apply(ahead, step(FORMAT_BUNDLES, 6))

    assert t.report.progress == ahead.progress
    assert t.report.progress.percentage == 90.0
    assert t.events == ()
    # The newer job sequence is remembered, so an even older update stays stale.
    assert t.report.last_job_sequence == 6


def test_a_stale_job_sequence_is_ignored() -> None:
    report = apply(generating_report(), step(GENERATE_MISSION_PLAN, 5)).report

    for stale in (step(PARSE_SECTIONS, 3, finished=True), step(GENERATE_MISSION_PLAN, 5)):
        assert_unchanged(apply(report, stale), report)


def test_a_repeated_progress_changes_nothing_visible() -> None:
    report = apply(generating_report(), step(JOIN_BUNDLES, 2)).report

    t = apply(report, step(JOIN_BUNDLES, 3))

    assert t.events == ()
    assert t.report.progress == report.progress
    assert t.report.last_job_sequence == 3


@pytest.mark.parametrize("step_id", ["no_such_step", None])
def test_an_unknown_or_missing_step_is_ignored(step_id: str | None) -> None:
    report = generating_report()

    t = apply(report, job_update(JobUpdateType.STEP_STARTED, step_id=step_id, sequence=4))

    assert_unchanged(t, report)


def test_the_step_shown_never_goes_back_even_at_the_same_percentage() -> None:
    # A step of weight 0 ends where it starts: s1 and s2 both show 50%.
    workflow = WorkflowDefinition(
        "weights",
        tuple(WorkflowStepDefinition(f"s{i}", f"S{i}", "", w) for i, w in enumerate((1, 0, 1))),
    )
    ctx = replace(context(), definition=workflow)
    report = generating_report(progress=workflow.queued_progress())
    ahead = apply_update(report, step("s2", 5), ctx).report
    assert (ahead.progress.step_index, ahead.progress.percentage) == (2, 50.0)

    t = apply_update(ahead, step("s1", 6, finished=True), ctx)

    assert t.events == ()
    assert t.report.progress == ahead.progress
    assert t.report.last_job_sequence == 6


UPDATES = st.lists(
    st.tuples(
        st.sampled_from([s[0] for s in MISSION_GENERATION_STEPS] + ["no_such_step"]),
        st.booleans(),
        st.integers(min_value=1, max_value=40),
    ),
    max_size=30,
)


@given(updates=UPDATES)
def test_progress_events_count_the_steps_and_never_go_back(
    updates: list[tuple[str, bool, int]],
) -> None:
    """Whatever order and repeats the job's updates arrive in: "step X of N" only moves on."""
    report = generating_report()
    shown = [report.progress]
    for step_id, finished, sequence in updates:
        t = apply(report, step(step_id, sequence, finished=finished))
        report = t.report
        shown.extend(e.payload.progress for e in t.events if isinstance(e.payload, ProgressPayload))

    assert all(p.step_count == 6 for p in shown)
    assert [p.step_index for p in shown] == sorted(p.step_index for p in shown)
    assert [p.percentage for p in shown] == sorted(p.percentage for p in shown)


def test_started_changes_nothing_a_user_sees() -> None:
    report = generating_report()

    assert_unchanged(apply(report, job_update(JobUpdateType.STARTED)), report)
