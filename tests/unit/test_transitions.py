"""`apply_update`: the pure state machine of a report, update by update."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.event_log import (
    CompletedPayload,
    EventType,
    FailedPayload,
    MissionEvent,
    NotificationPayload,
    ProgressPayload,
)
from domain.jobs import JobOutput, JobUpdate, JobUpdateType
from domain.report import MissionReport, MissionStatus, Progress, ReportError
from domain.transitions import (
    JOB_CANCELLED,
    JOB_LOST,
    UNPARSEABLE_PLAN,
    Transition,
    TransitionContext,
    apply_update,
)
from domain.wizard import Scenario
from domain.workflow import WorkflowDefinition, WorkflowStepDefinition
from tests.support.workflow_steps import (
    FORMAT_BUNDLES,
    GENERATE_MISSION_PLAN,
    JOIN_BUNDLES,
    PARSE_SECTIONS,
)
from tests.unit.fakes import (
    CATALOG_BUNDLES,
    MISSION_GENERATION_STEPS,
    PLAN_MARKDOWN,
    PLAN_WITHOUT_SUMMARY,
    T0,
    completed_output,
    generating_report,
    job_update,
    mission_generation_definition,
)

NOW = T0 + timedelta(seconds=30)
STARTS = (0.0, 5.0, 10.0, 15.0, 20.0, 90.0)
ENDS = (5.0, 10.0, 15.0, 20.0, 90.0, 100.0)
STEPS = [
    (step_id, name, index, start, end)
    for index, ((step_id, name, _), start, end) in enumerate(
        zip(MISSION_GENERATION_STEPS, STARTS, ENDS, strict=True)
    )
]

# Step 0 of the six mission_generation steps, at 0%: never "of 0".
QUEUED = Progress("queued", "Queued", 0, 6, 0.0)


def context(now: datetime = NOW, notification_id: str = "note-1") -> TransitionContext:
    return TransitionContext(
        definition=mission_generation_definition(),
        known_bundle_ids={str(b["id"]) for b in CATALOG_BUNDLES},
        now=now,
        notification_id=notification_id,
    )


def apply(report: MissionReport, update: JobUpdate) -> Transition:
    return apply_update(report, update, context())


def step(step_id: str, sequence: int, *, finished: bool = False) -> JobUpdate:
    type_ = JobUpdateType.PROGRESS if finished else JobUpdateType.STEP_STARTED
    return job_update(type_, step_id=step_id, sequence=sequence, finished=finished)


def completed(output: JobOutput | None = None, sequence: int = 20) -> JobUpdate:
    return job_update(
        JobUpdateType.COMPLETED,
        sequence=sequence,
        output=output if output is not None else completed_output(),
    )


def assert_unchanged(transition: Transition, report: MissionReport) -> None:
    assert transition.report == report
    assert transition.events == ()
    assert transition.notification is None
    assert not transition.changed


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


# --- completed ---------------------------------------------------------------------


def test_completed_stores_the_parsed_plan() -> None:
    report = apply(generating_report(), step(GENERATE_MISSION_PLAN, 3)).report

    t = apply(report, completed())

    done = t.report
    assert t.changed
    assert done.status is MissionStatus.COMPLETED
    assert done.completed_at == NOW
    assert done.updated_at == NOW
    assert done.error is None
    assert done.plan is not None
    assert done.plan.content == PLAN_MARKDOWN
    sections = done.plan.sections
    assert sections.executive_summary.startswith("The Rivera family of two")
    assert [(r.scenario, r.level) for r in sections.risk_assessment] == [
        (Scenario.HURRICANE, "HIGH"),
        (Scenario.POWER_GRID_FAILURE, "MODERATE"),
    ]
    assert [(s.name, s.priority) for s in sections.skills] == [
        ("Water purification", "high"),
        ("First aid and CPR", "medium"),
    ]
    assert [(d.day, d.title) for d in sections.simulation] == [
        (1, "Landfall"),
        (2, "Without power"),
    ]
    assert sections.next_steps == ("Buy the go-bag.", "Fill the water containers.")


def test_completed_keeps_only_bundles_the_catalog_knows() -> None:
    t = apply(generating_report(), completed())

    assert t.report.plan is not None
    assert [b.bundle_id for b in t.report.plan.sections.bundles] == [
        "go-bag-72h",
        "water-storage-kit",
    ]


def test_completed_ends_at_the_last_step_at_100_percent() -> None:
    report = apply(generating_report(), step(FORMAT_BUNDLES, 1)).report

    t = apply(report, completed())

    assert t.report.progress == Progress(PARSE_SECTIONS, "Parsing Sections", 5, 6, 100.0)


def test_completed_before_any_progress_still_ends_at_100_percent() -> None:
    report = generating_report()
    assert report.progress == QUEUED

    t = apply(report, completed(sequence=1))

    assert t.report.progress == Progress(PARSE_SECTIONS, "Parsing Sections", 5, 6, 100.0)


def test_completed_writes_a_completed_then_a_notification_event() -> None:
    report = generating_report(last_sequence=4)

    t = apply(report, completed())

    done, note = t.events
    assert (done.type, note.type) == (EventType.COMPLETED, EventType.NOTIFICATION)
    assert (done.sequence, note.sequence) == (5, 6)
    assert t.report.last_sequence == 6
    assert done.payload == CompletedPayload(attempt=1)
    assert {e.report_id for e in t.events} == {report.id}
    assert {e.user_id for e in t.events} == {report.user_id}
    assert t.notification is not None
    assert t.notification.id == "note-1"
    assert t.notification.title == "Your plan is ready"
    assert t.notification.kind == "PLAN_READY"
    assert t.notification.user_id == report.user_id
    assert t.notification.report_id == report.id
    assert "Miami, FL" in t.notification.body
    assert t.notification.created_at == NOW
    assert not t.notification.is_dismissed
    assert note.payload == NotificationPayload(
        "note-1", "PLAN_READY", "Your plan is ready", t.notification.body
    )


@pytest.mark.parametrize(
    "output",
    [completed_output(PLAN_WITHOUT_SUMMARY), completed_output("not a plan at all"), None],
    ids=["no-summary", "prose", "no-output"],
)
def test_a_plan_that_cannot_be_read_fails_retryably(output: JobOutput | None) -> None:
    update = job_update(JobUpdateType.COMPLETED, sequence=9, output=output)

    t = apply(generating_report(idempotency_key="request-1"), update)

    assert t.report.status is MissionStatus.FAILED
    assert t.report.error == UNPARSEABLE_PLAN
    assert t.report.error.retryable
    assert t.report.plan is None
    assert t.notification is None
    [event] = t.events
    assert event.type is EventType.FAILED
    assert event.payload == FailedPayload(UNPARSEABLE_PLAN, attempt=1)


# --- failed, cancelled, lost ------------------------------------------------------


def test_failed_stores_the_error_and_frees_the_idempotency_key() -> None:
    error = ReportError("model_timeout", "The model took too long.", True)
    report = generating_report(idempotency_key="request-1", last_sequence=3)

    t = apply(report, job_update(JobUpdateType.FAILED, sequence=4, error=error))

    assert t.report.status is MissionStatus.FAILED
    assert t.report.error == error
    assert t.report.completed_at == NOW
    assert t.report.idempotency_key is None
    [event] = t.events
    assert event.type is EventType.FAILED
    assert event.sequence == 4
    assert event.payload == FailedPayload(error, attempt=1)


def test_failed_without_an_error_gets_a_generic_retryable_one() -> None:
    t = apply(generating_report(), job_update(JobUpdateType.FAILED))

    assert t.report.error is not None
    assert t.report.error.code == "generation_failed"
    assert t.report.error.retryable


@pytest.mark.parametrize(
    ("type_", "error"),
    [(JobUpdateType.CANCELLED, JOB_CANCELLED), (JobUpdateType.LOST, JOB_LOST)],
)
def test_a_cancelled_or_lost_job_fails_the_report_retryably(
    type_: JobUpdateType, error: ReportError
) -> None:
    t = apply(generating_report(), job_update(type_))

    assert t.report.status is MissionStatus.FAILED
    assert t.report.error == error
    assert error.retryable
    assert [e.type for e in t.events] == [EventType.FAILED]


def test_a_terminal_update_applies_whatever_its_job_sequence() -> None:
    # Delivery order is not guaranteed: the end of a job may arrive before its progress.
    report = apply(generating_report(), step(GENERATE_MISSION_PLAN, 15)).report

    t = apply(report, completed(sequence=3))

    assert t.report.status is MissionStatus.COMPLETED


# --- terminal reports -------------------------------------------------------------


def test_a_completed_report_ignores_everything_after() -> None:
    done = apply(generating_report(), completed(sequence=10)).report

    for late in (
        step(FORMAT_BUNDLES, 2),
        job_update(JobUpdateType.STARTED, sequence=1),
        step(PARSE_SECTIONS, 11, finished=True),
        job_update(JobUpdateType.FAILED, sequence=12),
        job_update(JobUpdateType.CANCELLED, sequence=13),
        job_update(JobUpdateType.LOST, sequence=14),
        completed(sequence=15),
    ):
        t = apply(done, late)
        assert_unchanged(t, done)

    assert done.status is MissionStatus.COMPLETED
    assert done.progress.percentage == 100.0


def test_a_failed_report_ignores_everything_after() -> None:
    failed = apply(generating_report(), job_update(JobUpdateType.FAILED, sequence=3)).report

    for late in (step(JOIN_BUNDLES, 4), completed(sequence=5)):
        assert_unchanged(apply(failed, late), failed)
