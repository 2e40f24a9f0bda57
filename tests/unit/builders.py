"""Test data for the domain unit tests: valid inputs, reports, job updates, plans."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from domain.jobs import JobOutput, JobUpdate, JobUpdateType
from domain.report import MissionReport, MissionStatus, ReportError
from domain.usage import StepUsage
from domain.wizard import (
    BudgetTier,
    FamilyMember,
    Location,
    MissionPlanInput,
    MobilityPlan,
    MobilityStrategy,
    Scenario,
)
from tests.support.workflow_steps import mission_generation_definition

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def valid_input(**changes: Any) -> MissionPlanInput:
    base = MissionPlanInput(
        location=Location(city="Miami", state="FL", country="US", postal_code="33101"),
        scenarios=(Scenario.HURRICANE, Scenario.POWER_GRID_FAILURE),
        family_members=(
            FamilyMember(age=41, name="Ana", medical_needs=("type 1 diabetes",)),
            FamilyMember(age=9, name="Leo"),
        ),
        mobility_plan=MobilityPlan(strategy=MobilityStrategy.FLEXIBLE, has_vehicle=True),
        budget_tier=BudgetTier.STANDARD,
        duration_days=14,
        pet_count=1,
        notes="Second floor apartment.",
    )
    return dataclasses.replace(base, **changes)


def generating_report(**changes: Any) -> MissionReport:
    """A report whose first attempt's job was submitted (its queued event is #1)."""
    base = MissionReport(
        id="report-1",
        user_id="user-1",
        input=valid_input(),
        status=MissionStatus.GENERATING,
        created_at=T0,
        updated_at=T0,
        progress=mission_generation_definition().queued_progress(),
        job_id="job-1",
        last_sequence=1,
    )
    return dataclasses.replace(base, **changes)


PLAN_MARKDOWN = """# Mission Plan: Miami, FL

## Executive Summary
The Rivera family of two lives on the second floor in Miami.

They should prepare for a hurricane and the grid failure that follows it.

## Risk Assessment
### Hurricane — HIGH
Miami sits in the hurricane belt.
### Power Grid Failure — MODERATE
Storms knock out power for days.

## Recommended Bundles
- **72-Hour Family Go-Bag** [bundle:go-bag-72h] — ready for a fast evacuation.
- **Water Storage Kit** [bundle:water-storage-kit] — two weeks of water.
- **Mystery Crate** [bundle:not-in-catalog] — the catalog does not know it.

## Survival Skills
- **Water purification** (priority: high) — tap water may be unsafe.
- **First aid and CPR** (priority: medium) — help may be far away.

## Day-by-Day Simulation
### Day 1: Landfall
Shelter in the interior bathroom.
### Day 2: Without power
Eat from the cooler first.

## Next Steps
1. Buy the go-bag.
2. Fill the water containers.
"""

PLAN_WITHOUT_SUMMARY = """# Mission Plan: Miami, FL

## Risk Assessment
### Hurricane — HIGH
Miami sits in the hurricane belt.
"""


def job_update(
    type_: JobUpdateType,
    *,
    sequence: int = 1,
    job_id: str = "job-1",
    report_id: str | None = "report-1",
    attempt: int | None = 1,
    step_id: str | None = None,
    finished: bool = False,
    output: JobOutput | None = None,
    error: ReportError | None = None,
    occurred_at: datetime = T0,
    usage: tuple[StepUsage, ...] = (),
    user_id: str | None = None,
) -> JobUpdate:
    return JobUpdate(
        job_id=job_id,
        type=type_,
        sequence=sequence,
        occurred_at=occurred_at,
        report_id=report_id,
        attempt=attempt,
        step_id=step_id,
        step_display_name=None,
        step_finished=finished,
        output=output,
        error=error,
        usage=usage,
        user_id=user_id,
    )


def completed_output(markdown: str = PLAN_MARKDOWN) -> JobOutput:
    return JobOutput(mission_plan=markdown)


def generation_usage(
    model: str = "offline-planner-v1", cost_usd: float | None = None
) -> tuple[StepUsage, ...]:
    """What a job reports its generation step used: 1,200 in, 3,400 out, 2.5 s."""
    return (StepUsage("generate_mission_plan", model, 1200, 3400, 2500, cost_usd),)
