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


class EvacuationTopic(StrEnum):
    """What one line of an evacuation plan is about; OTHER for anything else it covers."""

    WHEN_TO_LEAVE = "when_to_leave"
    DESTINATION = "destination"
    ROUTES = "routes"
    GETTING_THERE = "getting_there"
    WHAT_TO_TAKE = "what_to_take"
    MEETING_POINTS = "meeting_points"
    OTHER = "other"

    @classmethod
    def of(cls, text: str) -> EvacuationTopic:
        try:
            return cls(text)
        except ValueError:
            return cls.OTHER


class UnparsedReason(StrEnum):
    """Why part of a plan's markdown is not in its structured sections."""

    UNKNOWN_SECTION = "unknown_section"  # a heading the parser does not know
    NOTHING_READ = "nothing_read"  # a known section with text, none of it readable
    NO_BUNDLE_ID = "no_bundle_id"  # a bundle line that names no catalog id
    UNKNOWN_BUNDLE = "unknown_bundle"  # a bundle id the catalog does not have
    NOT_A_DAY = "not_a_day"  # a subsection of the simulation that is not a day
    NO_RISK_LEVEL = "no_risk_level"  # a risk that states no level

    @classmethod
    def of(cls, text: str) -> UnparsedReason:
        try:
            return cls(text)
        except ValueError:
            return cls.UNKNOWN_SECTION


RISK_LEVELS = tuple(level.value for level in RiskLevel if level is not RiskLevel.UNKNOWN)
UNKNOWN_RISK_LEVEL = RiskLevel.UNKNOWN.value
SKILL_PRIORITIES = tuple(priority.value for priority in SkillPriority)
DEFAULT_SKILL_PRIORITY = SkillPriority.MEDIUM.value
# What the parser reports it could not read is bounded whatever the plan holds.
MAX_UNPARSED_PARTS = 20
MAX_EXCERPT_CHARS = 200
MAX_UNPARSED_HEADING_CHARS = 120


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
class EvacuationStep:
    topic: str  # an EvacuationTopic value
    title: str  # the topic as the plan words it, e.g. "When to leave"
    advice: str  # markdown


@dataclass(frozen=True)
class EvacuationPlan:
    overview: str  # text outside the topic lines, markdown; often ""
    steps: tuple[EvacuationStep, ...] = ()


@dataclass(frozen=True)
class UnparsedPart:
    """Something of the markdown the sections do not hold, for the reader to look up."""

    section: str  # the heading of the section it is in, cleaned
    reason: str  # an UnparsedReason value
    excerpt: str  # its start, whitespace collapsed, at most MAX_EXCERPT_CHARS


@dataclass(frozen=True)
class PlanSections:
    executive_summary: str
    risk_assessment: tuple[RiskAssessment, ...] = ()
    bundles: tuple[BundleRecommendation, ...] = ()
    skills: tuple[Skill, ...] = ()
    simulation: tuple[SimulationDay, ...] = ()
    next_steps: tuple[str, ...] = ()
    evacuation: EvacuationPlan | None = None  # None without an Evacuation Plan section
    # At most MAX_UNPARSED_PARTS, in the plan's order, then the ids resolve_bundles dropped.
    unparsed: tuple[UnparsedPart, ...] = ()

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
            evacuation=_evacuation_from_dict(data.get("evacuation")),
            unparsed=tuple(
                UnparsedPart(**_texts(u, "section", "reason", "excerpt"))
                for u in data.get("unparsed") or ()
            ),
        )


def _evacuation_from_dict(data: Mapping[str, Any] | None) -> EvacuationPlan | None:
    if data is None:
        return None
    return EvacuationPlan(
        overview=str(data.get("overview") or ""),
        steps=tuple(
            EvacuationStep(**_texts(step, "topic", "title", "advice"))
            for step in data.get("steps") or ()
        ),
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

    Lines without an id are dropped too: there is no catalog entry to show (the
    parser reported them). An id the catalog does not have is reported here.
    """
    seen: set[str] = set()
    kept: list[BundleRecommendation] = []
    unknown: list[UnparsedPart] = []
    for bundle in sections.bundles:
        if bundle.bundle_id in known_ids:
            if bundle.bundle_id not in seen:
                seen.add(bundle.bundle_id)
                kept.append(bundle)
        elif bundle.bundle_id:
            excerpt = f"{bundle.name} [bundle:{bundle.bundle_id}]"[:MAX_EXCERPT_CHARS]
            unknown.append(UnparsedPart(_BUNDLES_HEADING, UnparsedReason.UNKNOWN_BUNDLE, excerpt))
    unparsed = (*sections.unparsed, *unknown)[:MAX_UNPARSED_PARTS]
    return replace(sections, bundles=tuple(kept), unparsed=unparsed)


_BUNDLES_HEADING = "Recommended Bundles"
