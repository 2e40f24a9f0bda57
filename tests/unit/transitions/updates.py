"""The context, updates and checks the transition tests share."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.jobs import JobOutput, JobUpdate, JobUpdateType
from domain.report import MissionReport, Progress
from domain.transitions import Transition, TransitionContext, apply_update
from tests.unit.fakes import (
    CATALOG_BUNDLES,
    MISSION_GENERATION_STEPS,
    T0,
    completed_output,
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
