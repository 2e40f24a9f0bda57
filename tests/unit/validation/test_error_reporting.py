"""How `validate_mission_input` reports what is wrong: every error at once, in known codes."""

from __future__ import annotations

import dataclasses

import pytest

from domain.field_errors import FieldError, FieldErrorCode, InvalidMissionInput
from domain.validation import validate_mission_input
from domain.wizard import FamilyMember, Location, Scenario
from tests.unit.builders import valid_input
from tests.unit.validation.inputs import errors_of

ERROR_CODES = {
    "required",
    "too_short",
    "too_long",
    "out_of_range",
    "too_few",
    "too_many",
    "duplicate",
    "invalid_format",
    "invalid_characters",
    "invalid_choice",
    "unknown_country",
}


def test_every_error_is_reported_at_once() -> None:
    candidate = valid_input(
        location=Location(city="", state="FL", country="USA"),
        scenarios=(Scenario.FLOOD, Scenario.FLOOD),
        family_members=(FamilyMember(age=130, medical_needs=("",)),),
        budget_tier="cheap",
        duration_days=1,
        pet_count=99,
        notes="x" * 3000,
    )
    assert errors_of(candidate) == [
        ("location.city", "required"),
        ("location.country", "invalid_format"),
        ("scenarios[1]", "duplicate"),
        ("familyMembers[0].age", "out_of_range"),
        ("familyMembers[0].medicalNeeds[0]", "too_short"),
        ("budgetTier", "invalid_choice"),
        ("durationDays", "out_of_range"),
        ("petCount", "out_of_range"),
        ("notes", "too_long"),
    ]


def test_errors_use_known_codes_and_sentences() -> None:
    with pytest.raises(InvalidMissionInput) as raised:
        validate_mission_input(
            valid_input(location=Location(city="", state="x" * 101), scenarios=(), pet_count=-1)
        )
    for error in raised.value.errors:
        assert error.code in ERROR_CODES
        assert error.message[0].isupper() and error.message.endswith(".")
    assert "location.state" in str(raised.value)


def test_missing_location_and_mobility_plan_are_reported() -> None:
    candidate = valid_input(location=None, mobility_plan=None)
    assert errors_of(candidate) == [("location", "required"), ("mobilityPlan", "required")]


def test_field_errors_are_immutable_values() -> None:
    error = FieldError(field="petCount", message="m", code=FieldErrorCode.OUT_OF_RANGE)
    assert error == FieldError(field="petCount", message="m", code=FieldErrorCode.OUT_OF_RANGE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        error.code = FieldErrorCode.REQUIRED  # type: ignore[misc]
