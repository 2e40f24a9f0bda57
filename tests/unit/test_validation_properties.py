"""Properties of `validate_mission_input` over the whole input space.

(a) Every valid input, however it is padded or cased, is accepted, and its
    normalised form is a fixed point of validation.
(b) Breaking exactly one rule of a valid input yields an error on exactly that
    field path.
"""

from __future__ import annotations

import dataclasses
import re
import string
import unicodedata
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.countries import ISO_3166_ALPHA_2
from domain.field_errors import InvalidMissionInput
from domain.text import is_blank
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

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Any character a person may type: every script, symbols, spaces, joiners.
TYPED = st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters=BIDI_CONTROLS)
PADDING = st.text(alphabet=" \t\n\u00a0\u3000", max_size=3)
CONTROL_CHARS = ["\x00", "\x08", "\x1b", "\x7f", "\x9b", "\u2028", "\u2029", "\u202e"]


def normalised(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def padded(core: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(PADDING, core, PADDING).map("".join)


def text_up_to(max_length: int, alphabet: st.SearchStrategy[str] = TYPED) -> st.SearchStrategy[str]:
    """Non-blank text whose normalised form has 1..max_length characters, limits included."""
    sizes = st.one_of(st.integers(1, min(max_length, 30)), st.just(max_length))
    core = sizes.flatmap(lambda n: st.text(alphabet=alphabet, min_size=n, max_size=n))
    return padded(core).filter(
        lambda t: 1 <= len(normalised(t)) <= max_length and not is_blank(normalised(t))
    )


def optional_text(max_length: int) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(["", "  "]), text_up_to(max_length))


countries = st.one_of(
    st.just(""),
    padded(
        st.tuples(st.sampled_from(sorted(ISO_3166_ALPHA_2)), st.booleans()).map(
            lambda code_lower: code_lower[0].lower() if code_lower[1] else code_lower[0]
        )
    ),
)
postal_codes = st.one_of(
    st.none(),
    st.just(""),
    text_up_to(16, alphabet=st.sampled_from(string.ascii_letters + string.digits + " -")),
)
locations = st.builds(
    Location,
    city=text_up_to(100),
    state=text_up_to(100),
    country=countries,
    postal_code=postal_codes,
)
members = st.builds(
    FamilyMember,
    age=st.integers(0, 120),
    name=optional_text(100),
    medical_needs=st.lists(text_up_to(200), max_size=10).map(tuple),
)
notes = st.one_of(
    optional_text(2000),
    text_up_to(2000, alphabet=st.one_of(TYPED, st.sampled_from("\n\t"))),
)
valid_inputs = st.builds(
    MissionPlanInput,
    location=locations,
    scenarios=st.lists(st.sampled_from(Scenario), min_size=1, max_size=6, unique=True).map(tuple),
    family_members=st.lists(members, min_size=1, max_size=20).map(tuple),
    mobility_plan=st.builds(
        MobilityPlan, strategy=st.sampled_from(MobilityStrategy), has_vehicle=st.booleans()
    ),
    budget_tier=st.sampled_from(BudgetTier),
    duration_days=st.integers(3, 365),
    pet_count=st.integers(0, 20),
    notes=notes,
)


def expected_optional(raw: str | None) -> str | None:
    if raw is None or is_blank(normalised(raw)):
        return None
    return normalised(raw)


@SETTINGS
@given(valid_inputs)
def test_valid_inputs_are_accepted_and_normalised_idempotently(raw: MissionPlanInput) -> None:
    result = validate_mission_input(raw)

    assert validate_mission_input(result) == result
    assert result.location.city == normalised(raw.location.city)
    assert result.location.state == normalised(raw.location.state)
    assert re.fullmatch(r"[A-Z]{2}", result.location.country)
    assert result.location.country == (normalised(raw.location.country).upper() or "US")
    assert result.location.postal_code == expected_optional(raw.location.postal_code)
    assert result.scenarios == raw.scenarios
    for before, after in zip(raw.family_members, result.family_members, strict=True):
        assert after.age == before.age
        assert after.name == expected_optional(before.name)
        assert after.medical_needs == tuple(normalised(need) for need in before.medical_needs)
    assert result.notes == expected_optional(raw.notes)


# --- one rule broken at a time -----------------------------------------------------------

Mutation = Callable[[MissionPlanInput, st.DataObject], tuple[MissionPlanInput, str]]


def _location(candidate: MissionPlanInput, **changes: Any) -> MissionPlanInput:
    return dataclasses.replace(
        candidate, location=dataclasses.replace(candidate.location, **changes)
    )


def _member(
    candidate: MissionPlanInput, data: st.DataObject, **changes: Any
) -> tuple[MissionPlanInput, int]:
    members = list(candidate.family_members)
    index = data.draw(st.integers(0, len(members) - 1), label="member")
    members[index] = dataclasses.replace(members[index], **changes)
    return dataclasses.replace(candidate, family_members=tuple(members)), index


def _control_text(data: st.DataObject, allowed: str = "") -> str:
    char = data.draw(st.sampled_from([c for c in CONTROL_CHARS if c not in allowed]))
    return f"Spring{char}field"


def too_long_city(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    return _location(c, city="c" * data.draw(st.integers(101, 300))), "location.city"


def control_char_in_city(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    return _location(c, city=_control_text(data)), "location.city"


def control_char_in_state(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    return _location(c, state=_control_text(data)), "location.state"


def control_char_in_notes(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    return dataclasses.replace(c, notes=_control_text(data, allowed="\n\t")), "notes"


def control_char_in_name(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    mutated, index = _member(c, data, name=_control_text(data))
    return mutated, f"familyMembers[{index}].name"


def control_char_in_need(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    members = list(c.family_members)
    index = data.draw(st.integers(0, len(members) - 1), label="member")
    needs = list(members[index].medical_needs) or ["asthma"]
    position = data.draw(st.integers(0, len(needs) - 1), label="need")
    needs[position] = _control_text(data)
    members[index] = dataclasses.replace(members[index], medical_needs=tuple(needs))
    mutated = dataclasses.replace(c, family_members=tuple(members))
    return mutated, f"familyMembers[{index}].medicalNeeds[{position}]"


def duplicate_scenario(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    scenarios = list(c.scenarios)
    if len(scenarios) < 6:
        repeat = len(scenarios)
        scenarios.append(data.draw(st.sampled_from(scenarios)))
    else:
        repeat = data.draw(st.integers(1, 5))
        scenarios[repeat] = data.draw(st.sampled_from(scenarios[:repeat]))
    return dataclasses.replace(c, scenarios=tuple(scenarios)), f"scenarios[{repeat}]"


def no_scenarios(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    return dataclasses.replace(c, scenarios=()), "scenarios"


def seven_scenarios(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    seven = data.draw(st.lists(st.sampled_from(Scenario), min_size=7, max_size=7, unique=True))
    return dataclasses.replace(c, scenarios=tuple(seven)), "scenarios"


def twenty_one_members(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    members = (c.family_members * 21)[:21]
    return dataclasses.replace(c, family_members=members), "familyMembers"


def no_members(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    return dataclasses.replace(c, family_members=()), "familyMembers"


def bad_age(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    age = data.draw(st.sampled_from([-1, 121, -1000, 10**6]))
    mutated, index = _member(c, data, age=age)
    return mutated, f"familyMembers[{index}].age"


def too_long_name(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    mutated, index = _member(c, data, name="n" * data.draw(st.integers(101, 500)))
    return mutated, f"familyMembers[{index}].name"


def eleven_needs(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    mutated, index = _member(c, data, medical_needs=("asthma",) * 11)
    return mutated, f"familyMembers[{index}].medicalNeeds"


def bad_duration(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    days = data.draw(st.sampled_from([2, 366, 0, -1]))
    return dataclasses.replace(c, duration_days=days), "durationDays"


def bad_pet_count(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    pets = data.draw(st.sampled_from([21, -1, 1000]))
    return dataclasses.replace(c, pet_count=pets), "petCount"


def too_long_notes(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    return dataclasses.replace(c, notes="n" * data.draw(st.integers(2001, 2100))), "notes"


def bad_country(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    country = data.draw(st.sampled_from(["USA", "U", "U5", "ß", "É", "12", "XX", "uk", "EU"]))
    return _location(c, country=country), "location.country"


INVISIBLE = st.sampled_from(
    [
        *"\u200b\u200c\u200d\u2060\ufeff\u3164\u115f\u1160\uffa0\u2800\u00ad\u034f\ufe0f",
        *("\U000e0020", "\U000e0041", "\U000e007f", "\U000e0100"),
    ]
)


def invisible_city(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    city = data.draw(padded(st.text(alphabet=INVISIBLE, min_size=1, max_size=20)))
    return _location(c, city=city), "location.city"


def bad_postal_code(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    code = data.draw(st.sampled_from(["33101!", "331_01", "1" * 17, "é1", "A/B"]))
    return _location(c, postal_code=code), "location.postalCode"


def string_budget_tier(c: MissionPlanInput, data: st.DataObject) -> tuple[MissionPlanInput, str]:
    tier = data.draw(st.sampled_from([t.value for t in BudgetTier] + ["LUXURY", None]))
    return dataclasses.replace(c, budget_tier=tier), "budgetTier"  # type: ignore[arg-type]


MUTATIONS: list[Mutation] = [
    too_long_city,
    control_char_in_city,
    control_char_in_state,
    control_char_in_notes,
    control_char_in_name,
    control_char_in_need,
    duplicate_scenario,
    no_scenarios,
    seven_scenarios,
    twenty_one_members,
    no_members,
    bad_age,
    too_long_name,
    eleven_needs,
    bad_duration,
    bad_pet_count,
    too_long_notes,
    bad_country,
    invisible_city,
    bad_postal_code,
    string_budget_tier,
]


@settings(SETTINGS, max_examples=200)
@given(valid_inputs, st.sampled_from(MUTATIONS), st.data())
def test_breaking_one_rule_names_exactly_that_field(
    candidate: MissionPlanInput, mutation: Mutation, data: st.DataObject
) -> None:
    mutated, field = mutation(candidate, data)
    try:
        validate_mission_input(mutated)
    except InvalidMissionInput as invalid:
        assert [error.field for error in invalid.errors] == [field], invalid.errors
    else:
        raise AssertionError(f"{mutation.__name__} was accepted")
