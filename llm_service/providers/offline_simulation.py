"""The offline planner's day-by-day simulation, which follows the family's strategy.

Sheltering families spend every day at home. Evacuating families leave on day 1
and spend the later days at their destination. Flexible families shelter first
and leave on the day their trigger is met: an evacuation order (day 2) when a
chosen scenario forces people out, three days without power (day 4) when one
cuts the power, never otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from llm_service.guidance import DAYS_WITHOUT_POWER_TRIGGER, LEAVE_TRIGGERS, water_gallons
from llm_service.plan_request import PlanRequest, display_name
from llm_service.providers.offline_knowledge import PROFILES
from llm_service.providers.prose import count_of, join_words, lower_first, names_of, verb_for

MAX_SIMULATED_DAYS = 7


class Where(Enum):
    HOME = "home"
    LEAVING = "leaving"
    DESTINATION = "destination"


@dataclass(frozen=True)
class SimulatedDay:
    number: int
    title: str
    text: str
    where: Where


def leave_day(request: PlanRequest, scenarios_by_risk: Sequence[str]) -> int | None:
    """The day the family leaves home, or None if it stays for the whole plan."""
    if request.strategy == "SHELTER_IN_PLACE":
        return None
    if request.strategy == "EVACUATE":
        return 1
    trigger = trigger_scenario(scenarios_by_risk)
    if trigger is None:
        return None
    return 2 if PROFILES[trigger].forces_evacuation else DAYS_WITHOUT_POWER_TRIGGER + 1


def trigger_scenario(scenarios_by_risk: Sequence[str]) -> str | None:
    """The scenario whose trigger makes a flexible family leave: one that forces people
    out (an evacuation order comes first), else one that cuts the power."""
    for wanted in ("forces_evacuation", "cuts_power"):
        found = [s for s in scenarios_by_risk if getattr(PROFILES[s], wanted)]
        if found:
            return found[0]
    return None


def simulation_days(request: PlanRequest, scenarios_by_risk: Sequence[str]) -> list[str]:
    return [
        f"### Day {day.number}: {day.title}\n{day.text}"
        for day in simulate(request, scenarios_by_risk)
    ]


def simulate(request: PlanRequest, scenarios_by_risk: Sequence[str]) -> list[SimulatedDay]:
    """At most 7 days; the last one summarises any remaining duration."""
    count = min(request.duration_days, MAX_SIMULATED_DAYS)
    leaving = leave_day(request, scenarios_by_risk)
    stays = count - 1 if count > 1 else 1  # days before the closing one
    if leaving is not None and leaving > stays:
        leaving = None  # the trigger is not met within the simulated days
    at_home = _home_days(request, scenarios_by_risk)
    days: list[tuple[str, str, Where]] = []
    if leaving is None:
        days += [(t, text, Where.HOME) for t, text in at_home[:stays]]
    else:
        days += [(t, text, Where.HOME) for t, text in at_home[: leaving - 1]]
        days.append((*_leaving_day(request, scenarios_by_risk), Where.LEAVING))
        away = _destination_days(request, scenarios_by_risk)
        days += [(t, text, Where.DESTINATION) for t, text in away[: max(stays - leaving, 0)]]
    if count > 1:
        where = Where.HOME if leaving is None else Where.DESTINATION
        days.append((*_closing_day(request, count, where), where))
    return [
        SimulatedDay(number, title, text, where)
        for number, (title, text, where) in enumerate(days, start=1)
    ]


def _home_days(request: PlanRequest, scenarios_by_risk: Sequence[str]) -> list[tuple[str, str]]:
    primary = PROFILES[scenarios_by_risk[0]]
    per_day = water_gallons(len(request.members), request.pet_count, 1)
    stored = water_gallons(len(request.members), request.pet_count, request.duration_days)
    second = (
        f" Then {display_name(scenarios_by_risk[1])} compounds it: "
        f"{lower_first(PROFILES[scenarios_by_risk[1]].aftermath)}"
        if len(scenarios_by_risk) > 1
        else ""
    )
    needs = join_words(list(request.all_medical_needs))
    first_day = (primary.onset_title, f"{primary.onset} {_first_day_at_home(request)}")
    trigger = trigger_scenario(scenarios_by_risk)
    if trigger is not None and leave_day(request, scenarios_by_risk) == 2:
        # A flexible family leaves on the order, which comes before the hazard strikes.
        first_day = (
            "The warning",
            f"Officials issue a {display_name(trigger)} warning for {request.place}. "
            f"{PROFILES[trigger].prepare} {_first_day_at_home(request)}",
        )
    return [
        first_day,
        (
            primary.aftermath_title,
            f"{primary.aftermath} The household uses about {count_of(per_day, 'gallon')} of "
            "water a day; phones stay on battery saver and you listen to the radio at set hours.",
        ),
        (
            "Taking stock",
            f"You count what is left: about {max(stored - 3 * per_day, 0)} of "
            f"{count_of(stored, 'gallon')} of water, and food for the days ahead.{second}",
        ),
        (
            "Finding a routine",
            "Meals at fixed times, one check-in with your out-of-town contact, sanitation "
            "with bags and bleach. " + _routine_for(request),
        ),
        ("Health check", _health_check(needs)),
        (
            "Neighbours and news",
            "Check on neighbours, especially older people living alone, share what you have "
            "extra and confirm official information before acting on rumours.",
        ),
    ]


def _first_day_at_home(request: PlanRequest) -> str:
    if request.strategy == "FLEXIBLE":
        action = (
            "You check the alerts against your trigger for leaving; it is not met, so you "
            "shelter at home with the go-bags by the door."
        )
    else:
        action = (
            "You gather everyone in the safe room, fill the bathtub and charge every device "
            "while power lasts."
        )
    if request.pet_count:
        action += " Pets are inside before the worst arrives."
    return action


def _leaving_day(request: PlanRequest, scenarios_by_risk: Sequence[str]) -> tuple[str, str]:
    travel = (
        "You load the go-bags into the car and drive your planned route before the roads clog"
        if request.has_vehicle
        else "Your pre-arranged ride (or the public evacuation pickup) takes everyone with "
        "the go-bags"
    )
    extras = _travel_extras(request)
    trigger_by = trigger_scenario(scenarios_by_risk)
    if request.strategy == "EVACUATE" or trigger_by is None:
        top = display_name(scenarios_by_risk[0])
        return (
            "Leaving early",
            f"The first warnings of {top} reach {request.place}. Following your plan, you do "
            f"not wait: {lower_first(travel)}. By evening everyone is at your "
            f"destination.{extras}",
        )
    trigger = LEAVE_TRIGGERS[trigger_by]
    return (
        "Trigger met: leaving",
        f"Your trigger is met ({trigger}), so the shelter-first plan turns into leaving: "
        f"{lower_first(travel)}. By evening everyone is at your destination.{extras}",
    )


def _travel_extras(request: PlanRequest) -> str:
    extras = []
    if request.infants:
        extras.append(f"{join_words(names_of(request.infants))} rides in a car seat")
    if request.seniors or request.with_medical_needs:
        extras.append("medications travel in the cooler at hand, not in the trunk")
    if request.pet_count:
        extras.append("pets travel in carriers")
    return f" On the way, {join_words(extras)}." if extras else ""


def _destination_days(
    request: PlanRequest, scenarios_by_risk: Sequence[str]
) -> list[tuple[str, str]]:
    primary = PROFILES[scenarios_by_risk[0]]
    needs = join_words(list(request.all_medical_needs))
    return [
        (
            "News from home",
            f"At your destination you follow the news from {request.city}: "
            f"{lower_first(primary.onset)} You call your out-of-town contact to say everyone "
            "is safe.",
        ),
        (
            "Settling in away from home",
            f"At your destination, reports say: {lower_first(primary.aftermath)} You stay put, "
            "keep the go-bags packed and set meal and sleep times. " + _routine_for(request),
        ),
        ("Health check", "At your destination: " + lower_first(_health_check(needs))),
        (
            "Helping and being helped",
            "At your destination you help your hosts with meals and chores, register with "
            "any assistance programme for evacuees and keep receipts for insurance.",
        ),
        (
            "Waiting for the all-clear",
            f"At your destination you check official updates for {request.city} each morning; "
            "you do not go back to look until officials say the area is safe.",
        ),
    ]


def _health_check(needs: str) -> str:
    text = (
        "Check everyone for cuts, fever, dehydration and exhaustion; clean small wounds "
        "before they infect."
    )
    return text + (f" Check the supplies for {needs} and plan refills." if needs else "")


def _routine_for(request: PlanRequest) -> str:
    if request.infants:
        return (
            f"{join_words(names_of(request.infants))} "
            f"{verb_for(request.infants, 'keeps', 'keep')} the usual nap and feeding times, "
            "which calms the whole household."
        )
    if request.children:
        return (
            f"{join_words(names_of(request.children))} "
            f"{verb_for(request.children, 'gets', 'get')} small jobs, games and books, which "
            "keeps fear down."
        )
    if request.seniors:
        return (
            f"{join_words(names_of(request.seniors))} "
            f"{verb_for(request.seniors, 'takes', 'take')} medications on schedule."
        )
    return "Everyone has a job, which keeps morale up."


def _closing_day(request: PlanRequest, day: int, where: Where) -> tuple[str, str]:
    remaining = request.duration_days - day + 1
    if where is Where.DESTINATION:
        if request.duration_days > MAX_SIMULATED_DAYS:
            return (
                f"The long haul away (days {day}-{request.duration_days})",
                f"At your destination for the remaining {count_of(remaining, 'day')}: you "
                f"stay until officials say {request.city} is safe, then return in daylight, "
                "watch for downed lines and standing water, and photograph damage before you "
                "clean up.",
            )
        return (
            "Planning the return",
            f"At your destination you plan the return: go back to {request.city} only when "
            "officials say it is safe, restock what you used and update this plan.",
        )
    if request.duration_days > MAX_SIMULATED_DAYS:
        return (
            f"The long haul (days {day}-{request.duration_days})",
            f"Services return slowly over the remaining {count_of(remaining, 'day')}. Ration "
            "water and food to last, resupply when stores reopen, purify water once stored "
            "water runs low, and keep the daily routine and check-ins going.",
        )
    return (
        "Toward recovery",
        "Power and roads return. You restock what you used, note what was missing and "
        "update this plan while the lessons are fresh.",
    )
