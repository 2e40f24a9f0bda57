"""`cancel_mission_plan`: stops the job, deletes the report, tells only its owner."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import CannotCancelCompleted, LLMServiceUnavailable, ReportNotFound
from domain.event_log import EventType
from domain.operations import cancel_mission_plan
from tests.unit.fakes import T0, Fakes
from tests.unit.operations.steps import OTHER_USER, USER, complete, stored, submit


async def test_cancel_stops_the_job_deletes_the_report_and_logs_it(fakes: Fakes) -> None:
    report = await submit(fakes)
    fakes.clock.advance(seconds=3)

    await cancel_mission_plan(fakes.deps, USER, report.id)

    assert fakes.llm.cancelled == ["job-1"]
    assert report.id not in fakes.store.reports
    queued, cancelled = fakes.store.events_of(report.id)
    assert cancelled.type is EventType.CANCELLED
    assert cancelled.sequence == queued.sequence + 1
    assert cancelled.user_id == USER
    assert cancelled.occurred_at == T0 + timedelta(seconds=3)
    assert fakes.publisher.published[-1] == cancelled
    assert fakes.publisher.committed_when_published == [True, True]


async def test_cancelling_twice_succeeds_and_changes_nothing(fakes: Fakes) -> None:
    report = await submit(fakes)
    await cancel_mission_plan(fakes.deps, USER, report.id)

    await cancel_mission_plan(fakes.deps, USER, report.id)

    assert fakes.llm.cancelled == ["job-1"]
    assert len(fakes.store.events_of(report.id)) == 2
    assert len(fakes.publisher.published) == 2


async def test_cancelling_someone_elses_report_looks_like_a_missing_one(fakes: Fakes) -> None:
    report = await submit(fakes, OTHER_USER)

    with pytest.raises(ReportNotFound) as theirs:
        await cancel_mission_plan(fakes.deps, USER, report.id)
    with pytest.raises(ReportNotFound) as missing:
        await cancel_mission_plan(fakes.deps, USER, "no-such-report")

    assert theirs.value.message == missing.value.message
    assert stored(fakes, report.id) == report
    assert fakes.llm.cancelled == []
    assert len(fakes.store.events_of(report.id)) == 1


async def test_cancelling_someone_elses_cancelled_report_is_not_found(fakes: Fakes) -> None:
    report = await submit(fakes, OTHER_USER)
    await cancel_mission_plan(fakes.deps, OTHER_USER, report.id)

    with pytest.raises(ReportNotFound):
        await cancel_mission_plan(fakes.deps, USER, report.id)


async def test_a_completed_plan_cannot_be_cancelled(fakes: Fakes) -> None:
    report = await submit(fakes)
    await complete(fakes, report)
    before = stored(fakes, report.id)

    with pytest.raises(CannotCancelCompleted):
        await cancel_mission_plan(fakes.deps, USER, report.id)

    assert stored(fakes, report.id) == before
    assert fakes.llm.cancelled == []


async def test_cancel_with_the_llm_unavailable_leaves_the_report(fakes: Fakes) -> None:
    report = await submit(fakes)
    fakes.llm.unavailable_on_cancel = True

    with pytest.raises(LLMServiceUnavailable):
        await cancel_mission_plan(fakes.deps, USER, report.id)

    assert stored(fakes, report.id) == report
    assert len(fakes.store.events_of(report.id)) == 1
    assert len(fakes.publisher.published) == 1
