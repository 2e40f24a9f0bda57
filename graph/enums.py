"""The domain's enums as GraphQL enums, each value described (the domain stays framework-free).

strawberry.enum registers a domain enum in place and returns the same class; the
aliases below name the class itself (not the call's result) so mypy accepts them as
types. A GraphQL value is the member's name (e.g. `HIGH` for SkillPriority.HIGH,
whose stored value is "high").
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

import strawberry

from domain import report, wizard
from domain.failures import MissionErrorCode
from domain.field_errors import FieldErrorCode
from domain.notifications import NotificationKind
from domain.plan_sections import EvacuationTopic, RiskLevel, SkillPriority, UnparsedReason


def register(enum: type[Enum], description: str, values: Mapping[str, str]) -> None:
    """Registers `enum` with a description for each value; a value left out is an error."""
    missing = {member.name for member in enum} - values.keys()
    if missing:
        raise ValueError(f"{enum.__name__}: no description for {sorted(missing)}")
    strawberry.enum(enum, description=description)
    for value in enum.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[value.name]


register(
    wizard.Scenario,
    "An emergency the family prepares for.",
    {scenario.name: f"{scenario.display_name}." for scenario in wizard.Scenario},
)
register(
    wizard.BudgetTier,
    "How much the family means to spend on supplies, cheapest first.",
    {
        "ESSENTIAL": "The bare minimum to get through.",
        "STANDARD": "A sound kit for most households.",
        "ENHANCED": "More comfort and redundancy.",
        "PREMIUM": "The most complete kit.",
    },
)
register(
    wizard.MobilityStrategy,
    "Whether the family plans to stay or leave when the emergency comes.",
    {
        "SHELTER_IN_PLACE": "Stay at home and ride it out.",
        "EVACUATE": "Leave for a safer place.",
        "FLEXIBLE": "Decide when it happens: prepare for both.",
    },
)
register(
    report.MissionStatus,
    "Where a plan's generation is; a failed plan can be retried.",
    {
        "GENERATING": "Being written: progress events follow.",
        "COMPLETED": "Written: the plan can be read.",
        "FAILED": "Stopped with an error (MissionReport.error).",
    },
)
register(
    RiskLevel,
    "How badly a scenario can hit the family, lowest first.",
    {
        "LOW": "Unlikely, or little harm.",
        "MODERATE": "Possible, with real harm.",
        "HIGH": "Likely, or serious harm.",
        "SEVERE": "Likely and dangerous to life.",
        "UNKNOWN": "The plan does not state a level.",
    },
)
register(
    SkillPriority,
    "How soon to learn a skill, most urgent first.",
    {
        "HIGH": "Learn it first.",
        "MEDIUM": "Learn it soon (also when the plan does not say).",
        "LOW": "Good to know.",
    },
)
register(
    EvacuationTopic,
    "What one step of an evacuation plan is about.",
    {
        "WHEN_TO_LEAVE": "The trigger to leave, e.g. the first official warning.",
        "DESTINATION": "Where to go.",
        "ROUTES": "The ways out.",
        "GETTING_THERE": "How to travel: the family's vehicle, a ride or public transport.",
        "WHAT_TO_TAKE": "What to carry: go-bags, documents, medications.",
        "MEETING_POINTS": "Where to meet if separated, and whom to call.",
        "OTHER": "Anything else the plan says about leaving.",
    },
)
register(
    UnparsedReason,
    "Why part of a plan's markdown is not in its sections (it is still in MissionPlan.content).",
    {
        "UNKNOWN_SECTION": "A section this parser does not know.",
        "NOTHING_READ": "A known section whose text held no entry the parser could read.",
        "NO_BUNDLE_ID": "A bundle line that names no catalog id, so no bundle is shown for it.",
        "UNKNOWN_BUNDLE": "A bundle id the catalog does not have.",
        "NOT_A_DAY": "A subsection of the simulation that is not a numbered day.",
        "NO_RISK_LEVEL": "A risk that states no level (its level reads UNKNOWN).",
    },
)
register(
    NotificationKind,
    "What a notification tells.",
    {"PLAN_READY": "A plan finished generating and can be read."},
)
register(
    MissionErrorCode,
    "Why a plan failed. Each description is the message a user reads for it; a code this "
    "version does not know is shown as GENERATION_FAILED.",
    {code.name: code.message for code in MissionErrorCode},
)
register(
    FieldErrorCode,
    "Which rule a wizard answer breaks (FieldError.message says it in words).",
    {
        "REQUIRED": "A required answer is missing.",
        "INVALID_FORMAT": "The answer has the wrong form (e.g. a country that is not two letters).",
        "INVALID_CHARACTERS": "The text holds control characters.",
        "TOO_SHORT": "The text is shorter than allowed (e.g. blank).",
        "TOO_LONG": "The text is longer than allowed.",
        "UNKNOWN_COUNTRY": "Not an ISO 3166 country code.",
        "DUPLICATE": "The same choice is given twice.",
        "INVALID_CHOICE": "Not one of the allowed choices.",
        "OUT_OF_RANGE": "A number outside its bounds.",
        "TOO_FEW": "The list has fewer entries than allowed.",
        "TOO_MANY": "The list has more entries than allowed.",
        "TOO_MANY_ERRORS": "More problems than are listed; fix these first.",
    },
)

Scenario = wizard.Scenario
BudgetTier = wizard.BudgetTier
MobilityStrategy = wizard.MobilityStrategy
MissionStatus = report.MissionStatus
__all__ = [
    "BudgetTier",
    "EvacuationTopic",
    "FieldErrorCode",
    "MissionErrorCode",
    "MissionStatus",
    "MobilityStrategy",
    "NotificationKind",
    "RiskLevel",
    "Scenario",
    "SkillPriority",
    "UnparsedReason",
]
