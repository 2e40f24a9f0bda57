"""The offline planner's Executive Summary: the household, its strategy, water, food, needs."""

from __future__ import annotations

from llm_service import guidance
from llm_service.plan_request import Member, PlanRequest, display_name
from llm_service.providers.offline_knowledge import POWER_DEPENDENT_NEEDS
from llm_service.providers.prose import (
    count_of,
    join_phrases,
    join_words,
    names_of,
    upper_first,
    verb_for,
)

_STRATEGY_PHRASES = {
    "SHELTER_IN_PLACE": "shelter in place",
    "EVACUATE": "evacuate early",
    "FLEXIBLE": "stay flexible: shelter in place by default and leave when a clear trigger is met",
}


def household_description(request: PlanRequest) -> str:
    groups = [
        (request.infants, "infant under 2", "infants under 2"),
        (request.children, "child", "children"),
        (request.adults, "adult", "adults"),
        (request.seniors, "older adult 65 or older", "older adults 65 or older"),
    ]
    parts = [f"{len(who)} {one if len(who) == 1 else many}" for who, one, many in groups if who]
    size = len(request.members)
    household = "a household of one" if size == 1 else f"a household of {size}"
    return f"{household} ({join_words(parts)})"


def executive_summary(request: PlanRequest, risks: list[tuple[str, str]]) -> str:
    top, top_level = risks[0]
    names = join_words([display_name(s) for s in request.scenarios])
    vehicle = "with a vehicle" if request.has_vehicle else "without a vehicle"
    opening = (
        f"This plan prepares {household_description(request)} in {request.place} for "
        f"{names} over {request.duration_days} days. Your strategy is to "
        f"{_STRATEGY_PHRASES[request.strategy]}, {vehicle}. The greatest threat for your "
        f"location is {display_name(top)} ({top_level}), so the plan starts there."
    )
    paragraphs = [opening, water_and_food(request)]
    needs = household_needs(request)
    if needs:
        paragraphs.append(needs)
    if request.notes:
        notes = request.notes.rstrip(" .!?")
        paragraphs.append(f"Your notes: {notes}. Adjust the steps below where they do not fit.")
    return "\n\n".join(paragraphs).strip()


def water_and_food(request: PlanRequest) -> str:
    people, pets, days = len(request.members), request.pet_count, request.duration_days
    gallons = guidance.water_gallons(people, pets, days)
    who = "1 person" if people == 1 else f"{people} people"
    basis = f"one gallon per person per day for {who} over {count_of(days, 'day')}"
    if pets:
        basis += f", plus {guidance.PET_WATER_RATE} for {_pets(pets)} "
        basis += f"({guidance.PET_WATER_CAVEAT})"
    pet_food = f", and {days} days of food for {_pets(pets)}" if pets else ""
    return (
        f"Water comes first: store {count_of(gallons, 'gallon')}: {basis}. Food for the "
        f"whole {days} days: non-perishable food that needs no cooking, about "
        f"{guidance.meals(people, days):,} meals for the household, with a manual can opener"
        f"{pet_food}. Then light, power, a radio and first aid, and the bundles below."
    )


def household_needs(request: PlanRequest) -> str:
    """A sentence for each kind of member who needs more than the basics."""
    days = request.duration_days
    sentences = []
    if request.infants:
        who = request.infants
        formula = guidance.INFANT_FORMULA_OZ_PER_DAY * days * len(who)
        diapers = guidance.INFANT_DIAPERS_PER_DAY * days * len(who)
        sentences.append(
            f"{upper_first(join_words(names_of(who)))} (under 2) "
            f"{verb_for(who, 'needs', 'need')} about {formula:,} oz of formula "
            f"({guidance.INFANT_FORMULA_OZ_PER_DAY} oz a day; choose {guidance.INFANT_FORMULA}) "
            f"and {diapers:,} diapers ({guidance.INFANT_DIAPERS_PER_DAY} a day) for {days} "
            f"days, plus {join_phrases(list(guidance.INFANT_SUPPLIES))}."
        )
    if request.children:
        sentences.append(
            f"For {join_words(names_of(request.children))}: "
            f"{join_phrases(list(guidance.CHILD_SUPPLIES))}."
        )
    if request.seniors:
        sentences.append(
            f"{upper_first(join_words(names_of(request.seniors)))} (65 or older) "
            f"{verb_for(request.seniors, 'needs', 'need')} "
            f"{join_phrases(list(guidance.OLDER_ADULT_SUPPLIES))}."
        )
    sentences += [_medical_sentence(member, days) for member in request.with_medical_needs]
    if request.pet_count:
        sentences.append(
            f"For {_pets(request.pet_count)}: {join_phrases(list(guidance.PET_SUPPLIES))}."
        )
    return " ".join(sentences)


def _medical_sentence(member: Member, days: int) -> str:
    needs = ", ".join(member.medical_needs)
    supplies = [f"a {days}-day supply of every medication", *guidance.MEDICAL_SUPPLIES]
    sentence = f"For {member.label} ({needs}): {join_phrases(supplies)}"
    lowered = " ".join(member.medical_needs).lower()
    if any(word in lowered for word in POWER_DEPENDENT_NEEDS):
        sentence += f"; for powered devices, {guidance.POWER_DEVICE_ADVICE}"
    return sentence + "."


def _pets(count: int) -> str:
    return "your pet" if count == 1 else f"your {count} pets"
