"""The rules of each field of `validate_mission_input`, by field path and code."""

from __future__ import annotations

import pytest

from domain.validation import validate_mission_input
from domain.wizard import FamilyMember, MobilityPlan, MobilityStrategy, Scenario
from tests.unit.builders import valid_input
from tests.unit.validation.inputs import errors_of, only_error, with_location, with_member

# --- location -------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["city", "state"])
@pytest.mark.parametrize("value", ["", "   ", None])
def test_city_and_state_are_required(field: str, value: str | None) -> None:
    error = only_error(with_location(**{field: value}))
    assert (error.field, error.code) == (f"location.{field}", "required")


@pytest.mark.parametrize("field", ["city", "state"])
def test_city_and_state_are_at_most_100_characters(field: str) -> None:
    assert validate_mission_input(with_location(**{field: "x" * 100}))
    error = only_error(with_location(**{field: "x" * 101}))
    assert (error.field, error.code) == (f"location.{field}", "too_long")
    assert "at most 100 characters" in error.message


def test_city_must_be_text() -> None:
    assert errors_of(with_location(city=42)) == [("location.city", "invalid_format")]


@pytest.mark.parametrize("country", ["USA", "U", "U1", "1S", "ß", "ÜS", "U S"])
def test_country_must_look_like_an_iso_code(country: str) -> None:
    error = only_error(with_location(country=country))
    assert (error.field, error.code) == ("location.country", "invalid_format")
    assert "two-letter" in error.message


@pytest.mark.parametrize("postal_code", ["SW1A 1AA", "K1A-0B1", "1", "1234567890123456"])
def test_postal_codes_of_letters_digits_spaces_and_hyphens_are_accepted(postal_code: str) -> None:
    assert validate_mission_input(with_location(postal_code=postal_code))


def test_postal_code_is_at_most_16_characters() -> None:
    error = only_error(with_location(postal_code="1" * 17))
    assert (error.field, error.code) == ("location.postalCode", "too_long")


@pytest.mark.parametrize("postal_code", ["33101!", "331_01", "é3101", "33101/2"])
def test_postal_code_rejects_other_characters(postal_code: str) -> None:
    error = only_error(with_location(postal_code=postal_code))
    assert (error.field, error.code) == ("location.postalCode", "invalid_format")


@pytest.mark.parametrize("country", ["XX", "UK", "EU", "zz", "AA"])
def test_unknown_country_codes_are_refused(country: str) -> None:
    error = only_error(with_location(country=country))
    assert (error.field, error.code) == ("location.country", "unknown_country")
    assert country.upper() in error.message


@pytest.mark.parametrize("country", ["US", "ca", "GB", "ss", "AX", "DE"])
def test_assigned_country_codes_are_accepted(country: str) -> None:
    assert validate_mission_input(with_location(country=country)).location.country == (
        country.upper()
    )


# --- scenarios ------------------------------------------------------------------------


def test_at_least_one_scenario() -> None:
    error = only_error(valid_input(scenarios=()))
    assert (error.field, error.code) == ("scenarios", "too_few")
    assert "between 1 and 6 scenarios" in error.message


def test_at_most_six_scenarios() -> None:
    assert validate_mission_input(valid_input(scenarios=tuple(Scenario)[:6]))
    error = only_error(valid_input(scenarios=tuple(Scenario)[:7]))
    assert (error.field, error.code) == ("scenarios", "too_many")
    assert "(got 7)" in error.message


def test_a_repeated_scenario_is_named_by_the_index_of_the_repeat() -> None:
    scenarios = (Scenario.FLOOD, Scenario.HURRICANE, Scenario.FLOOD, Scenario.HURRICANE)
    assert errors_of(valid_input(scenarios=scenarios)) == [
        ("scenarios[2]", "duplicate"),
        ("scenarios[3]", "duplicate"),
    ]


def test_a_scenario_must_be_a_scenario() -> None:
    # Scenario subclasses str: the plain string must not pass for the member.
    candidate = valid_input(scenarios=(Scenario.FLOOD, "HURRICANE"))
    assert errors_of(candidate) == [("scenarios[1]", "invalid_choice")]


def test_scenarios_must_be_a_list() -> None:
    assert errors_of(valid_input(scenarios="HURRICANE")) == [("scenarios", "required")]


# --- family ---------------------------------------------------------------------------


def test_at_least_one_family_member() -> None:
    assert errors_of(valid_input(family_members=())) == [("familyMembers", "too_few")]


def test_at_most_twenty_family_members() -> None:
    assert validate_mission_input(valid_input(family_members=(FamilyMember(age=30),) * 20))
    error = only_error(valid_input(family_members=(FamilyMember(age=30),) * 21))
    assert (error.field, error.code) == ("familyMembers", "too_many")


@pytest.mark.parametrize("age", [0, 120])
def test_ages_at_the_limits_are_accepted(age: int) -> None:
    assert validate_mission_input(with_member(1, age=age))


@pytest.mark.parametrize("age", [-1, 121, True, "9", 9.5, None])
def test_age_is_a_whole_number_from_0_to_120(age: object) -> None:
    error = only_error(with_member(1, age=age))
    assert (error.field, error.code) == ("familyMembers[1].age", "out_of_range")
    assert "between 0 and 120" in error.message


def test_a_family_member_must_be_a_family_member() -> None:
    candidate = valid_input(family_members=(FamilyMember(age=3), {"age": 3}))
    assert errors_of(candidate) == [("familyMembers[1]", "invalid_format")]


def test_name_is_at_most_100_characters() -> None:
    assert validate_mission_input(with_member(1, name="n" * 100))
    error = only_error(with_member(1, name="n" * 101))
    assert (error.field, error.code) == ("familyMembers[1].name", "too_long")


def test_at_most_ten_medical_needs() -> None:
    assert validate_mission_input(with_member(0, medical_needs=("need",) * 10))
    error = only_error(with_member(0, medical_needs=("need",) * 11))
    assert (error.field, error.code) == ("familyMembers[0].medicalNeeds", "too_many")


def test_a_blank_medical_need_is_rejected_by_index() -> None:
    needs = ("asthma", "insulin", "wheelchair", "  ")
    error = only_error(with_member(0, medical_needs=needs))
    assert (error.field, error.code) == ("familyMembers[0].medicalNeeds[3]", "too_short")


def test_a_medical_need_is_at_most_200_characters() -> None:
    assert validate_mission_input(with_member(0, medical_needs=("m" * 200,)))
    error = only_error(with_member(0, medical_needs=("ok", "m" * 201)))
    assert (error.field, error.code) == ("familyMembers[0].medicalNeeds[1]", "too_long")


# --- mobility, budget, numbers, notes --------------------------------------------------


def test_strategy_must_be_a_mobility_strategy() -> None:
    candidate = valid_input(mobility_plan=MobilityPlan(strategy="EVACUATE"))  # type: ignore[arg-type]
    error = only_error(candidate)
    assert (error.field, error.code) == ("mobilityPlan.strategy", "invalid_choice")
    assert "SHELTER_IN_PLACE, EVACUATE, FLEXIBLE" in error.message


def test_has_vehicle_must_be_a_boolean() -> None:
    plan = MobilityPlan(strategy=MobilityStrategy.EVACUATE, has_vehicle="yes")  # type: ignore[arg-type]
    assert errors_of(valid_input(mobility_plan=plan)) == [
        ("mobilityPlan.hasVehicle", "invalid_format")
    ]


def test_budget_tier_must_be_a_budget_tier() -> None:
    error = only_error(valid_input(budget_tier="PREMIUM"))
    assert (error.field, error.code) == ("budgetTier", "invalid_choice")


@pytest.mark.parametrize("days", [3, 365])
def test_durations_at_the_limits_are_accepted(days: int) -> None:
    assert validate_mission_input(valid_input(duration_days=days)).duration_days == days


@pytest.mark.parametrize("days", [2, 366, 0, -14, True])
def test_duration_is_3_to_365_days(days: int) -> None:
    error = only_error(valid_input(duration_days=days))
    assert (error.field, error.code) == ("durationDays", "out_of_range")
    assert error.message == "Duration must be between 3 and 365 days."


@pytest.mark.parametrize("pets", [0, 20])
def test_pet_counts_at_the_limits_are_accepted(pets: int) -> None:
    assert validate_mission_input(valid_input(pet_count=pets)).pet_count == pets


@pytest.mark.parametrize("pets", [-1, 21])
def test_pet_count_is_0_to_20(pets: int) -> None:
    error = only_error(valid_input(pet_count=pets))
    assert (error.field, error.code) == ("petCount", "out_of_range")


def test_notes_are_at_most_2000_characters() -> None:
    assert validate_mission_input(valid_input(notes="n" * 2000))
    error = only_error(valid_input(notes="n" * 2001))
    assert (error.field, error.code) == ("notes", "too_long")
    assert "at most 2000 characters" in error.message


def test_notes_may_hold_newlines_and_tabs() -> None:
    notes = "Line one\n\tindented\nline three"
    assert validate_mission_input(valid_input(notes=notes)).notes == notes
