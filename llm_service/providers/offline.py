"""Deterministic planner: writes a mission plan from the wizard without any network.

Same input, same text: no randomness, no clock. It is the zero-config default
and the reference for the plan format (docs/plan-format.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator, Sequence
from typing import Any

from llm_service.plan_request import (
    BUDGET_TIERS,
    Bundle,
    Member,
    PlanRequest,
    display_name,
    parse_bundles,
    parse_plan_request,
)
from llm_service.providers.base import Generation, StreamItem, TextDelta
from llm_service.providers.offline_knowledge import (
    LEVELS,
    MOBILITY_NEEDS,
    POWER_DEPENDENT_NEEDS,
    PROFILES,
    REFRIGERATED_NEEDS,
)
from llm_service.providers.offline_schedule import (
    next_steps,
    simulation_days,
    survival_skills,
    water_gallons,
)
from llm_service.providers.prose import (
    count_of,
    join_words,
    lower_first,
    names_of,
    upper_first,
    verb_for,
)

OFFLINE_MODEL = "offline-planner-v1"
_MAX_BUNDLES, _MIN_BUNDLES = 6, 3
# About what a model's stream carries in a burst: a few dozen tokens.
_CHUNK_CHARS = 120
_STRATEGY_PHRASES = {
    "SHELTER_IN_PLACE": "shelter in place",
    "EVACUATE": "evacuate early",
    "FLEXIBLE": "stay flexible: shelter in place by default and leave when a clear trigger is met",
}


class OfflinePlanner:
    """Streams its plan in word-aligned chunks, like a model, so live progress works offline.

    `chunk_delay_seconds` paces the chunks (0: as fast as the consumer reads them).
    """

    def __init__(self, *, chunk_delay_seconds: float = 0.0) -> None:
        self._chunk_delay = chunk_delay_seconds

    async def stream(
        self, *, system: str, user: str, context: dict[str, Any]
    ) -> AsyncGenerator[StreamItem, None]:
        request = parse_plan_request(context.get("wizard"))
        bundles = parse_bundles(context.get("bundles"))
        text = write_plan(request, bundles)
        for chunk in text_chunks(text):
            if self._chunk_delay:
                await asyncio.sleep(self._chunk_delay)
            yield TextDelta(chunk)
        yield Generation(
            text=text,
            model=OFFLINE_MODEL,
            input_tokens=(len(system) + len(user)) // 4,
            output_tokens=len(text) // 4,
            cost_usd=0.0,
        )


def text_chunks(text: str, size: int = _CHUNK_CHARS) -> Iterator[str]:
    """Pieces of about `size` characters, cut after whitespace; joined, they are `text`."""
    start = 0
    while start < len(text):
        end = start + size
        if end < len(text):
            cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end)) + 1
            # No whitespace in the window (a long URL): cut mid-word rather than scan on.
            end = cut if cut > start else end
        yield text[start:end]
        start = end


def write_plan(request: PlanRequest, catalog: Sequence[Bundle]) -> str:
    risks = ranked_risks(request)
    by_risk = [scenario for scenario, _ in risks]
    chosen = choose_bundles(request, catalog)
    sections = [
        f"# Mission Plan: {request.place}",
        "## Executive Summary\n" + executive_summary(request, risks),
        "## Risk Assessment\n" + "\n\n".join(risk_sections(request, risks)),
        "## Recommended Bundles\n" + "\n".join(bundle_lines(request, chosen)),
        "## Survival Skills\n" + "\n".join(survival_skills(request, by_risk)),
        "## Day-by-Day Simulation\n" + "\n\n".join(simulation_days(request, by_risk)),
        "## Next Steps\n" + "\n".join(next_steps(request, chosen)),
    ]
    return "\n\n".join(sections) + "\n"


def ranked_risks(request: PlanRequest) -> list[tuple[str, str]]:
    """(scenario, level) most severe first; ties keep the family's order of choice."""
    leveled = [(s, PROFILES[s].level_for(request.state)) for s in request.scenarios]
    return sorted(leveled, key=lambda pair: -LEVELS.index(pair[1]))


def household_description(request: PlanRequest) -> str:
    ages = [m.age for m in request.members]
    groups = [
        (sum(1 for a in ages if a < 5), "young child under 5", "young children under 5"),
        (sum(1 for a in ages if 5 <= a < 18), "child", "children"),
        (sum(1 for a in ages if 18 <= a < 65), "adult", "adults"),
        (sum(1 for a in ages if a >= 65), "senior 65 or older", "seniors 65 or older"),
    ]
    parts = [f"{n} {one if n == 1 else many}" for n, one, many in groups if n]
    size = len(ages)
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
    stored_days = min(request.duration_days, 14)
    gallons = count_of(water_gallons(request, stored_days), "gallon")
    supplies = (
        f"On the {request.budget_tier.title()} budget tier the priorities are water (at "
        f"least {gallons} for {count_of(stored_days, 'day')}), food that needs no cooking, "
        "light, power and first aid, then the bundles below."
    )
    paragraphs = [opening, supplies + " " + household_needs(request)]
    if request.notes:
        notes = request.notes.rstrip(" .!?")
        paragraphs.append(f"Your notes: {notes}. Adjust the steps below where they do not fit.")
    return "\n\n".join(paragraphs).strip()


def household_needs(request: PlanRequest) -> str:
    sentences = []
    if request.infants:
        sentences.append(
            f"{upper_first(join_words(names_of(request.infants)))} "
            f"{verb_for(request.infants, 'needs', 'need')} formula, diapers and comfort items "
            "packed first."
        )
    if request.seniors:
        sentences.append(
            f"{upper_first(join_words(names_of(request.seniors)))} may need help moving "
            "quickly and "
            "spare glasses."
        )
    for member in request.with_medical_needs:
        needs = join_words(list(member.medical_needs))
        sentences.append(
            f"Keep a 14-day supply and written prescriptions for {needs} ({member.label})."
        )
    if request.pet_count:
        pets = "your pet" if request.pet_count == 1 else f"your {request.pet_count} pets"
        sentences.append(f"Plan food, water, carriers and records for {pets}.")
    return " ".join(sentences)


def risk_sections(request: PlanRequest, risks: list[tuple[str, str]]) -> list[str]:
    """One `### Scenario — LEVEL` block each; travel advice only under the first that needs it."""
    leaving = [s for s, _ in risks if PROFILES[s].forces_evacuation]
    travel_scenario = leaving[0] if leaving and request.strategy != "SHELTER_IN_PLACE" else None
    return [
        risk_section(request, scenario, level, travel_advice=scenario == travel_scenario)
        for scenario, level in risks
    ]


def risk_section(request: PlanRequest, scenario: str, level: str, *, travel_advice: bool) -> str:
    profile = PROFILES[scenario]
    plan = profile.evacuate if request.strategy == "EVACUATE" else profile.shelter
    if request.strategy == "FLEXIBLE" and profile.forces_evacuation:
        plan = f"{profile.shelter} {profile.evacuate}"
    lead = f"{profile.hazard.format(place=request.place)} {profile.prepare} {plan}"
    details = _family_risk_notes(request, scenario)
    if travel_advice:
        details.append(_travel_note(request))
    body = lead if not details else f"{lead}\n\n{' '.join(details)}"
    return f"### {display_name(scenario)} — {level}\n{body}"


def _family_risk_notes(request: PlanRequest, scenario: str) -> list[str]:
    profile = PROFILES[scenario]
    notes = []
    if request.infants:
        notes.append(f"For {join_words(names_of(request.infants))}: {lower_first(profile.infants)}")
    if request.seniors:
        notes.append(f"For {join_words(names_of(request.seniors))}: {lower_first(profile.seniors)}")
    notes.extend(_medical_notes(request.with_medical_needs, scenario))
    if request.pet_count:
        notes.append(profile.pets)
    return notes


def _travel_note(request: PlanRequest) -> str:
    if request.has_vehicle:
        return "Keep the fuel tank at least half full from the first forecast."
    return (
        "Without a vehicle, arrange a ride now or learn the public evacuation pickup points "
        f"in {request.city}."
    )


def _medical_notes(members: Sequence[Member], scenario: str) -> list[str]:
    profile = PROFILES[scenario]
    notes = []
    for member in members:
        for need in member.medical_needs:
            lowered = need.lower()
            if profile.cuts_power and _mentions(lowered, POWER_DEPENDENT_NEEDS):
                notes.append(
                    f"{upper_first(member.label)}'s {need} depends on electricity: keep a "
                    "battery backup for at least 72 hours and tell the utility."
                )
            elif profile.cuts_power and _mentions(lowered, REFRIGERATED_NEEDS):
                notes.append(
                    f"{upper_first(member.label)}'s {need} must stay cool: keep a cooler, "
                    "frozen packs and an evaporative cooling pouch."
                )
            elif profile.forces_evacuation and _mentions(lowered, MOBILITY_NEEDS):
                notes.append(
                    f"{upper_first(member.label)} ({need}) needs a step-free route out and "
                    "extra time: leave at the first warning."
                )
    return notes


def choose_bundles(request: PlanRequest, catalog: Sequence[Bundle]) -> list[Bundle]:
    """3-6 bundles: matching and affordable first, then general ones, then stretch picks."""
    budget = _tier_rank(request.budget_tier)
    wanted = set(request.scenarios)

    def overlap(bundle: Bundle) -> int:
        return len(wanted.intersection(bundle.scenarios))

    def order(bundle: Bundle) -> tuple[int, int, str]:
        return (-overlap(bundle), -_tier_rank(bundle.budget_tier), bundle.id)

    affordable = sorted((b for b in catalog if _tier_rank(b.budget_tier) <= budget), key=order)
    matching = [b for b in affordable if overlap(b)]
    general = [b for b in affordable if not overlap(b)]
    stretch = sorted(
        (b for b in catalog if _tier_rank(b.budget_tier) > budget and overlap(b)), key=order
    )
    chosen = matching[:_MAX_BUNDLES]
    for bundle in [*general, *stretch]:
        if len(chosen) >= _MIN_BUNDLES:
            break
        chosen.append(bundle)
    return chosen


def bundle_lines(request: PlanRequest, bundles: Sequence[Bundle]) -> list[str]:
    if not bundles:
        return [
            "- **Build-your-own kit** — no catalog bundle matched; start with water, "
            "no-cook food, a radio, light and a first aid kit."
        ]
    return [_bundle_line(request, bundle) for bundle in bundles]


def _bundle_line(request: PlanRequest, bundle: Bundle) -> str:
    covered = [display_name(s) for s in request.scenarios if s in bundle.scenarios]
    reasons = [f"covers {join_words(covered)}" if covered else "useful in every scenario"]
    if bundle.items:
        reasons.append(f"includes {join_words(list(bundle.items[:3]))}")
    price = f" at ${bundle.price_usd}" if bundle.price_usd else ""
    if _tier_rank(bundle.budget_tier) > _tier_rank(request.budget_tier):
        reasons.append(f"a step above your budget{price}, worth it if you can")
    else:
        reasons.append(f"fits your {request.budget_tier.title()} budget{price}")
    return f"- **{bundle.name}** [bundle:{bundle.id}] — {'; '.join(reasons)}."


def _tier_rank(tier: str) -> int:
    return BUDGET_TIERS.index(tier) if tier in BUDGET_TIERS else 1


def _mentions(text: str, keywords: Sequence[str]) -> bool:
    return any(keyword in text for keyword in keywords)
