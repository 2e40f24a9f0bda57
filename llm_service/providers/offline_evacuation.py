"""The offline planner's Evacuation Plan section, for EVACUATE and FLEXIBLE households."""

from __future__ import annotations

from collections.abc import Sequence

from llm_service.guidance import (
    EVACUATION_MIN_MILES,
    GO_BAG_DAYS,
    GO_BAG_ITEMS,
    LEAVE_TRIGGERS,
    MEETING_POINTS,
    water_gallons,
)
from llm_service.plan_request import PlanRequest
from llm_service.providers.prose import count_of, join_phrases, join_words, names_of, upper_first


def has_evacuation_plan(request: PlanRequest) -> bool:
    return request.strategy in ("EVACUATE", "FLEXIBLE")


def evacuation_plan(request: PlanRequest, scenarios_by_risk: Sequence[str]) -> list[str]:
    """List lines: when to leave, where to, how, what to carry, where to meet, who needs help."""
    lines = [
        _when_to_leave(request, scenarios_by_risk),
        f"- **Destination** — {_destination(request)}",
        f"- **Routes** — Map two routes out of {request.city}, away from the hazard, "
        "and keep a paper map: phones and navigation fail when networks are overloaded. "
        "Learn your local evacuation zone and the official evacuation routes now.",
        f"- **Getting there** — {_transport(request)}",
        f"- **Go-bags** — {_go_bags(request)}",
        f"- **Meeting points** — Agree on two: one {MEETING_POINTS[0]}; one {MEETING_POINTS[1]}. "
        "Everyone also calls one out-of-town contact, who passes messages on.",
    ]
    helpers = _who_needs_help(request)
    if helpers:
        lines.append(f"- **Who needs help** — {' '.join(helpers)}")
    return lines


def _when_to_leave(request: PlanRequest, scenarios_by_risk: Sequence[str]) -> str:
    if request.strategy == "EVACUATE":
        return (
            "- **When to leave** — At the first official warning, before the order: leaving "
            "early avoids clogged roads and empty fuel stations, and you never have to decide "
            "under pressure."
        )
    triggers = [LEAVE_TRIGGERS[s] for s in scenarios_by_risk]
    return (
        "- **When to leave** — You shelter at home by default and leave as soon as any "
        f"trigger is met: {'; '.join(triggers)}. Always leave when officials order it."
    )


def _destination(request: PlanRequest) -> str:
    pets = " that accepts pets" if request.pet_count else ""
    if request.has_vehicle:
        return (
            f"The home of friends or family at least {EVACUATION_MIN_MILES} miles away, "
            f"outside the affected area, or a hotel{pets} booked early; a public shelter is "
            "the fallback. Tell your hosts now that you may come."
        )
    return (
        "A public shelter your ride or the public evacuation transport can reach, or the "
        f"home of friends or family{pets} who can collect you; ask them now."
    )


def _transport(request: PlanRequest) -> str:
    if request.has_vehicle:
        return (
            "By car: keep the tank at least half full from the first forecast, keep a "
            "vehicle kit and chargers in the car, and take one car if you can, so the family "
            "stays together."
        )
    return (
        "Without a vehicle: arrange a ride now with a neighbour, friend or family member, "
        f"learn the public evacuation pickup points and transit in {request.city}, and "
        "register with local emergency management if anyone needs help to leave."
    )


def _go_bags(request: PlanRequest) -> str:
    gallons = water_gallons(len(request.members), request.pet_count, GO_BAG_DAYS)
    return (
        f"One per person, by the door: {GO_BAG_DAYS} days of water "
        f"({count_of(gallons, 'gallon')} for the household) and no-cook food; "
        f"{join_phrases(list(GO_BAG_ITEMS))}."
    )


def _who_needs_help(request: PlanRequest) -> list[str]:
    notes = []
    if request.infants:
        notes.append(
            f"{upper_first(join_words(names_of(request.infants)))}: a car seat or carrier, "
            "formula, bottles and diapers for the trip and the first days away."
        )
    if request.children:
        notes.append(
            f"{upper_first(join_words(names_of(request.children)))}: a card in each bag with "
            "family phone numbers and the meeting points, and a comfort item."
        )
    if request.seniors or request.with_medical_needs:
        who = [*names_of(request.seniors)]
        who += [m.label for m in request.with_medical_needs if m not in request.seniors]
        notes.append(
            f"{upper_first(join_words(who))}: leave at the first warning, with medications, "
            "prescriptions, device chargers and a cooler for anything that must stay cold."
        )
    if request.pet_count:
        notes.append(
            "Pets: carriers, leashes, food, water and records; most public shelters accept "
            "only service animals, so book a pet-friendly place in advance."
        )
    return notes
