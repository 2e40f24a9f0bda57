"""Typed, validated view of a job's `input_data` (wizard answers and bundle catalog).

The service reads the JSON the API sends (`MissionPlanInput.to_dict()`) on its
own terms, but with the API's limits (`domain.validation`): what the API accepts
reaches the prompt whole, and what it would refuse is refused here with an
`InvalidInputError` naming the field, never cut to fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from domain.validation import (
    CITY_MAX_LENGTH,
    MAX_AGE,
    MAX_DURATION_DAYS,
    MAX_FAMILY_MEMBERS,
    MAX_MEDICAL_NEEDS,
    MAX_PETS,
    MAX_SCENARIOS,
    MEDICAL_NEED_MAX_LENGTH,
    MIN_AGE,
    MIN_DURATION_DAYS,
    MIN_PETS,
    NAME_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    STATE_MAX_LENGTH,
)
from llm_service.errors import InvalidInputError

SCENARIOS = (
    "HURRICANE",
    "EARTHQUAKE",
    "WILDFIRE",
    "FLOOD",
    "TORNADO",
    "WINTER_STORM",
    "EXTREME_HEAT",
    "PANDEMIC",
    "POWER_GRID_FAILURE",
    "CIVIL_UNREST",
    "NUCLEAR_EVENT",
    "ECONOMIC_COLLAPSE",
)
BUDGET_TIERS = ("ESSENTIAL", "STANDARD", "ENHANCED", "PREMIUM")
STRATEGIES = ("SHELTER_IN_PLACE", "EVACUATE", "FLEXIBLE")
# Age groups of public preparedness guidance: infants (formula, diapers) are under 2,
# older adults 65 or older; everyone under 18 is a child.
INFANT_UNDER_AGE = 2
ADULT_MIN_AGE = 18
SENIOR_MIN_AGE = 65
# The API only sends two-letter codes; anything longer is not a country.
COUNTRY_MAX_LENGTH = 40

# Markdown that could open a heading, a link or a list inside a generated line.
_STRUCTURAL = re.compile(r"[#\[\]`*_<>|]")
_SPACES = re.compile(r"\s+")


def display_name(enum_value: str) -> str:
    """ "POWER_GRID_FAILURE" -> "Power Grid Failure", as plan headings spell it."""
    return enum_value.replace("_", " ").title()


def clean_text(value: Any, *, limit: int = 200) -> str:
    """Catalog text made safe to embed in one markdown line, cut to `limit`.

    Only for our own catalog, whose length is ours to choose; wizard answers go
    through `wizard_text`, which refuses instead of cutting.
    """
    return _one_line(value)[:limit].rstrip()


def wizard_text(value: Any, where: str, *, max_length: int) -> str:
    """A wizard answer made safe to embed in one markdown line, whole.

    Raises InvalidInputError past `max_length`, counted as the API counts it.
    """
    text = str(value or "").strip()
    if len(text) > max_length:
        raise InvalidInputError(
            f"{where} has {len(text)} characters; at most {max_length} are accepted"
        )
    return _one_line(text)


def _one_line(value: Any) -> str:
    return _SPACES.sub(" ", _STRUCTURAL.sub("", str(value or ""))).strip()


@dataclass(frozen=True)
class Member:
    name: str | None
    age: int
    medical_needs: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.name or f"the {self.age}-year-old"


@dataclass(frozen=True)
class PlanRequest:
    city: str
    state: str
    country: str
    scenarios: tuple[str, ...]
    members: tuple[Member, ...]
    strategy: str
    has_vehicle: bool
    budget_tier: str
    duration_days: int
    pet_count: int
    notes: str

    @property
    def place(self) -> str:
        return f"{self.city}, {self.state}"

    @property
    def infants(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.age < INFANT_UNDER_AGE)

    @property
    def children(self) -> tuple[Member, ...]:
        """Children past infancy (2-17)."""
        return tuple(m for m in self.members if INFANT_UNDER_AGE <= m.age < ADULT_MIN_AGE)

    @property
    def adults(self) -> tuple[Member, ...]:
        """Adults under 65."""
        return tuple(m for m in self.members if ADULT_MIN_AGE <= m.age < SENIOR_MIN_AGE)

    @property
    def seniors(self) -> tuple[Member, ...]:
        """Older adults (65+)."""
        return tuple(m for m in self.members if m.age >= SENIOR_MIN_AGE)

    @property
    def with_medical_needs(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.medical_needs)

    @property
    def all_medical_needs(self) -> tuple[str, ...]:
        return tuple(need for m in self.members for need in m.medical_needs)


@dataclass(frozen=True)
class Bundle:
    id: str
    name: str
    description: str
    price_usd: str
    scenarios: tuple[str, ...]
    budget_tier: str
    items: tuple[str, ...]


def parse_plan_request(raw: Any) -> PlanRequest:
    """Raises InvalidInputError naming the first problem found."""
    data = _require_dict(raw, "input_data.wizard")
    location = _require_dict(data.get("location"), "wizard.location")
    mobility = _require_dict(data.get("mobility_plan"), "wizard.mobility_plan")
    return PlanRequest(
        city=_require_text(location.get("city"), "wizard.location.city", CITY_MAX_LENGTH),
        state=_require_text(
            location.get("state"), "wizard.location.state", STATE_MAX_LENGTH
        ).upper(),
        country=wizard_text(
            location.get("country") or "US",
            "wizard.location.country",
            max_length=COUNTRY_MAX_LENGTH,
        ),
        scenarios=_parse_scenarios(data.get("scenarios")),
        members=_parse_members(data.get("family_members")),
        strategy=_require_choice(mobility.get("strategy"), STRATEGIES, "strategy"),
        has_vehicle=bool(mobility.get("has_vehicle", False)),
        budget_tier=_require_choice(data.get("budget_tier"), BUDGET_TIERS, "budget_tier"),
        duration_days=_require_int(
            data.get("duration_days", 14), "duration_days", MIN_DURATION_DAYS, MAX_DURATION_DAYS
        ),
        pet_count=_require_int(data.get("pet_count", 0), "pet_count", MIN_PETS, MAX_PETS),
        notes=wizard_text(data.get("notes"), "wizard.notes", max_length=NOTES_MAX_LENGTH),
    )


def parse_bundles(raw: Any) -> tuple[Bundle, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidInputError("input_data.bundles must be a list")
    return tuple(_parse_bundle(item, index) for index, item in enumerate(raw))


def _parse_bundle(raw: Any, index: int) -> Bundle:
    item = _require_dict(raw, f"bundles[{index}]")
    bundle_id = str(item.get("id") or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}", bundle_id):
        raise InvalidInputError(f"bundles[{index}].id is missing or not a plain identifier")
    return Bundle(
        id=bundle_id,
        name=clean_text(item.get("name") or bundle_id, limit=120),
        description=clean_text(item.get("description"), limit=300),
        price_usd=clean_text(item.get("price_usd"), limit=20),
        scenarios=tuple(str(s) for s in item.get("scenarios") or () if s in SCENARIOS),
        budget_tier=str(item.get("budget_tier") or "STANDARD"),
        items=tuple(clean_text(i, limit=160) for i in item.get("items") or ()),
    )


def _parse_scenarios(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInputError("wizard.scenarios must be a non-empty list")
    _require_at_most(raw, MAX_SCENARIOS, "wizard.scenarios")
    unknown = [s for s in raw if s not in SCENARIOS]
    if unknown:
        raise InvalidInputError(f"unknown scenarios: {unknown}")
    return tuple(dict.fromkeys(raw))  # distinct, first choice first


def _parse_members(raw: Any) -> tuple[Member, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInputError("wizard.family_members must be a non-empty list")
    _require_at_most(raw, MAX_FAMILY_MEMBERS, "wizard.family_members")
    members = []
    for index, item in enumerate(raw):
        member = _require_dict(item, f"family_members[{index}]")
        needs = member.get("medical_needs") or []
        where = f"family_members[{index}]"
        if not isinstance(needs, list):
            raise InvalidInputError(f"{where}.medical_needs must be a list")
        _require_at_most(needs, MAX_MEDICAL_NEEDS, f"{where}.medical_needs")
        medical_needs = (
            wizard_text(need, f"{where}.medical_needs", max_length=MEDICAL_NEED_MAX_LENGTH)
            for need in needs
        )
        members.append(
            Member(
                name=wizard_text(member.get("name"), f"{where}.name", max_length=NAME_MAX_LENGTH)
                or None,
                age=_require_int(member.get("age"), f"{where}.age", MIN_AGE, MAX_AGE),
                medical_needs=tuple(need for need in medical_needs if need),
            )
        )
    return tuple(members)


def _require_dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInputError(f"{where} must be an object")
    return value


def _require_at_most(items: list[Any], limit: int, where: str) -> None:
    if len(items) > limit:
        raise InvalidInputError(f"{where} has {len(items)} entries; at most {limit} are accepted")


def _require_text(value: Any, where: str, max_length: int) -> str:
    text = wizard_text(value, where, max_length=max_length)
    if not text:
        raise InvalidInputError(f"{where} is required")
    return text


def _require_choice(value: Any, choices: tuple[str, ...], where: str) -> str:
    if value not in choices:
        raise InvalidInputError(f"{where} must be one of {', '.join(choices)}")
    return str(value)


def _require_int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInputError(f"{where} must be an integer from {low} to {high}")
    return value
