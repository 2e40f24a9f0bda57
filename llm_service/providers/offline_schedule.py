"""The offline planner's survival skills and next steps."""

from __future__ import annotations

from collections.abc import Sequence

from llm_service import guidance
from llm_service.plan_request import Bundle, PlanRequest
from llm_service.providers.offline_knowledge import GENERAL_SKILLS, PROFILES, Skill
from llm_service.providers.prose import count_of, join_words, names_of, verb_for

_PRIORITY_ORDER = ("high", "medium", "low")
_MAX_SKILLS = 8
_MAX_HIGH_SKILLS = 6
_MAX_NEXT_STEPS = 8


def water_gallons(request: PlanRequest, days: int) -> int:
    """The household's water for `days` (public guidance: a gallon per person per day)."""
    return guidance.water_gallons(len(request.members), request.pet_count, days)


def survival_skills(request: PlanRequest, scenarios_by_risk: Sequence[str]) -> list[str]:
    """5-8 skills, most urgent first; the family's own needs outrank generic ones."""
    profiles = [PROFILES[s] for s in scenarios_by_risk]
    candidates = [
        *_family_skills(request),
        *(s for s in GENERAL_SKILLS if s.priority == "high"),
        *(p.skills[0] for p in profiles),
        *(skill for p in profiles for skill in p.skills[1:]),
        *(s for s in GENERAL_SKILLS if s.priority != "high"),
    ]
    first_by_name: dict[str, Skill] = {}
    for skill in candidates:
        first_by_name.setdefault(skill.name, skill)
    ranked = sorted(first_by_name.values(), key=lambda skill: _PRIORITY_ORDER.index(skill.priority))
    # A list of nothing but "high" reads as noise: leave room for the medium ones.
    urgent = [skill for skill in ranked if skill.priority == "high"][:_MAX_HIGH_SKILLS]
    rest = [skill for skill in ranked if skill.priority != "high"]
    return [
        f"- **{skill.name}** (priority: {skill.priority}) — {skill.why}."
        for skill in [*urgent, *rest][:_MAX_SKILLS]
    ]


def _family_skills(request: PlanRequest) -> list[Skill]:
    skills = []
    if request.infants:
        who = join_words(names_of(request.infants))
        skills.append(
            Skill(
                "Infant care without utilities",
                "high",
                f"{who} {verb_for(request.infants, 'needs', 'need')} safe feeding, warmth and "
                "hygiene when water and power fail",
            )
        )
    if request.seniors or request.with_medical_needs:
        skills.append(
            Skill(
                "Medication management",
                "high",
                "missed or spoiled medication turns an outage into a medical emergency",
            )
        )
    leaving = request.strategy != "SHELTER_IN_PLACE"
    if leaving:
        how = "by car" if request.has_vehicle else "without a car"
        skills.append(
            Skill(
                "Evacuation route planning",
                "high",
                f"you plan to leave {request.city} {how}, and the first route is often closed",
            )
        )
    if request.pet_count:
        skills.append(
            Skill(
                "Pet first aid and handling",
                "medium",
                "vets are closed and frightened pets get hurt",
            )
        )
    return skills


def next_steps(
    request: PlanRequest, bundles: Sequence[Bundle], scenarios_by_risk: Sequence[str]
) -> list[str]:
    """5-8 numbered actions, ordered by what protects the family soonest."""
    days = request.duration_days
    steps = []
    if bundles:
        steps.append(f"Order the **{bundles[0].name}** first; it closes the biggest gap.")
    steps.append(
        f"Store {count_of(water_gallons(request, days), 'gallon')} of water "
        f"({count_of(days, 'day')} for the household) and date the containers; add "
        f"{count_of(days, 'day')} of no-cook food and a manual can opener."
    )
    supplies = []
    if request.seniors or request.with_medical_needs:
        supplies.append(f"a {days}-day supply of medications with copies of the prescriptions")
    if request.infants:
        supplies.append(f"{days} days of formula, diapers and infant medicine")
    if supplies:
        steps.append(
            f"Set aside {join_words(supplies)} with your emergency supplies; ask your doctor "
            "and pharmacy."
        )
    steps.append(
        "Agree on an out-of-state contact and two meeting places, and write the numbers on "
        "paper for everyone."
    )
    steps.append(_strategy_step(request, scenarios_by_risk))
    if request.pet_count:
        steps.append("Put pet vaccination records, photos and a week of food in a pet go-bag.")
    steps.append(
        f"Sign up for emergency alerts for {request.place} and keep a NOAA weather radio "
        "with spare batteries."
    )
    steps.append(
        "Run a 24-hour practice drill with the power off, then review this plan every six months."
    )
    return [f"{n}. {text}" for n, text in enumerate(steps[:_MAX_NEXT_STEPS], start=1)]


def _strategy_step(request: PlanRequest, scenarios_by_risk: Sequence[str]) -> str:
    if request.strategy == "SHELTER_IN_PLACE":
        return (
            "Pick an interior safe room and stock it with water, light, a radio and a first "
            "aid kit."
        )
    if request.strategy == "EVACUATE":
        return (
            f"Map two evacuation routes out of {request.city} and a destination at least "
            "50 miles away."
        )
    trigger = guidance.LEAVE_TRIGGERS[scenarios_by_risk[0]]
    return f"Write down your triggers for leaving (first: {trigger}) and map two routes out."
