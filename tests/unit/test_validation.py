"""Every rule of `validate_mission_input`, one at a time, by field path and code."""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import Any

import pytest

from domain.field_errors import FieldError, FieldErrorCode, InvalidMissionInput
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


# --- acceptance and normalisation ---------------------------------------------------


def test_a_valid_input_is_returned_unchanged() -> None:
    assert validate_mission_input(make_input()) == make_input()


def test_text_is_stripped_and_country_upper_cased() -> None:
    candidate = make_input(
        location=Location(city="  Miami ", state="\tFL\n", country=" us ", postal_code=" 33101 "),
        family_members=(FamilyMember(age=3, name="  Leo  ", medical_needs=("  asthma ",)),),
        notes="  call grandma  ",
    )
    result = validate_mission_input(candidate)
    assert result.location == Location(city="Miami", state="FL", country="US", postal_code="33101")
    assert result.family_members == (FamilyMember(age=3, name="Leo", medical_needs=("asthma",)),)
    assert result.notes == "call grandma"


def test_blank_optional_text_becomes_none() -> None:
    candidate = make_input(
        location=Location(city="Miami", state="FL", postal_code="   "),
        family_members=(FamilyMember(age=30, name=" "),),
        notes=" \n\t ",
    )
    result = validate_mission_input(candidate)
    assert result.location.postal_code is None
    assert result.family_members[0].name is None
    assert result.notes is None


def test_blank_country_falls_back_to_the_default() -> None:
    assert validate_mission_input(with_location(country="  ")).location.country == "US"


def test_text_is_nfc_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "Zürich")
    result = validate_mission_input(with_location(city=decomposed))
    assert result.location.city == "Zürich"


def test_windows_line_endings_in_notes_become_newlines() -> None:
    assert validate_mission_input(make_input(notes="a\r\nb\rc")).notes == "a\nb\nc"


def test_lists_become_tuples_and_missing_medical_needs_read_as_empty() -> None:
    member = FamilyMember(age=5, medical_needs=None)  # type: ignore[arg-type]
    candidate = make_input(
        scenarios=[Scenario.FLOOD],
        family_members=[member],
    )
    result = validate_mission_input(candidate)
    assert result.scenarios == (Scenario.FLOOD,)
    assert result.family_members == (FamilyMember(age=5),)


def test_unicode_letters_are_welcome() -> None:
    candidate = with_location(city="Ciudad de México", state="東京都")
    assert validate_mission_input(candidate).location.city == "Ciudad de México"


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


# --- scenarios ------------------------------------------------------------------------


def test_at_least_one_scenario() -> None:
    error = only_error(make_input(scenarios=()))
    assert (error.field, error.code) == ("scenarios", "too_few")
    assert "between 1 and 6 scenarios" in error.message


def test_at_most_six_scenarios() -> None:
    assert validate_mission_input(make_input(scenarios=tuple(Scenario)[:6]))
    error = only_error(make_input(scenarios=tuple(Scenario)[:7]))
    assert (error.field, error.code) == ("scenarios", "too_many")
    assert "(got 7)" in error.message


def test_a_repeated_scenario_is_named_by_the_index_of_the_repeat() -> None:
    scenarios = (Scenario.FLOOD, Scenario.HURRICANE, Scenario.FLOOD, Scenario.HURRICANE)
    assert errors_of(make_input(scenarios=scenarios)) == [
        ("scenarios[2]", "duplicate"),
        ("scenarios[3]", "duplicate"),
    ]


def test_a_scenario_must_be_a_scenario() -> None:
    # Scenario subclasses str: the plain string must not pass for the member.
    candidate = make_input(scenarios=(Scenario.FLOOD, "HURRICANE"))
    assert errors_of(candidate) == [("scenarios[1]", "invalid_choice")]


def test_scenarios_must_be_a_list() -> None:
    assert errors_of(make_input(scenarios="HURRICANE")) == [("scenarios", "required")]


# --- family ---------------------------------------------------------------------------


def test_at_least_one_family_member() -> None:
    assert errors_of(make_input(family_members=())) == [("familyMembers", "too_few")]


def test_at_most_twenty_family_members() -> None:
    assert validate_mission_input(make_input(family_members=(FamilyMember(age=30),) * 20))
    error = only_error(make_input(family_members=(FamilyMember(age=30),) * 21))
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
    candidate = make_input(family_members=(FamilyMember(age=3), {"age": 3}))
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
    candidate = make_input(mobility_plan=MobilityPlan(strategy="EVACUATE"))  # type: ignore[arg-type]
    error = only_error(candidate)
    assert (error.field, error.code) == ("mobilityPlan.strategy", "invalid_choice")
    assert "SHELTER_IN_PLACE, EVACUATE, FLEXIBLE" in error.message


def test_has_vehicle_must_be_a_boolean() -> None:
    plan = MobilityPlan(strategy=MobilityStrategy.EVACUATE, has_vehicle="yes")  # type: ignore[arg-type]
    assert errors_of(make_input(mobility_plan=plan)) == [
        ("mobilityPlan.hasVehicle", "invalid_format")
    ]


def test_budget_tier_must_be_a_budget_tier() -> None:
    error = only_error(make_input(budget_tier="PREMIUM"))
    assert (error.field, error.code) == ("budgetTier", "invalid_choice")


@pytest.mark.parametrize("days", [3, 365])
def test_durations_at_the_limits_are_accepted(days: int) -> None:
    assert validate_mission_input(make_input(duration_days=days)).duration_days == days


@pytest.mark.parametrize("days", [2, 366, 0, -14, True])
def test_duration_is_3_to_365_days(days: int) -> None:
    error = only_error(make_input(duration_days=days))
    assert (error.field, error.code) == ("durationDays", "out_of_range")
    assert error.message == "Duration must be between 3 and 365 days."


@pytest.mark.parametrize("pets", [0, 20])
def test_pet_counts_at_the_limits_are_accepted(pets: int) -> None:
    assert validate_mission_input(make_input(pet_count=pets)).pet_count == pets


@pytest.mark.parametrize("pets", [-1, 21])
def test_pet_count_is_0_to_20(pets: int) -> None:
    error = only_error(make_input(pet_count=pets))
    assert (error.field, error.code) == ("petCount", "out_of_range")


def test_notes_are_at_most_2000_characters() -> None:
    assert validate_mission_input(make_input(notes="n" * 2000))
    error = only_error(make_input(notes="n" * 2001))
    assert (error.field, error.code) == ("notes", "too_long")
    assert "at most 2000 characters" in error.message


def test_notes_may_hold_newlines_and_tabs() -> None:
    notes = "Line one\n\tindented\nline three"
    assert validate_mission_input(make_input(notes=notes)).notes == notes


# --- characters -----------------------------------------------------------------------

FORBIDDEN = ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\u2028", "\u2029", "\u202e", "\ud800"]


@pytest.mark.parametrize("char", FORBIDDEN)
@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda bad: with_location(city=bad), "location.city"),
        (lambda bad: with_location(state=bad), "location.state"),
        (lambda bad: with_location(country=bad), "location.country"),
        (lambda bad: with_location(postal_code=bad), "location.postalCode"),
        (lambda bad: with_member(1, name=bad), "familyMembers[1].name"),
        (lambda bad: with_member(0, medical_needs=("a", bad)), "familyMembers[0].medicalNeeds[1]"),
        (lambda bad: make_input(notes=bad), "notes"),
    ],
)
def test_control_characters_are_rejected_everywhere(build: Any, field: str, char: str) -> None:
    error = only_error(build(f"A{char}B"))
    assert (error.field, error.code) == (field, "invalid_characters")
    assert f"U+{ord(char):04X}" in error.message


@pytest.mark.parametrize("char", ["\n", "\t"])
def test_newline_and_tab_are_rejected_outside_notes(char: str) -> None:
    assert errors_of(with_location(city=f"New{char}York")) == [
        ("location.city", "invalid_characters")
    ]


def test_joiners_needed_by_some_scripts_are_allowed() -> None:
    name = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # Persian, with a ZWNJ
    assert validate_mission_input(with_member(1, name=name)).family_members[1].name == name


# --- reporting ------------------------------------------------------------------------


def test_every_error_is_reported_at_once() -> None:
    candidate = make_input(
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
            make_input(location=Location(city="", state="x" * 101), scenarios=(), pet_count=-1)
        )
    for error in raised.value.errors:
        assert error.code in ERROR_CODES
        assert error.message[0].isupper() and error.message.endswith(".")
    assert "location.state" in str(raised.value)


def test_missing_location_and_mobility_plan_are_reported() -> None:
    candidate = make_input(location=None, mobility_plan=None)
    assert errors_of(candidate) == [("location", "required"), ("mobilityPlan", "required")]


def test_field_errors_are_immutable_values() -> None:
    error = FieldError(field="petCount", message="m", code=FieldErrorCode.OUT_OF_RANGE)
    assert error == FieldError(field="petCount", message="m", code=FieldErrorCode.OUT_OF_RANGE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        error.code = FieldErrorCode.REQUIRED  # type: ignore[misc]


# --- issue 6, point 9: invisible text is empty, unknown countries are refused ------------

INVISIBLE_ONLY = [
    "\u200b",  # zero-width space
    "\ufeff",  # byte order mark
    "\u3164",  # Hangul filler
    "\u115f\u1160",  # Hangul choseong and jungseong fillers
    "\U000e0041\U000e0042\U000e007f",  # tag characters
    "\u2060\u200c\u200d",  # word joiner, zero-width non-joiner and joiner
    " \u00a0\u3000\u2800 ",  # spaces and the braille blank
    "\u00ad\u034f\ufe0f",  # soft hyphen, combining grapheme joiner, variation selector
]


@pytest.mark.parametrize("blank", INVISIBLE_ONLY)
def test_invisible_only_required_text_is_missing(blank: str) -> None:
    error = only_error(with_location(city=blank))
    assert (error.field, error.code) == ("location.city", "required")


@pytest.mark.parametrize("blank", INVISIBLE_ONLY)
def test_invisible_only_optional_text_is_absent(blank: str) -> None:
    result = validate_mission_input(make_input(notes=blank + "\n\t" + blank))
    assert result.notes is None
    assert validate_mission_input(with_member(0, name=blank)).family_members[0].name is None
    assert validate_mission_input(with_location(postal_code=blank)).location.postal_code is None
    error = only_error(with_member(0, medical_needs=(blank,)))
    assert (error.field, error.code) == ("familyMembers[0].medicalNeeds[0]", "too_short")


def test_visible_text_with_joiners_is_kept() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji, joined by ZWJs
    assert validate_mission_input(with_member(0, name=family)).family_members[0].name == family


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
