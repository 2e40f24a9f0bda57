"""Characters `validate_mission_input` refuses, and text of invisible characters only."""

from __future__ import annotations

from typing import Any

import pytest

from domain.validation import validate_mission_input
from tests.unit.builders import valid_input
from tests.unit.validation.inputs import errors_of, only_error, with_location, with_member

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
        (lambda bad: valid_input(notes=bad), "notes"),
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


# --- issue 6, point 9: invisible text is empty --------------------------------------------

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
    result = validate_mission_input(valid_input(notes=blank + "\n\t" + blank))
    assert result.notes is None
    assert validate_mission_input(with_member(0, name=blank)).family_members[0].name is None
    assert validate_mission_input(with_location(postal_code=blank)).location.postal_code is None
    error = only_error(with_member(0, medical_needs=(blank,)))
    assert (error.field, error.code) == ("familyMembers[0].medicalNeeds[0]", "too_short")


def test_visible_text_with_joiners_is_kept() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji, joined by ZWJs
    assert validate_mission_input(with_member(0, name=family)).family_members[0].name == family
