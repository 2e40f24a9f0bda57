"""A valid wizard input to change one field at a time, and what the check says of it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from domain.field_errors import FieldError, InvalidMissionInput
from domain.validation import validate_mission_input
from domain.wizard import (
    BudgetTier,
    FamilyMember,
    Location,
    MissionPlanInput,
    MobilityPlan,
    MobilityStrategy,
    Scenario,
)


def make_input(**changes: Any) -> MissionPlanInput:
    base = MissionPlanInput(
        location=Location(city="Miami", state="FL", country="US", postal_code="33101"),
        scenarios=(Scenario.HURRICANE, Scenario.POWER_GRID_FAILURE),
        family_members=(
            FamilyMember(age=41, name="Ana", medical_needs=("type 1 diabetes",)),
            FamilyMember(age=9),
        ),
        mobility_plan=MobilityPlan(strategy=MobilityStrategy.FLEXIBLE, has_vehicle=True),
        budget_tier=BudgetTier.STANDARD,
        duration_days=14,
        pet_count=1,
        notes="Second floor apartment.",
    )
    return dataclasses.replace(base, **changes)


def with_location(**changes: Any) -> MissionPlanInput:
    return make_input(location=dataclasses.replace(make_input().location, **changes))


def with_member(index: int, **changes: Any) -> MissionPlanInput:
    members = list(make_input().family_members)
    members[index] = dataclasses.replace(members[index], **changes)
    return make_input(family_members=tuple(members))


def errors_of(candidate: MissionPlanInput) -> list[tuple[str, str]]:
    with pytest.raises(InvalidMissionInput) as raised:
        validate_mission_input(candidate)
    return [(error.field, error.code) for error in raised.value.errors]


def only_error(candidate: MissionPlanInput) -> FieldError:
    with pytest.raises(InvalidMissionInput) as raised:
        validate_mission_input(candidate)
    assert len(raised.value.errors) == 1, raised.value.errors
    return raised.value.errors[0]
