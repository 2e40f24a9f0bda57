"""`submit_mission_plan`: what it stores, sends and publishes.

And what it refuses: bad input, a fourth active plan, an unavailable LLM service.
"""

from __future__ import annotations

import pytest

from domain.errors import ActiveJobLimitReached, InvalidInput, LLMServiceUnavailable, ReportNotFound
from domain.event_log import EventType, ProgressPayload
from domain.operations import cancel_mission_plan, submit_mission_plan
from domain.report import MissionStatus, Progress
from domain.wizard import FamilyMember, Location
from domain.workflow import WorkflowDefinition, WorkflowStepDefinition
from tests.unit.fakes import T0, FakeLLMService, Fakes, SubmittedJob, make_fakes, valid_input
from tests.unit.operations.steps import OTHER_USER, QUEUED, USER, fail, stored, submit


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
