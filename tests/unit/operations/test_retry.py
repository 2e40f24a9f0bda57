"""`retry_mission_plan`: only a retryable failure, a new attempt with a new job, the active limit."""

from __future__ import annotations

import pytest

from domain.errors import (
    ActiveJobLimitReached,
    LLMServiceUnavailable,
    NotRetryable,
    PermanentFailure,
    ReportNotFound,
)
from domain.event_log import EventType, FailedPayload, ProgressPayload
from domain.job_updates import apply_job_update
from domain.jobs import JobUpdateType
from domain.operations import retry_mission_plan
from domain.report import MissionStatus, ReportError
from tests.support.workflow_steps import GENERATE_MISSION_PLAN
from tests.unit.fakes import Fakes, job_update
from tests.unit.operations.steps import (
    MODEL_DOWN,
    OTHER_USER,
    QUEUED,
    USER,
    complete,
    fail,
    stored,
    submit,
)


async def test_only_a_failed_report_can_be_retried(fakes: Fakes) -> None:
    generating = await submit(fakes)
    completed = await submit(fakes)
    await complete(fakes, completed)

    for report in (generating, completed):
        with pytest.raises(NotRetryable):
            await retry_mission_plan(fakes.deps, USER, report.id)

    assert len(fakes.llm.submitted) == 2


async def test_a_failure_marked_not_retryable_cannot_be_retried(fakes: Fakes) -> None:
    report = await submit(fakes)
    await fail(fakes, report, ReportError("invalid_input", "The answers are unusable.", False))
    before = stored(fakes, report.id)

    with pytest.raises(PermanentFailure) as refused:
        await retry_mission_plan(fakes.deps, USER, report.id)

    assert refused.value.error_code == "invalid_input"
    assert stored(fakes, report.id) == before
    assert len(fakes.llm.submitted) == 1


async def test_retry_starts_a_new_attempt_with_a_new_job(fakes: Fakes) -> None:
    report = await submit(fakes)
    await apply_job_update(
        fakes.deps,
        job_update(
            JobUpdateType.PROGRESS,
            report_id=report.id,
            step_id=GENERATE_MISSION_PLAN,
            finished=True,
            sequence=7,
        ),
    )
    await fail(fakes, stored(fakes, report.id))
    fakes.clock.advance(minutes=1)

    retried = await retry_mission_plan(fakes.deps, USER, report.id)

    assert retried.status is MissionStatus.GENERATING
    assert retried.attempt == 2
    assert retried.job_id == "job-2"
    assert retried.error is None
    assert retried.completed_at is None
    assert retried.progress == QUEUED
    assert retried.last_job_sequence == 0
    assert stored(fakes, report.id) == retried
    assert fakes.llm.submitted[1].metadata == {
        "report_id": report.id,
        "user_id": USER,
        "attempt": 2,
    }
    queued = fakes.store.events_of(report.id)[-1]
    assert queued.type is EventType.PROGRESS
    assert queued.payload == ProgressPayload(QUEUED, attempt=2)
    assert queued.sequence == retried.last_sequence
    assert fakes.publisher.published[-1] == queued
    assert all(fakes.publisher.committed_when_published)


async def test_retry_with_the_llm_unavailable_restores_the_failure(fakes: Fakes) -> None:
    report = await submit(fakes)
    await fail(fakes, report)
    failed = stored(fakes, report.id)
    fakes.llm.unavailable_on_submit = True

    with pytest.raises(LLMServiceUnavailable):
        await retry_mission_plan(fakes.deps, USER, report.id)

    restored = stored(fakes, report.id)
    assert restored.status is MissionStatus.FAILED
    assert restored.error == MODEL_DOWN
    assert restored.attempt == failed.attempt
    last = fakes.store.events_of(report.id)[-1]
    assert last.type is EventType.FAILED
    assert last.sequence == restored.last_sequence
    assert last.payload == FailedPayload(MODEL_DOWN, attempt=failed.attempt)
    assert fakes.publisher.published[-1] == last

    fakes.llm.unavailable_on_submit = False
    retried = await retry_mission_plan(fakes.deps, USER, report.id)
    assert retried.status is MissionStatus.GENERATING
    assert retried.attempt == 2


async def test_retrying_someone_elses_report_is_not_found(fakes: Fakes) -> None:
    report = await submit(fakes, OTHER_USER)
    await fail(fakes, report)
    before = stored(fakes, report.id)

    with pytest.raises(ReportNotFound):
        await retry_mission_plan(fakes.deps, USER, report.id)

    assert stored(fakes, report.id) == before
    assert len(fakes.llm.submitted) == 1


async def test_retry_respects_the_active_limit(fakes: Fakes) -> None:
    failed = await submit(fakes)
    await fail(fakes, failed)
    for _ in range(3):
        await submit(fakes)

    with pytest.raises(ActiveJobLimitReached):
        await retry_mission_plan(fakes.deps, USER, failed.id)

    assert stored(fakes, failed.id).status is MissionStatus.FAILED
