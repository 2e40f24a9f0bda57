"""submit / cancel / retry / dismiss against in-memory fakes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.errors import (
    ActiveJobLimitReached,
    CannotCancelCompleted,
    IdempotencyKeyConflict,
    IdempotencyKeyInFlight,
    InvalidInput,
    LLMServiceUnavailable,
    NotificationNotFound,
    NotRetryable,
    PermanentFailure,
    ReportNotFound,
)
from domain.event_log import EventType, FailedPayload, ProgressPayload
from domain.job_updates import apply_job_update
from domain.jobs import JobUpdateType
from domain.notifications import Notification
from domain.operations import (
    IN_FLIGHT_RETRY_AFTER_SECONDS,
    cancel_mission_plan,
    dismiss_notification,
    retry_mission_plan,
    submit_mission_plan,
)
from domain.report import MissionReport, MissionStatus, Progress, ReportError
from domain.wizard import FamilyMember, Location
from domain.workflow import WorkflowDefinition, WorkflowStepDefinition
from tests.support.waiting import wait_until
from tests.support.workflow_steps import GENERATE_MISSION_PLAN
from tests.unit.fakes import (
    T0,
    FakeLLMService,
    Fakes,
    SubmittedJob,
    completed_output,
    generating_report,
    job_update,
    make_fakes,
    valid_input,
)

USER = "user-1"
OTHER_USER = "user-2"
MODEL_DOWN = ReportError("model_unavailable", "The model did not answer.", True)

# Step 0 of the six mission_generation steps, at 0%: never "of 0".
QUEUED = Progress("queued", "Queued", 0, 6, 0.0)


@pytest.fixture
def fakes() -> Fakes:
    return make_fakes()


async def submit(fakes: Fakes, user_id: str = USER, key: str | None = None) -> MissionReport:
    return await submit_mission_plan(fakes.deps, user_id, valid_input(), key)


async def fail(fakes: Fakes, report: MissionReport, error: ReportError = MODEL_DOWN) -> None:
    update = job_update(
        JobUpdateType.FAILED,
        job_id=report.job_id or "",
        report_id=report.id,
        attempt=report.attempt,
        sequence=report.last_job_sequence + 1,
        error=error,
    )
    assert await apply_job_update(fakes.deps, update)


async def complete(fakes: Fakes, report: MissionReport) -> None:
    update = job_update(
        JobUpdateType.COMPLETED,
        job_id=report.job_id or "",
        report_id=report.id,
        attempt=report.attempt,
        sequence=report.last_job_sequence + 1,
        output=completed_output(),
    )
    assert await apply_job_update(fakes.deps, update)


def stored(fakes: Fakes, report_id: str) -> MissionReport:
    return fakes.store.reports[report_id]


# --- submit ------------------------------------------------------------------------


async def test_submit_stores_a_generating_report_with_its_job(fakes: Fakes) -> None:
    report = await submit(fakes)

    assert report.status is MissionStatus.GENERATING
    assert report.job_id == "job-1"
    assert report.user_id == USER
    assert report.attempt == 1
    assert report.progress == QUEUED
    assert report.created_at == T0
    assert stored(fakes, report.id) == report


async def test_the_queued_progress_counts_the_steps_of_the_workflow_definition() -> None:
    three_steps = WorkflowDefinition(
        "mission_generation",
        tuple(WorkflowStepDefinition(f"s{i}", f"Step {i}", "", 1) for i in range(3)),
    )
    fakes = make_fakes(llm=FakeLLMService(three_steps))

    report = await submit(fakes)

    assert report.progress == Progress("queued", "Queued", 0, 3, 0.0)
    [event] = fakes.store.events_of(report.id)
    assert event.payload == ProgressPayload(Progress("queued", "Queued", 0, 3, 0.0), 1)


async def test_submit_writes_one_queued_event_and_publishes_it_after_commit(fakes: Fakes) -> None:
    report = await submit(fakes)

    [event] = fakes.store.events_of(report.id)
    assert event.type is EventType.PROGRESS
    assert event.sequence == 1
    assert event.user_id == USER
    assert event.payload == ProgressPayload(QUEUED, attempt=1)
    assert fakes.publisher.published == [event]
    assert fakes.publisher.committed_when_published == [True]
    assert report.last_sequence == 1


async def test_submit_sends_the_wizard_and_bundles_with_metadata(fakes: Fakes) -> None:
    report = await submit(fakes)

    bundles = await fakes.catalog.bundles_for_scenarios(["HURRICANE", "POWER_GRID_FAILURE"])
    assert [b["id"] for b in bundles] == [
        "go-bag-72h",
        "water-storage-kit",
        "solar-generator-2kwh",
    ]
    assert fakes.llm.submitted == [
        SubmittedJob(
            job_id="job-1",
            workflow_name="mission_generation",
            input_data={"wizard": valid_input().to_dict(), "bundles": bundles},
            metadata={"report_id": report.id, "user_id": USER, "attempt": 1},
        )
    ]


async def test_submit_stores_and_sends_the_normalised_input(fakes: Fakes) -> None:
    messy = valid_input(location=Location(city="  Miami ", state="FL ", country="us"))

    report = await submit_mission_plan(fakes.deps, USER, messy)

    assert report.input.location == Location(city="Miami", state="FL", country="US")
    assert fakes.llm.submitted[0].input_data["wizard"] == report.input.to_dict()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"duration_days": 2}, "durationDays"),
        ({"scenarios": ()}, "scenarios"),
        ({"family_members": (FamilyMember(age=121),)}, "familyMembers[0].age"),
        ({"pet_count": -1}, "petCount"),
    ],
)
async def test_invalid_input_is_rejected_before_anything_happens(
    fakes: Fakes, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await submit_mission_plan(fakes.deps, USER, valid_input(**changes))

    assert field in [error.field for error in raised.value.errors]
    assert field in raised.value.message
    assert fakes.store.reports == {}
    assert fakes.store.events == []
    assert fakes.llm.submitted == []
    assert fakes.publisher.published == []


@pytest.mark.parametrize("key", ["", "k" * 256])
async def test_idempotency_key_of_bad_length_is_invalid_input(fakes: Fakes, key: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await submit(fakes, key=key)

    assert [error.field for error in raised.value.errors] == ["idempotencyKey"]
    assert fakes.store.reports == {}
    assert fakes.llm.submitted == []


async def test_idempotency_key_of_maximum_length_is_accepted(fakes: Fakes) -> None:
    report = await submit(fakes, key="k" * 255)

    assert report.idempotency_key == "k" * 255


async def test_bad_input_and_bad_key_are_reported_together(fakes: Fakes) -> None:
    with pytest.raises(InvalidInput) as raised:
        await submit_mission_plan(fakes.deps, USER, valid_input(duration_days=1), "")

    fields = [error.field for error in raised.value.errors]
    assert "durationDays" in fields
    assert "idempotencyKey" in fields


async def test_same_idempotency_key_returns_the_same_report_and_submits_once(
    fakes: Fakes,
) -> None:
    first = await submit(fakes, key="request-1")
    fakes.clock.advance(seconds=5)
    second = await submit(fakes, key="request-1")

    assert second == first
    assert len(fakes.store.reports) == 1
    assert len(fakes.llm.submitted) == 1
    assert len(fakes.publisher.published) == 1


async def test_idempotency_keys_are_per_user(fakes: Fakes) -> None:
    mine = await submit(fakes, USER, key="request-1")
    theirs = await submit(fakes, OTHER_USER, key="request-1")

    assert theirs.id != mine.id
    assert theirs.user_id == OTHER_USER
    assert len(fakes.llm.submitted) == 2


async def test_replaying_a_key_at_the_active_limit_returns_the_report(fakes: Fakes) -> None:
    first = await submit(fakes, key="request-1")
    await submit(fakes)
    await submit(fakes)

    assert await submit(fakes, key="request-1") == first


async def test_idempotency_key_is_freed_when_the_report_fails(fakes: Fakes) -> None:
    first = await submit(fakes, key="request-1")
    await fail(fakes, first)

    second = await submit(fakes, key="request-1")

    assert second.id != first.id
    assert second.status is MissionStatus.GENERATING
    assert second.job_id == "job-2"
    assert stored(fakes, first.id).status is MissionStatus.FAILED
    assert stored(fakes, first.id).idempotency_key is None


async def test_idempotency_key_is_freed_when_the_report_is_cancelled(fakes: Fakes) -> None:
    first = await submit(fakes, key="request-1")
    await cancel_mission_plan(fakes.deps, USER, first.id)

    second = await submit(fakes, key="request-1")

    assert second.id != first.id
    assert list(fakes.store.reports) == [second.id]


async def test_a_concurrent_winner_of_the_same_key_is_returned(fakes: Fakes) -> None:
    winner = generating_report(id="winner", user_id=USER, idempotency_key="request-1")

    def concurrent_request_commits_first(_: MissionReport) -> None:
        fakes.store.reports[winner.id] = winner

    fakes.store.before_add = concurrent_request_commits_first

    assert await submit(fakes, key="request-1") == winner
    assert list(fakes.store.reports) == [winner.id]
    assert fakes.store.events == []
    assert fakes.llm.submitted == []


async def test_the_fourth_active_submission_is_refused(fakes: Fakes) -> None:
    for _ in range(3):
        await submit(fakes)

    with pytest.raises(ActiveJobLimitReached) as raised:
        await submit(fakes)

    assert raised.value.limit == 3
    assert raised.value.retry_after_seconds == 60
    assert len(fakes.store.reports) == 3
    assert len(fakes.llm.submitted) == 3
    assert len(fakes.publisher.published) == 3


async def test_the_active_limit_is_per_user_and_counts_only_generating(fakes: Fakes) -> None:
    reports = [await submit(fakes) for _ in range(3)]
    await submit(fakes, OTHER_USER)

    await fail(fakes, reports[0])
    replacement = await submit(fakes)

    assert replacement.status is MissionStatus.GENERATING


async def test_the_active_limit_is_configurable() -> None:
    fakes = make_fakes(max_active_jobs=1, retry_after_seconds=30)
    await submit(fakes)

    with pytest.raises(ActiveJobLimitReached) as raised:
        await submit(fakes)

    assert raised.value.retry_after_seconds == 30


async def test_llm_unavailable_at_submit_leaves_nothing(fakes: Fakes) -> None:
    fakes.llm.unavailable_on_submit = True

    with pytest.raises(LLMServiceUnavailable):
        await submit(fakes, key="request-1")

    assert fakes.store.reports == {}
    assert fakes.store.events == []
    assert fakes.publisher.published == []

    fakes.llm.unavailable_on_submit = False
    report = await submit(fakes, key="request-1")
    assert report.job_id == "job-1"


async def test_cancelling_while_the_job_is_submitted_stops_that_job(fakes: Fakes) -> None:
    async def cancel_meanwhile() -> None:
        [report_id] = fakes.store.reports
        await cancel_mission_plan(fakes.deps, USER, report_id)

    fakes.llm.during_submit = cancel_meanwhile

    with pytest.raises(ReportNotFound):
        await submit(fakes)

    assert fakes.store.reports == {}
    assert fakes.llm.cancelled == ["job-1"]


# --- cancel ------------------------------------------------------------------------


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


# --- retry -------------------------------------------------------------------------


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


# --- dismiss -----------------------------------------------------------------------


def _notification(user_id: str = USER) -> Notification:
    return Notification(
        id="note-1",
        user_id=user_id,
        report_id="report-1",
        kind="PLAN_READY",
        title="Your plan is ready",
        body="Your mission plan for Miami, FL is ready to read.",
        created_at=T0,
    )


async def test_dismiss_marks_the_notification_dismissed(fakes: Fakes) -> None:
    fakes.store.notifications["note-1"] = _notification()
    fakes.clock.advance(minutes=2)

    dismissed = await dismiss_notification(fakes.deps, USER, "note-1")

    assert dismissed.dismissed_at == T0 + timedelta(minutes=2)
    assert fakes.store.notifications["note-1"] == dismissed


async def test_dismissing_twice_keeps_the_first_time(fakes: Fakes) -> None:
    fakes.store.notifications["note-1"] = _notification()
    first = await dismiss_notification(fakes.deps, USER, "note-1")
    fakes.clock.advance(minutes=5)

    second = await dismiss_notification(fakes.deps, USER, "note-1")

    assert second == first
    assert fakes.store.notifications["note-1"].dismissed_at == T0


async def test_only_the_owner_can_dismiss(fakes: Fakes) -> None:
    fakes.store.notifications["note-1"] = _notification(OTHER_USER)

    with pytest.raises(NotificationNotFound):
        await dismiss_notification(fakes.deps, USER, "note-1")
    with pytest.raises(NotificationNotFound):
        await dismiss_notification(fakes.deps, USER, "no-such-note")

    assert fakes.store.notifications["note-1"].dismissed_at is None


async def test_a_completed_plan_leaves_a_notification_to_dismiss(fakes: Fakes) -> None:
    report = await submit(fakes)
    await complete(fakes, report)
    [notification] = fakes.store.notifications.values()

    dismissed = await dismiss_notification(fakes.deps, USER, notification.id)

    assert dismissed.report_id == report.id
    assert dismissed.is_dismissed


# --- the same key while the first request is still submitting --------------------


async def test_a_second_submit_with_the_key_waits_until_the_first_has_its_job(
    fakes: Fakes,
) -> None:
    second: list[asyncio.Task[MissionReport]] = []

    async def second_request_meanwhile() -> None:
        fakes.llm.during_submit = None
        second.append(asyncio.create_task(submit(fakes, key="same-key")))
        await wait_until(lambda: fakes.sleep.slept, interval=0, what="the second to wait")
        assert not second[0].done(), "answered before the first request's job existed"

    fakes.llm.during_submit = second_request_meanwhile
    first = await submit(fakes, key="same-key")
    answer = await second[0]
    assert answer.id == first.id
    assert answer.job_id == first.job_id == "job-1"
    assert len(fakes.llm.submitted) == 1


async def test_when_the_first_submit_fails_the_waiting_one_tries_itself(fakes: Fakes) -> None:
    waiting: list[asyncio.Task[MissionReport]] = []

    async def second_request_then_fail() -> None:
        fakes.llm.during_submit = None
        waiting.append(asyncio.create_task(submit(fakes, key="same-key")))
        await wait_until(lambda: fakes.sleep.slept, interval=0, what="the second to wait")
        raise LLMServiceUnavailable("connection refused")

    fakes.llm.during_submit = second_request_then_fail
    with pytest.raises(LLMServiceUnavailable):
        await submit(fakes, key="same-key")
    second = await waiting[0]
    assert second.job_id == "job-1"
    assert list(fakes.store.reports) == [second.id]


async def test_a_second_submit_gives_up_when_the_first_never_gets_its_job(fakes: Fakes) -> None:
    first_started = asyncio.Event()

    async def hang_mid_submit() -> None:
        first_started.set()
        await asyncio.Event().wait()

    fakes.llm.during_submit = hang_mid_submit
    first = asyncio.create_task(submit(fakes, key="same-key"))
    await first_started.wait()
    fakes.llm.during_submit = None

    with pytest.raises(IdempotencyKeyInFlight) as raised:
        await submit(fakes, key="same-key")

    # Not "the generator is down": the key is busy, and the answer says when to ask again.
    assert not isinstance(raised.value, LLMServiceUnavailable)
    assert raised.value.retry_after_seconds == IN_FLIGHT_RETRY_AFTER_SECONDS
    assert "still starting" in raised.value.message
    # It waited the whole submit_wait_seconds, on the fake clock: no wall time passed.
    assert fakes.clock.now() - T0 == timedelta(seconds=fakes.deps.submit_wait_seconds)
    assert len(fakes.llm.submitted) == 0
    first.cancel()


async def test_a_submit_that_keeps_losing_its_key_to_failing_rivals_is_told_to_retry(
    fakes: Fakes,
) -> None:
    """Each round another request takes the key first, then fails to start its job."""
    rivals: list[str] = []

    def a_rival_takes_the_key_then_lets_it_go(_: MissionReport) -> None:
        rival = generating_report(
            id=f"rival-{len(rivals)}", job_id=None, idempotency_key="same-key"
        )
        rivals.append(rival.id)
        fakes.store.reports[rival.id] = rival
        # Discarded by the time the waiting request polls again (FakeSleep yields once).
        asyncio.get_running_loop().call_soon(fakes.store.reports.pop, rival.id)

    fakes.store.before_add = a_rival_takes_the_key_then_lets_it_go

    with pytest.raises(IdempotencyKeyInFlight) as raised:
        await submit(fakes, key="same-key")

    assert len(rivals) == 3
    assert raised.value.retry_after_seconds == IN_FLIGHT_RETRY_AFTER_SECONDS
    await asyncio.sleep(0)  # the last rival lets its key go too
    assert fakes.store.reports == {}
    assert fakes.llm.submitted == []


async def test_reusing_a_key_with_a_different_input_is_a_conflict(fakes: Fakes) -> None:
    first = await submit(fakes, key="k")
    with pytest.raises(IdempotencyKeyConflict):
        await submit_mission_plan(fakes.deps, USER, valid_input(duration_days=30), "k")
    assert list(fakes.store.reports) == [first.id]
    assert len(fakes.llm.submitted) == 1
    # The same input with padding normalises to the same plan: not a conflict.
    padded = valid_input(location=Location(city="  Miami ", state="FL", postal_code="33101"))
    again = await submit_mission_plan(fakes.deps, USER, padded, "k")
    assert again.id == first.id
