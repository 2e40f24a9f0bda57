"""A generated mission plan's structured sections, as stored and shown.

`domain.plan` reads them from the plan's markdown.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, replace
from enum import Enum, StrEnum
from typing import Any

from domain.wizard import Scenario


class RiskLevel(StrEnum):
    """How badly a scenario can hit the family, lowest first; UNKNOWN when not stated."""

    LOW = "LOW"
    MODERATE = "MODERATE"
    HIGH = "HIGH"
    SEVERE = "SEVERE"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def of(cls, text: str) -> RiskLevel:
        # A stored plan may hold a level this version no longer knows.
        try:
            return cls(text)
        except ValueError:
            return cls.UNKNOWN


class SkillPriority(StrEnum):
    """How soon to learn a skill, most urgent first."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @classmethod
    def of(cls, text: str) -> SkillPriority:
        try:
            return cls(text)
        except ValueError:
            return cls.MEDIUM


RISK_LEVELS = tuple(level.value for level in RiskLevel if level is not RiskLevel.UNKNOWN)
UNKNOWN_RISK_LEVEL = RiskLevel.UNKNOWN.value
SKILL_PRIORITIES = tuple(priority.value for priority in SkillPriority)
DEFAULT_SKILL_PRIORITY = SkillPriority.MEDIUM.value


@dataclass(frozen=True)
class RiskAssessment:
    scenario: Scenario | None  # None when the heading names no known scenario
    title: str
    level: str  # a RiskLevel value
    summary: str


@dataclass(frozen=True)
class BundleRecommendation:
    bundle_id: str  # "" when the line names no catalog id
    name: str
    reason: str


@dataclass(frozen=True)
class Skill:
    name: str
    priority: str  # a SkillPriority value
    reason: str


@dataclass(frozen=True)
class SimulationDay:
    day: int
    title: str
    details: str


@dataclass(frozen=True)
class PlanSections:
    executive_summary: str
    risk_assessment: tuple[RiskAssessment, ...] = ()
    bundles: tuple[BundleRecommendation, ...] = ()
    skills: tuple[Skill, ...] = ()
    simulation: tuple[SimulationDay, ...] = ()
    next_steps: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (snake_case keys, lists, scenario as its enum value)."""
        return asdict(self, dict_factory=_json_ready)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanSections:
        """Inverse of `to_dict`; missing lists read as empty (older stored plans)."""
        return cls(
            executive_summary=str(data.get("executive_summary", "")),
            risk_assessment=tuple(
                RiskAssessment(
                    scenario=_scenario_from_value(r.get("scenario")),
                    **_texts(r, "title", "level", "summary"),
                )
                for r in data.get("risk_assessment") or ()
            ),
            bundles=tuple(
                BundleRecommendation(**_texts(b, "bundle_id", "name", "reason"))
                for b in data.get("bundles") or ()
            ),
            skills=tuple(
                Skill(**_texts(s, "name", "priority", "reason")) for s in data.get("skills") or ()
            ),
            simulation=tuple(
                SimulationDay(day=int(d.get("day", 0)), **_texts(d, "title", "details"))
                for d in data.get("simulation") or ()
            ),
            next_steps=tuple(str(step) for step in data.get("next_steps") or ()),
        )


def _texts(record: Mapping[str, Any], *names: str) -> dict[str, str]:
    return {name: str(record.get(name) or "") for name in names}


def _json_ready(fields: list[tuple[str, Any]]) -> dict[str, Any]:
    return {name: _json_value(value) for name, value in fields}


def _json_value(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    return list(value) if isinstance(value, tuple) else value


def _scenario_from_value(value: object) -> Scenario | None:
    # A stored plan may name a scenario this version no longer has.
    try:
        return Scenario(value)
    except ValueError:
        return None


def resolve_bundles(sections: PlanSections, known_ids: Collection[str]) -> PlanSections:
    """Keep only recommendations of catalog bundles, each once, in the plan's order.

    Lines without an id are dropped too: there is no catalog entry to show.
    """
    seen: set[str] = set()
    kept: list[BundleRecommendation] = []
    for bundle in sections.bundles:
        if bundle.bundle_id in known_ids and bundle.bundle_id not in seen:
            seen.add(bundle.bundle_id)
            kept.append(bundle)
    return replace(sections, bundles=tuple(kept))
