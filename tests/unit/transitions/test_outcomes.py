"""`apply_update` at the end: a completed plan, a failure, and nothing after either."""

from __future__ import annotations

import pytest

from domain.event_log import CompletedPayload, EventType, FailedPayload, NotificationPayload
from domain.jobs import JobOutput, JobUpdateType
from domain.report import MissionStatus, Progress, ReportError
from domain.transitions import JOB_CANCELLED, JOB_LOST, UNPARSEABLE_PLAN
from domain.wizard import Scenario
from tests.support.workflow_steps import (
    FORMAT_BUNDLES,
    GENERATE_MISSION_PLAN,
    JOIN_BUNDLES,
    PARSE_SECTIONS,
)
from tests.unit.fakes import (
    PLAN_MARKDOWN,
    PLAN_WITHOUT_SUMMARY,
    completed_output,
    generating_report,
    job_update,
)
from tests.unit.transitions.updates import NOW, QUEUED, apply, assert_unchanged, completed, step

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
