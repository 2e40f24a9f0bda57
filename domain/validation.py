"""Validation and normalisation of the wizard's answers.

`validate_mission_input` either returns a clean copy of the input (text stripped
and NFC-normalised, country upper-cased, blank optional text turned into None)
or raises `InvalidMissionInput` listing every problem at once, so a form can
mark all of its bad fields in one round trip. Field paths are the GraphQL
(camelCase) names a user sees, e.g. `familyMembers[1].age`.

The GraphQL layer already enforces types and enums, but this module is the one
gate every entry point (API, CLI, stored data) goes through, so it trusts
nothing about the values it is given.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from domain.countries import is_country_code
from domain.field_errors import (
    FieldErrorCode,
    FieldErrors,
    InvalidMissionInput,
)
from domain.text import forbidden_character, is_blank
from domain.wizard import (
    BudgetTier,
    FamilyMember,
    Location,
    MissionPlanInput,
    MobilityPlan,
    MobilityStrategy,
    Scenario,
)

CITY_MAX_LENGTH = 100
STATE_MAX_LENGTH = 100
POSTAL_CODE_MAX_LENGTH = 16
DEFAULT_COUNTRY = "US"
MIN_SCENARIOS, MAX_SCENARIOS = 1, 6
MIN_FAMILY_MEMBERS, MAX_FAMILY_MEMBERS = 1, 20
MIN_AGE, MAX_AGE = 0, 120
NAME_MAX_LENGTH = 100
MAX_MEDICAL_NEEDS = 10
MEDICAL_NEED_MAX_LENGTH = 200
MIN_DURATION_DAYS, MAX_DURATION_DAYS = 3, 365
MIN_PETS, MAX_PETS = 0, 20
NOTES_MAX_LENGTH = 2000

_COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")
_POSTAL_CODE = re.compile(r"[A-Za-z0-9 -]+")
_NOTES_ALLOWED_CONTROLS = frozenset("\n\t")

_E = TypeVar("_E", bound=Enum)


@dataclass(frozen=True)
class _Bounds:
    """An inclusive range and the message shown when a value (or count) leaves it."""

    low: int
    high: int
    message: str


_DURATION_DAYS = _Bounds(
    MIN_DURATION_DAYS,
    MAX_DURATION_DAYS,
    f"Duration must be between {MIN_DURATION_DAYS} and {MAX_DURATION_DAYS} days.",
)
_PET_COUNT = _Bounds(MIN_PETS, MAX_PETS, f"Pet count must be between {MIN_PETS} and {MAX_PETS}.")
_AGE = _Bounds(MIN_AGE, MAX_AGE, f"Age must be a whole number between {MIN_AGE} and {MAX_AGE}.")
_SCENARIO_COUNT = _Bounds(
    MIN_SCENARIOS,
    MAX_SCENARIOS,
    f"Choose between {MIN_SCENARIOS} and {MAX_SCENARIOS} scenarios (got {{count}}).",
)
_FAMILY_COUNT = _Bounds(
    MIN_FAMILY_MEMBERS,
    MAX_FAMILY_MEMBERS,
    f"Add between {MIN_FAMILY_MEMBERS} and {MAX_FAMILY_MEMBERS} family members (got {{count}}).",
)
_MEDICAL_NEEDS_COUNT = _Bounds(
    0,
    MAX_MEDICAL_NEEDS,
    f"List at most {MAX_MEDICAL_NEEDS} medical needs per person (got {{count}}).",
)


def validate_mission_input(candidate: MissionPlanInput) -> MissionPlanInput:
    """Return a normalised copy of `candidate`, or raise `InvalidMissionInput`."""
    errors = FieldErrors()
    location = _validate_location(candidate.location, errors)
    scenarios = _validate_scenarios(candidate.scenarios, errors)
    family = _validate_family(candidate.family_members, errors)
    mobility = _validate_mobility(candidate.mobility_plan, errors)
    budget = _enum_choice(candidate.budget_tier, BudgetTier, "budgetTier", "Budget tier", errors)
    duration = _int_in_range(candidate.duration_days, "durationDays", _DURATION_DAYS, errors)
    pets = _int_in_range(candidate.pet_count, "petCount", _PET_COUNT, errors)
    notes = _validate_notes(candidate.notes, errors)
    if (
        errors.items
        or location is None
        or mobility is None
        or budget is None
        or duration is None
        or pets is None
    ):
        raise InvalidMissionInput(errors.items)
    return MissionPlanInput(
        location=location,
        scenarios=scenarios,
        family_members=family,
        mobility_plan=mobility,
        budget_tier=budget,
        duration_days=duration,
        pet_count=pets,
        notes=notes,
    )


# --- text ---------------------------------------------------------------------


def _normalise_text(text: str) -> str:
    # NFC first so lengths count what the user sees ("é" is one character either way).
    return unicodedata.normalize("NFC", text).strip()


def _clean_text(
    raw: object,
    field: str,
    label: str,
    errors: FieldErrors,
    *,
    max_length: int | None,
    allowed_controls: frozenset[str] = frozenset(),
) -> str | None:
    """Normalised text, or None when it is absent, blank or invalid (error recorded)."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        errors.add(field, FieldErrorCode.INVALID_FORMAT, f"{label} must be text.")
        return None
    text = _normalise_text(raw)
    bad = forbidden_character(text, allowed_controls)
    if bad is not None:
        errors.add(
            field,
            FieldErrorCode.INVALID_CHARACTERS,
            f"{label} must not contain control characters (found U+{ord(bad):04X}).",
        )
        return None
    if max_length is not None and len(text) > max_length:
        errors.add(
            field,
            FieldErrorCode.TOO_LONG,
            f"{label} must be at most {max_length} characters long (it has {len(text)}).",
        )
        return None
    # Zero-width spaces, a BOM or Hangul fillers look empty, so they are empty.
    return None if is_blank(text) else text


def _required_text(
    raw: object, field: str, label: str, errors: FieldErrors, *, max_length: int
) -> str:
    """Like `_clean_text` for a field that must not be blank; "" when invalid."""
    before = len(errors.items)
    text = _clean_text(raw, field, label, errors, max_length=max_length)
    if text is None and len(errors.items) == before:
        errors.add(field, FieldErrorCode.REQUIRED, f"{label} is required.")
    return text or ""


# --- location -----------------------------------------------------------------


def _validate_location(location: object, errors: FieldErrors) -> Location | None:
    if not isinstance(location, Location):
        errors.add("location", FieldErrorCode.REQUIRED, "Location is required.")
        return None
    return Location(
        city=_required_text(
            location.city, "location.city", "City", errors, max_length=CITY_MAX_LENGTH
        ),
        state=_required_text(
            location.state, "location.state", "State", errors, max_length=STATE_MAX_LENGTH
        ),
        country=_validate_country(location.country, errors),
        postal_code=_validate_postal_code(location.postal_code, errors),
    )


def _validate_country(raw: object, errors: FieldErrors) -> str:
    field = "location.country"
    before = len(errors.items)
    # No length limit here: the format check below gives the more useful message.
    text = _clean_text(raw, field, "Country", errors, max_length=None)
    if len(errors.items) > before:
        return ""
    if text is None:
        # Blank means "not given", as when the field is omitted: the default applies.
        return DEFAULT_COUNTRY
    # Checked before upper-casing: "ß".upper() is "SS", so "ß" would pass.
    if not _COUNTRY_CODE.fullmatch(text):
        errors.add(
            field,
            FieldErrorCode.INVALID_FORMAT,
            "Country must be a two-letter ISO 3166 code such as US, CA or GB.",
        )
        return ""
    code = text.upper()
    if not is_country_code(code):
        errors.add(
            field,
            FieldErrorCode.UNKNOWN_COUNTRY,
            f"{code} is not an ISO 3166 country code; use one such as US, CA or GB.",
        )
        return ""
    return code


def _validate_postal_code(raw: object, errors: FieldErrors) -> str | None:
    field = "location.postalCode"
    text = _clean_text(raw, field, "Postal code", errors, max_length=POSTAL_CODE_MAX_LENGTH)
    if text is not None and not _POSTAL_CODE.fullmatch(text):
        errors.add(
            field,
            FieldErrorCode.INVALID_FORMAT,
            "Postal code may contain only letters, digits, spaces and hyphens.",
        )
        return None
    return text


# --- scenarios ----------------------------------------------------------------


def _validate_scenarios(raw: object, errors: FieldErrors) -> tuple[Scenario, ...]:
    items = _sequence(raw, "scenarios", "Scenarios", errors)
    if items is None:
        return ()
    _check_count(items, "scenarios", _SCENARIO_COUNT, errors)
    seen: set[Scenario] = set()
    scenarios: list[Scenario] = []
    for index, item in enumerate(_within_count(items, _SCENARIO_COUNT)):
        field = f"scenarios[{index}]"
        scenario = _enum_choice(item, Scenario, field, "Scenario", errors)
        if scenario is None:
            continue
        if scenario in seen:
            errors.add(
                field,
                FieldErrorCode.DUPLICATE,
                f"{scenario.display_name} is already chosen; choose each scenario once.",
            )
            continue
        seen.add(scenario)
        scenarios.append(scenario)
    return tuple(scenarios)


# --- family -------------------------------------------------------------------


def _validate_family(raw: object, errors: FieldErrors) -> tuple[FamilyMember, ...]:
    items = _sequence(raw, "familyMembers", "Family members", errors)
    if items is None:
        return ()
    _check_count(items, "familyMembers", _FAMILY_COUNT, errors)
    members = (
        _validate_member(member, f"familyMembers[{index}]", errors)
        for index, member in enumerate(_within_count(items, _FAMILY_COUNT))
    )
    return tuple(member for member in members if member is not None)


def _validate_member(member: object, path: str, errors: FieldErrors) -> FamilyMember | None:
    if not isinstance(member, FamilyMember):
        errors.add(path, FieldErrorCode.INVALID_FORMAT, "Each family member must give an age.")
        return None
    age = _int_in_range(member.age, f"{path}.age", _AGE, errors)
    name = _clean_text(member.name, f"{path}.name", "Name", errors, max_length=NAME_MAX_LENGTH)
    needs = _validate_medical_needs(member.medical_needs, f"{path}.medicalNeeds", errors)
    return FamilyMember(age=age if age is not None else -1, name=name, medical_needs=needs)


def _validate_medical_needs(raw: object, path: str, errors: FieldErrors) -> tuple[str, ...]:
    if raw is None:  # optional in GraphQL: omitted means none
        return ()
    items = _sequence(raw, path, "Medical needs", errors)
    if items is None:
        return ()
    _check_count(items, path, _MEDICAL_NEEDS_COUNT, errors)
    needs: list[str] = []
    for index, item in enumerate(_within_count(items, _MEDICAL_NEEDS_COUNT)):
        field = f"{path}[{index}]"
        before = len(errors.items)
        need = _clean_text(item, field, "Medical need", errors, max_length=MEDICAL_NEED_MAX_LENGTH)
        if need is not None:
            needs.append(need)
        elif len(errors.items) == before:
            # The entry exists but is blank: "too short" rather than "required".
            errors.add(
                field,
                FieldErrorCode.TOO_SHORT,
                f"Medical need must be between 1 and {MEDICAL_NEED_MAX_LENGTH} characters;"
                " remove blank entries.",
            )
    return tuple(needs)


# --- mobility, enums, numbers, notes ------------------------------------------


def _validate_mobility(plan: object, errors: FieldErrors) -> MobilityPlan | None:
    if not isinstance(plan, MobilityPlan):
        errors.add("mobilityPlan", FieldErrorCode.REQUIRED, "Mobility plan is required.")
        return None
    strategy = _enum_choice(
        plan.strategy, MobilityStrategy, "mobilityPlan.strategy", "Strategy", errors
    )
    if not isinstance(plan.has_vehicle, bool):
        errors.add(
            "mobilityPlan.hasVehicle",
            FieldErrorCode.INVALID_FORMAT,
            "Has vehicle must be true or false.",
        )
    if strategy is None:
        return None
    return MobilityPlan(strategy=strategy, has_vehicle=plan.has_vehicle is True)


def _enum_choice(
    raw: object, enum_type: type[_E], field: str, label: str, errors: FieldErrors
) -> _E | None:
    # An exact instance check: these enums subclass str, so "HURRICANE" == Scenario.HURRICANE
    # and a plain string would otherwise slip through.
    if isinstance(raw, enum_type):
        return raw
    choices = ", ".join(member.name for member in enum_type)
    errors.add(field, FieldErrorCode.INVALID_CHOICE, f"{label} must be one of {choices}.")
    return None


def _int_in_range(raw: object, field: str, bounds: _Bounds, errors: FieldErrors) -> int | None:
    # bool is an int subclass; True is not an age.
    if not isinstance(raw, int) or isinstance(raw, bool) or not bounds.low <= raw <= bounds.high:
        errors.add(field, FieldErrorCode.OUT_OF_RANGE, bounds.message)
        return None
    return raw


def _validate_notes(raw: object, errors: FieldErrors) -> str | None:
    if isinstance(raw, str):
        # Text pasted from Windows carries CR LF; keep the line breaks, not the CRs.
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return _clean_text(
        raw,
        "notes",
        "Notes",
        errors,
        max_length=NOTES_MAX_LENGTH,
        allowed_controls=_NOTES_ALLOWED_CONTROLS,
    )


# --- lists --------------------------------------------------------------------


def _sequence(raw: object, field: str, label: str, errors: FieldErrors) -> Sequence[object] | None:
    # A str is a Sequence too; iterating it would validate single characters.
    if isinstance(raw, (list, tuple)):
        return raw
    errors.add(field, FieldErrorCode.REQUIRED, f"{label} must be a list.")
    return None


def _check_count(items: Sequence[object], field: str, bounds: _Bounds, errors: FieldErrors) -> None:
    count = len(items)
    if count < bounds.low:
        errors.add(field, FieldErrorCode.TOO_FEW, bounds.message.format(count=count))
    elif count > bounds.high:
        errors.add(field, FieldErrorCode.TOO_MANY, bounds.message.format(count=count))


def _within_count(items: Sequence[object], bounds: _Bounds) -> Sequence[object]:
    """The items worth checking one by one: past the limit the count error refuses them."""
    return items[: bounds.high]
