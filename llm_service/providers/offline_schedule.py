"""The offline planner's skills, day-by-day simulation and next steps."""

from __future__ import annotations

import math
from collections.abc import Sequence

from llm_service.plan_request import Bundle, PlanRequest, display_name
from llm_service.providers.offline_knowledge import GENERAL_SKILLS, PROFILES, Skill
from llm_service.providers.prose import count_of, join_words, lower_first, names_of, verb_for

_PRIORITY_ORDER = ("high", "medium", "low")
_MAX_SKILLS = 8
_MAX_HIGH_SKILLS = 6
_MAX_SIMULATED_DAYS = 7
_MAX_NEXT_STEPS = 8


def water_gallons(request: PlanRequest, days: int) -> int:
    """One gallon per person per day (FEMA), about half a gallon per pet."""
    return math.ceil((len(request.members) + 0.5 * request.pet_count) * days)


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


def simulation_days(request: PlanRequest, scenarios_by_risk: Sequence[str]) -> list[str]:
    """`### Day N: title` blocks; the last one summarises any remaining duration."""
    count = min(request.duration_days, _MAX_SIMULATED_DAYS)
    middle = _middle_days(request, scenarios_by_risk)
    days = middle[: max(count - 1, 1)]
    if count > 1:
        days.append(_closing_day(request, count))
    return [f"### Day {n}: {title}\n{text}" for n, (title, text) in enumerate(days, start=1)]


def _middle_days(request: PlanRequest, scenarios_by_risk: Sequence[str]) -> list[tuple[str, str]]:
    primary = PROFILES[scenarios_by_risk[0]]
    per_day = water_gallons(request, 1)
    stored = water_gallons(request, min(request.duration_days, 14))
    second = (
        f" Then {display_name(scenarios_by_risk[1])} compounds it: "
        f"{lower_first(PROFILES[scenarios_by_risk[1]].aftermath)}"
        if len(scenarios_by_risk) > 1
        else ""
    )
    needs = join_words(list(request.all_medical_needs))
    return [
        (primary.onset_title, f"{primary.onset} {_first_day_action(request)}"),
        (
            primary.aftermath_title,
            f"{primary.aftermath} The household uses about {count_of(per_day, 'gallon')} of "
            "water a day; "
            "phones stay on battery saver and you listen to the radio at set hours.",
        ),
        (
            "Taking stock",
            f"You count what is left: about {max(stored - 3 * per_day, 0)} of "
            f"{count_of(stored, 'gallon')} of water, and food for the days ahead.{second}",
        ),
        (
            "Finding a routine",
            "Meals at fixed times, one check-in with your out-of-state contact, sanitation "
            "with bags and bleach. " + _routine_for(request),
        ),
        (
            "Health check",
            "Check everyone for cuts, fever, dehydration and exhaustion; clean small wounds "
            "before they infect."
            + (f" Check the supplies for {needs} and plan refills." if needs else ""),
        ),
        (
            "Neighbours and news",
            "Check on neighbours, especially older people living alone, share what you have "
            "extra and confirm official information before acting on rumours.",
        ),
    ]


def _first_day_action(request: PlanRequest) -> str:
    if request.strategy == "EVACUATE":
        action = (
            "You load the go-bags and drive out before the roads clog."
            if request.has_vehicle
            else "Your pre-arranged ride picks everyone up with the go-bags."
        )
    elif request.strategy == "FLEXIBLE":
        action = (
            "You check the alerts against your trigger for leaving; it is not met, so you "
            "settle into the safe room with the go-bags by the door."
        )
    else:
        action = (
            "You gather everyone in the safe room, fill the bathtub and charge every device "
            "while power lasts."
        )
    if request.pet_count:
        action += " Pets are in carriers before the worst arrives."
    return action


def _routine_for(request: PlanRequest) -> str:
    if request.infants:
        return (
            f"{join_words(names_of(request.infants))} "
            f"{verb_for(request.infants, 'keeps', 'keep')} the usual nap and feeding times, "
            "which calms the whole household."
        )
    if request.seniors:
        return (
            f"{join_words(names_of(request.seniors))} "
            f"{verb_for(request.seniors, 'takes', 'take')} medications on schedule."
        )
    return "Everyone has a job, which keeps morale up."


def _closing_day(request: PlanRequest, day: int) -> tuple[str, str]:
    if request.duration_days > _MAX_SIMULATED_DAYS:
        return (
            f"The long haul (days {day}-{request.duration_days})",
            f"Services return slowly over the remaining {request.duration_days - day + 1} "
            "days. Ration water and food to last, resupply when stores reopen, purify water "
            "once stored water runs low, and keep the daily routine and check-ins going.",
        )
    return (
        "Toward recovery",
        "Power and roads return. You restock what you used, note what was missing and "
        "update this plan while the lessons are fresh.",
    )


def next_steps(request: PlanRequest, bundles: Sequence[Bundle]) -> list[str]:
    """5-8 numbered actions, ordered by what protects the family soonest."""
    days = min(request.duration_days, 14)
    steps = []
    if bundles:
        steps.append(f"Order the **{bundles[0].name}** first; it closes the biggest gap.")
    steps.append(
        f"Store {count_of(water_gallons(request, days), 'gallon')} of water "
        f"({count_of(days, 'day')} for the household) and date the containers."
    )
    supplies = []
    if request.seniors or request.with_medical_needs:
        supplies.append("an emergency supply of medications with copies of the prescriptions")
    if request.infants:
        supplies.append("two weeks of formula, diapers and infant medicine")
    if supplies:
        steps.append(f"Put {join_words(supplies)} in the go-bag; ask your doctor and pharmacy.")
    steps.append(
        "Agree on an out-of-state contact and two meeting places, and write the numbers on "
        "paper for everyone."
    )
    steps.append(_strategy_step(request))
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


def _strategy_step(request: PlanRequest) -> str:
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
    return (
        "Write down your trigger for leaving (an evacuation order, three days without power) "
        "and map two routes out."
    )
