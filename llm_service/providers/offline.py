"""Deterministic planner: writes a mission plan from the wizard without any network.

Same input, same text: no randomness, no clock. It is the zero-config default
and the reference for the plan format (docs/plan-format.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.failures import MissionErrorCode
from llm_service.errors import ProviderError
from llm_service.household import MemberNeed, needs_served_by
from llm_service.plan_request import (
    Bundle,
    Member,
    PlanRequest,
    display_name,
    parse_bundles,
    parse_plan_request,
)
from llm_service.providers.base import Generation, StreamItem, StreamOpened, TextDelta
from llm_service.providers.offline_bundles import (
    BundlePicks,
    choose_bundles,
    price_of,
)
from llm_service.providers.offline_evacuation import evacuation_plan, has_evacuation_plan
from llm_service.providers.offline_knowledge import (
    LEVELS,
    MOBILITY_NEEDS,
    POWER_DEPENDENT_NEEDS,
    PROFILES,
    REFRIGERATED_NEEDS,
)
from llm_service.providers.offline_schedule import next_steps, survival_skills
from llm_service.providers.offline_simulation import simulation_days
from llm_service.providers.offline_summary import executive_summary
from llm_service.providers.prose import (
    join_words,
    lower_first,
    names_of,
    upper_first,
)
from llm_service.settings import DEFAULT_BUDGET_TIER_USD

OFFLINE_MODEL = "offline-planner-v1"
# About what a model's stream carries in a burst: a few dozen tokens.
_CHUNK_CHARS = 120
# Plans the failure knob remembers how often it failed; the oldest are forgotten first.
_REMEMBERED_FAILURES = 1024


class OfflinePlanner:
    """Streams its plan in word-aligned chunks, like a model, so live progress works offline.

    Reads `wizard`, `bundles` and `budget_usd` (the tier's dollars) from the context.
    `chunk_delay_seconds` paces the chunks (0: as fast as the consumer reads them).
    `fail_when_notes_contain`: plans whose notes contain it fail as if the model were
    down (OFFLINE_FAIL_WHEN_NOTES_CONTAIN), so the failure path can be shown offline.
    `fail_first_attempts` (OFFLINE_FAIL_FIRST_ATTEMPTS): 0 fails every attempt of such a
    plan; N fails only the first N attempts of each (the same wizard answers), so a Retry
    can then succeed. Counted in this process only: a test and demo knob, never for
    production (the API refuses the marker there).
    """

    def __init__(
        self,
        budgets: Mapping[str, Decimal] = DEFAULT_BUDGET_TIER_USD,
        *,
        chunk_delay_seconds: float = 0.0,
        fail_when_notes_contain: str = "",
        fail_first_attempts: int = 0,
    ) -> None:
        self._budgets = budgets  # for a context without `budget_usd`
        self._chunk_delay = chunk_delay_seconds
        self._fail_marker = fail_when_notes_contain
        self._fail_first = fail_first_attempts
        self._failures: OrderedDict[str, int] = OrderedDict()

    model = OFFLINE_MODEL

    async def stream(
        self, *, system: str, user: str, context: dict[str, Any]
    ) -> AsyncGenerator[StreamItem, None]:
        request = parse_plan_request(context.get("wizard"))
        if self._fail_marker and self._fail_marker in (request.notes or ""):
            self._maybe_fail(context.get("wizard"))
        bundles = parse_bundles(context.get("bundles"))
        budget = _budget(context.get("budget_usd"), self._budgets[request.budget_tier])
        text = write_plan(request, bundles, budget)
        yield StreamOpened()
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

    def _maybe_fail(self, wizard: Any) -> None:
        """Raises for a marked plan, unless it already failed its first N attempts here."""
        if self._fail_first > 0:
            key = _fingerprint(wizard)
            failed = self._failures.pop(key, 0)
            self._failures[key] = failed + 1 if failed < self._fail_first else failed
            while len(self._failures) > _REMEMBERED_FAILURES:
                self._failures.popitem(last=False)
            if failed >= self._fail_first:
                return
        raise ProviderError(
            MissionErrorCode.LLM_UNAVAILABLE,
            "the offline planner was set to fail this plan",
            retryable=True,
        )


def _fingerprint(wizard: Any) -> str:
    """The same answers give the same key: a Retry resends the plan's wizard unchanged."""
    text = json.dumps(wizard, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _budget(value: Any, default: Decimal) -> Decimal:
    try:
        budget = Decimal(str(value)) if value is not None else default
    except InvalidOperation:
        return default
    return budget if budget.is_finite() and budget >= 0 else default


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


def write_plan(request: PlanRequest, catalog: Sequence[Bundle], budget: Decimal) -> str:
    risks = ranked_risks(request)
    by_risk = [scenario for scenario, _ in risks]
    picks = choose_bundles(request, catalog, budget)
    sections = [
        f"# Mission Plan: {request.place}",
        "## Executive Summary\n" + executive_summary(request, risks),
        "## Risk Assessment\n" + "\n\n".join(risk_sections(request, risks)),
    ]
    if has_evacuation_plan(request):
        sections.append("## Evacuation Plan\n" + "\n".join(evacuation_plan(request, by_risk)))
    sections += [
        "## Recommended Bundles\n" + recommended_bundles(request, picks),
        "## Survival Skills\n" + "\n".join(survival_skills(request, by_risk)),
        "## Day-by-Day Simulation\n" + "\n\n".join(simulation_days(request, by_risk)),
        "## Next Steps\n" + "\n".join(next_steps(request, picks.bundles, by_risk)),
    ]
    return "\n\n".join(sections) + "\n"


def ranked_risks(request: PlanRequest) -> list[tuple[str, str]]:
    """(scenario, level) most severe first; ties keep the family's order of choice."""
    leveled = [(s, PROFILES[s].level_for(request.state)) for s in request.scenarios]
    return sorted(leveled, key=lambda pair: -LEVELS.index(pair[1]))


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


def recommended_bundles(request: PlanRequest, picks: BundlePicks) -> str:
    """Bundle lines, then what they cost against the tier's budget."""
    lines = [_bundle_line(request, bundle) for bundle in picks.bundles] or [
        "- **Build-your-own kit** — no catalog bundle fits this household's needs and budget; "
        "start with water, no-cook food, a radio, light and a first aid kit."
    ]
    tier = request.budget_tier.title()
    total = (
        f"Bundle total: {dollars(picks.total)} of your {dollars(picks.budget)} {tier} "
        f"budget; {dollars(picks.left)} left"
    )
    if picks.left > 0:
        uses = ["bottled water", "extra food"]
        if request.seniors or request.with_medical_needs:
            uses.append("medication refills")
        total += f" for {join_words(uses)}"
    return "\n".join(lines) + "\n\n" + total + "."


def dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _bundle_line(request: PlanRequest, bundle: Bundle) -> str:
    covered = [display_name(s) for s in request.scenarios if s in bundle.scenarios]
    reasons = [f"covers {join_words(covered)}" if covered else "useful in every scenario"]
    member_reason = _member_reason(request, needs_served_by(bundle))
    if member_reason:
        reasons.append(member_reason)
    if bundle.items:
        reasons.append(f"includes {join_words(list(bundle.items[:3]))}")
    price = price_of(bundle)
    if price is not None:
        reasons.append(dollars(price))
    return f"- **{bundle.name}** [bundle:{bundle.id}] — {'; '.join(reasons)}."


def _member_reason(request: PlanRequest, needs: frozenset[MemberNeed]) -> str:
    if MemberNeed.INFANT in needs:
        return f"for {join_words(names_of(request.infants))} (under 2)"
    if MemberNeed.CARE_OR_MEDICATION in needs:
        who = [*names_of(request.seniors)]
        who += [m.label for m in request.with_medical_needs if m not in request.seniors]
        return f"for {join_words(who)}"
    if MemberNeed.PET in needs:
        return "for your pet" if request.pet_count == 1 else f"for your {request.pet_count} pets"
    if MemberNeed.VEHICLE in needs:
        return "for the car you would leave in"
    return ""


def _mentions(text: str, keywords: Sequence[str]) -> bool:
    return any(keyword in text for keyword in keywords)
