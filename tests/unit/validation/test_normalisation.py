"""What `validate_mission_input` accepts, and how it normalises what it accepts."""

from __future__ import annotations

import unicodedata

from domain.validation import validate_mission_input
from domain.wizard import FamilyMember, Location, Scenario
from tests.unit.builders import valid_input
from tests.unit.validation.inputs import with_location


def test_a_valid_input_is_returned_unchanged() -> None:
    assert validate_mission_input(valid_input()) == valid_input()


def test_text_is_stripped_and_country_upper_cased() -> None:
    candidate = valid_input(
        location=Location(city="  Miami ", state="\tFL\n", country=" us ", postal_code=" 33101 "),
        family_members=(FamilyMember(age=3, name="  Leo  ", medical_needs=("  asthma ",)),),
        notes="  call grandma  ",
    )
    result = validate_mission_input(candidate)
    assert result.location == Location(city="Miami", state="FL", country="US", postal_code="33101")
    assert result.family_members == (FamilyMember(age=3, name="Leo", medical_needs=("asthma",)),)
    assert result.notes == "call grandma"


def test_blank_optional_text_becomes_none() -> None:
    candidate = valid_input(
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
    assert validate_mission_input(valid_input(notes="a\r\nb\rc")).notes == "a\nb\nc"


def test_lists_become_tuples_and_missing_medical_needs_read_as_empty() -> None:
    member = FamilyMember(age=5, medical_needs=None)  # type: ignore[arg-type]
    candidate = valid_input(
        scenarios=[Scenario.FLOOD],
        family_members=[member],
    )
    result = validate_mission_input(candidate)
    assert result.scenarios == (Scenario.FLOOD,)
    assert result.family_members == (FamilyMember(age=5),)


def test_unicode_letters_are_welcome() -> None:
    candidate = with_location(city="Ciudad de México", state="東京都")
    assert validate_mission_input(candidate).location.city == "Ciudad de México"
