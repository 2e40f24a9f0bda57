"""Applying job updates exactly once: webhooks, status polls and the stale-report sweeper."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.event_log import EventType
from domain.failures import INVALID_RESULT
from domain.job_updates import apply_job_update
from domain.jobs import JobUpdateType
from domain.operations import retry_mission_plan, submit_mission_plan
from domain.reconciliation import reconcile_report, sweep_stale_reports
from domain.report import MissionReport, MissionStatus
from domain.transitions import JOB_LOST
from tests.support.workflow_steps import BUILD_USER_MESSAGE, FORMAT_BUNDLES, JOIN_BUNDLES
from tests.unit.fakes import (
    T0,
    Fakes,
    completed_output,
    generating_report,
    job_update,
    make_fakes,
    valid_input,
)

USER = "user-1"


@pytest.fixture
def fakes() -> Fakes:
    return make_fakes()


async def submitted(fakes: Fakes) -> MissionReport:
    return await submit_mission_plan(fakes.deps, USER, valid_input())


def stored(fakes: Fakes, report_id: str) -> MissionReport:
    return fakes.store.reports[report_id]


# --- apply_job_update ------------------------------------------------------------


async def test_an_update_changes_the_report_and_publishes_after_commit(fakes: Fakes) -> None:
    report = await submitted(fakes)
    update = job_update(JobUpdateType.STEP_STARTED, report_id=report.id, step_id=JOIN_BUNDLES)

    assert await apply_job_update(fakes.deps, update, webhook_id="wh-1")

    assert stored(fakes, report.id).progress.step_name == "Joining Bundles"
    queued, progress = fakes.store.events_of(report.id)
    assert progress.type is EventType.PROGRESS
    assert fakes.publisher.published == [queued, progress]
    assert fakes.publisher.committed_when_published == [True, True]
    assert fakes.store.receipts == {"wh-1": ("job-1", "workflow.step_started")}


async def test_a_duplicate_webhook_is_applied_once(fakes: Fakes) -> None:
    report = await submitted(fakes)
    update = job_update(JobUpdateType.STEP_STARTED, report_id=report.id, step_id=JOIN_BUNDLES)

    assert await apply_job_update(fakes.deps, update, webhook_id="wh-1") is True
    after_first = stored(fakes, report.id)
    assert await apply_job_update(fakes.deps, update, webhook_id="wh-1") is False

    assert stored(fakes, report.id) == after_first
    assert len(fakes.store.events_of(report.id)) == 2
    assert len(fakes.publisher.published) == 2


async def test_a_duplicate_completion_writes_one_notification(fakes: Fakes) -> None:
    report = await submitted(fakes)
    update = job_update(
        JobUpdateType.COMPLETED, report_id=report.id, sequence=12, output=completed_output()
    )

    await apply_job_update(fakes.deps, update, webhook_id="wh-done")
    await apply_job_update(fakes.deps, update, webhook_id="wh-done")
    # The same completion redelivered under a new webhook id finds a terminal report.
    assert await apply_job_update(fakes.deps, update, webhook_id="wh-done-again") is False

    assert stored(fakes, report.id).status is MissionStatus.COMPLETED
    [notification] = fakes.store.notifications.values()
    assert notification.report_id == report.id
    types = [e.type for e in fakes.store.events_of(report.id)]
    assert types == [EventType.PROGRESS, EventType.COMPLETED, EventType.NOTIFICATION]


@pytest.mark.parametrize(
    ("job_id", "report_id"),
    [("job-999", None), ("job-1", "no-such-report")],
    ids=["unknown-job", "unknown-report"],
)
async def test_an_update_for_an_unknown_job_or_report_is_acknowledged_and_ignored(
    fakes: Fakes, job_id: str, report_id: str | None
) -> None:
    report = await submitted(fakes)
    update = job_update(
        JobUpdateType.COMPLETED, job_id=job_id, report_id=report_id, output=completed_output()
    )

    assert await apply_job_update(fakes.deps, update, webhook_id="wh-1") is False

    assert fakes.store.reports == {report.id: report}
    assert len(fakes.store.events) == 1
    assert fakes.store.notifications == {}
    assert len(fakes.publisher.published) == 1
    # The receipt is kept: a redelivery is recognised without looking the job up again.
    assert "wh-1" in fakes.store.receipts


async def test_an_update_found_by_job_id_alone_is_applied(fakes: Fakes) -> None:
    report = await submitted(fakes)
    update = job_update(
        JobUpdateType.PROGRESS,
        report_id=None,
        attempt=None,
        step_id=FORMAT_BUNDLES,
        finished=True,
    )

    assert await apply_job_update(fakes.deps, update)

    assert stored(fakes, report.id).progress.percentage == 5.0


async def test_an_update_of_an_earlier_attempt_is_ignored(fakes: Fakes) -> None:
    report = await submitted(fakes)
    failed = job_update(JobUpdateType.FAILED, report_id=report.id)
    await apply_job_update(fakes.deps, failed)
    retried = await retry_mission_plan(fakes.deps, USER, report.id)
    events_before = list(fakes.store.events)

    late_updates = [
        # attempt 1's metadata
        job_update(
            JobUpdateType.COMPLETED, report_id=report.id, attempt=1, output=completed_output()
        ),
        # no metadata: found by job id, which the report no longer has
        job_update(
            JobUpdateType.COMPLETED, report_id=None, attempt=None, output=completed_output()
        ),
        # the report's id without an attempt, from the old job
        job_update(JobUpdateType.CANCELLED, report_id=report.id, attempt=None),
    ]
    for late in late_updates:
        assert await apply_job_update(fakes.deps, late) is False

    assert stored(fakes, report.id) == retried
    assert fakes.store.events == events_before


async def test_a_webhook_arriving_before_the_job_id_is_stored_is_applied(fakes: Fakes) -> None:
    async def first_webhook_overtakes_the_submit_response() -> None:
        [report_id] = fakes.store.reports
        update = job_update(JobUpdateType.STEP_STARTED, report_id=report_id, step_id=FORMAT_BUNDLES)
        assert await apply_job_update(fakes.deps, update, webhook_id="wh-1")

    fakes.llm.during_submit = first_webhook_overtakes_the_submit_response

    report = await submitted(fakes)

    assert report.job_id == "job-1"
    assert report.progress.step_id == FORMAT_BUNDLES
    assert stored(fakes, report.id) == report


# --- reconcile_report ------------------------------------------------------------


async def test_reconcile_applies_the_jobs_current_state(fakes: Fakes) -> None:
    report = await submitted(fakes)
    fakes.llm.jobs["job-1"] = job_update(
        JobUpdateType.COMPLETED, report_id=report.id, sequence=14, output=completed_output()
    )

    assert await reconcile_report(fakes.deps, report) is True

    assert fakes.llm.job_queries == ["job-1"]
    done = stored(fakes, report.id)
    assert done.status is MissionStatus.COMPLETED
    assert done.progress.percentage == 100.0
    assert len(fakes.store.notifications) == 1


async def test_reconcile_fails_a_job_the_service_does_not_know(fakes: Fakes) -> None:
    report = await submitted(fakes)
    fakes.clock.advance(minutes=10)

    assert await reconcile_report(fakes.deps, report) is True

    lost = stored(fakes, report.id)
    assert lost.status is MissionStatus.FAILED
    assert lost.error == JOB_LOST
    assert lost.error.code == "job_lost"
    assert lost.error.retryable
    assert lost.completed_at == T0 + timedelta(minutes=10)
    failed_event = fakes.store.events_of(report.id)[-1]
    assert failed_event.type is EventType.FAILED
    assert fakes.publisher.published[-1] == failed_event


async def test_reconcile_leaves_a_running_job_generating(fakes: Fakes) -> None:
    report = await submitted(fakes)
    fakes.llm.jobs["job-1"] = job_update(
        JobUpdateType.STEP_STARTED, report_id=report.id, sequence=3, step_id=BUILD_USER_MESSAGE
    )

    assert await reconcile_report(fakes.deps, report) is True

    assert stored(fakes, report.id).status is MissionStatus.GENERATING
    assert stored(fakes, report.id).progress.percentage == 15.0


async def test_reconcile_does_not_ask_about_a_finished_report(fakes: Fakes) -> None:
    report = await submitted(fakes)
    await apply_job_update(fakes.deps, job_update(JobUpdateType.FAILED, report_id=report.id))

    assert await reconcile_report(fakes.deps, stored(fakes, report.id)) is False

    assert fakes.llm.job_queries == []


async def test_reconcile_fails_a_stale_report_that_never_got_a_job(fakes: Fakes) -> None:
    report = generating_report(job_id=None)
    fakes.store.reports[report.id] = report

    assert await reconcile_report(fakes.deps, report) is True

    assert fakes.llm.job_queries == []
    assert stored(fakes, report.id).error == JOB_LOST


# --- sweep_stale_reports -----------------------------------------------------------


async def test_the_sweep_reconciles_only_generating_reports_older_than_the_threshold(
    fakes: Fakes,
) -> None:
    old = generating_report(id="old", job_id="job-old", updated_at=T0)
    fresh = generating_report(id="fresh", job_id="job-fresh", updated_at=T0 + timedelta(minutes=8))
    finished = generating_report(
        id="finished", job_id="job-finished", status=MissionStatus.FAILED, updated_at=T0
    )
    for report in (old, fresh, finished):
        fakes.store.reports[report.id] = report
    fakes.clock.set(T0 + timedelta(minutes=10))

    changed = await sweep_stale_reports(fakes.deps, stale_after=timedelta(minutes=5))

    assert changed == 1
    assert fakes.llm.job_queries == ["job-old"]
    assert stored(fakes, "old").status is MissionStatus.FAILED
    assert stored(fakes, "old").error == JOB_LOST
    assert stored(fakes, "fresh") == fresh
    assert stored(fakes, "finished") == finished


async def test_the_sweep_counts_only_reports_that_changed(fakes: Fakes) -> None:
    for name in ("a", "b"):
        fakes.store.reports[name] = generating_report(id=name, job_id=f"job-{name}")
    # Job "a" is still queued: the service answers with nothing new.
    fakes.llm.jobs["job-a"] = job_update(
        JobUpdateType.STARTED, job_id="job-a", report_id="a", sequence=1
    )
    fakes.clock.advance(hours=1)

    assert await sweep_stale_reports(fakes.deps, stale_after=timedelta(minutes=5)) == 1

    assert stored(fakes, "a").status is MissionStatus.GENERATING
    assert stored(fakes, "b").status is MissionStatus.FAILED


async def test_the_sweep_honours_its_limit_oldest_first(fakes: Fakes) -> None:
    for minute in range(3):
        report = generating_report(
            id=f"r{minute}", job_id=f"job-{minute}", updated_at=T0 + timedelta(minutes=minute)
        )
        fakes.store.reports[report.id] = report
    fakes.clock.advance(hours=1)

    assert await sweep_stale_reports(fakes.deps, timedelta(minutes=5), limit=2) == 2

    assert fakes.llm.job_queries == ["job-0", "job-1"]
    assert stored(fakes, "r2").status is MissionStatus.GENERATING


# --- poison results (issue 6, point 4) ---------------------------------------------


async def test_one_report_that_cannot_be_reconciled_does_not_stop_the_sweep(
    fakes: Fakes,
) -> None:
    poison = generating_report(id="poison", job_id="job-poison", updated_at=T0)
    later = generating_report(id="later", job_id="job-later", updated_at=T0 + timedelta(minutes=1))
    for report in (poison, later):
        fakes.store.reports[report.id] = report
    fakes.llm.job_errors["job-poison"] = RuntimeError("an answer nobody expected")
    fakes.clock.set(T0 + timedelta(minutes=10))

    changed = await sweep_stale_reports(fakes.deps, stale_after=timedelta(minutes=5))

    # The oldest report fails to reconcile on every round; the one behind it is not held up.
    assert fakes.llm.job_queries == ["job-poison", "job-later"]
    assert changed == 1
    assert stored(fakes, "later").error == JOB_LOST
    assert stored(fakes, "poison") == poison


async def test_a_result_the_database_refuses_fails_the_report_as_invalid_result(
    fakes: Fakes,
) -> None:
    report = await submitted(fakes)
    fakes.store.refuse_plans_containing = "Executive Summary"
    update = job_update(JobUpdateType.COMPLETED, report_id=report.id, output=completed_output())

    assert await apply_job_update(fakes.deps, update, webhook_id="wh-poison") is True

    failed = stored(fakes, report.id)
    assert failed.status is MissionStatus.FAILED
    assert failed.error == INVALID_RESULT and failed.error.retryable
    assert failed.plan is None
    assert fakes.store.events_of(report.id)[-1].type is EventType.FAILED
    # The receipt is kept with the failure, so a redelivery changes nothing.
    assert "wh-poison" in fakes.store.receipts
    assert await apply_job_update(fakes.deps, update, webhook_id="wh-poison") is False
