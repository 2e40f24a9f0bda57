"""The offline planner's bundle picks: what the household needs, within its dollar budget."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from llm_service.household import MemberNeed, is_needed_by, needs_served_by
from llm_service.plan_request import BUDGET_TIERS, Bundle, PlanRequest

MAX_BUNDLES = 6
_MAX_PRICE_USD = Decimal("1000000")

# What a bundle supplies, recognised by the words of its id and name.
_SUPPLY_ROLES: tuple[tuple[str, frozenset[str]], ...] = (
    ("water", frozenset({"water"})),
    ("food", frozenset({"food"})),
    ("go-bag", frozenset({"go", "bag"})),
    ("first-aid", frozenset({"aid", "trauma"})),
    ("power", frozenset({"power", "generator", "solar"})),
    ("news", frozenset({"comms", "communications", "radio"})),
)
_MEMBER, _VEHICLE, _HAZARD, _SYSTEM = "member", "vehicle", "hazard", "system"
# The order public preparedness guidance puts first: water, food, what particular
# members need (formula, medication, pet food), a go-bag, first aid, power and
# light, news; then a car kit, kits against one hazard, and whole-home systems.
_ROLE_ORDER: tuple[str, ...] = ("water", "food", _MEMBER, "go-bag", "first-aid", "power")
_ROLE_ORDER += ("news", _VEHICLE, _HAZARD, _SYSTEM)
# Roles where a second bundle adds nothing new: one water kit, one food supply...
_ONE_PER_ROLE = frozenset({"water", "food", "go-bag", "first-aid", "power", "news", "vehicle"})
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class BundlePicks:
    bundles: tuple[Bundle, ...]
    budget: Decimal

    @property
    def total(self) -> Decimal:
        return sum((cost_of(b) for b in self.bundles), Decimal("0.00"))

    @property
    def left(self) -> Decimal:
        return self.budget - self.total


def price_of(bundle: Bundle) -> Decimal | None:
    """The bundle's price in dollars; None when it is missing or not a plausible amount."""
    try:
        price = Decimal(bundle.price_usd.replace("$", "").replace(",", ""))
    except InvalidOperation:
        return None
    if not (price.is_finite() and 0 <= price <= _MAX_PRICE_USD):
        return None  # also keeps quantize below from overflowing on "1e999"
    return price.quantize(Decimal("0.01"))


def cost_of(bundle: Bundle) -> Decimal:
    """The price of a bundle known to have one (unpriced bundles are never picked)."""
    return price_of(bundle) or Decimal(0)


def supply_role(bundle: Bundle) -> str:
    served = needs_served_by(bundle)
    if served - {MemberNeed.VEHICLE}:
        return _MEMBER
    if served:
        return _VEHICLE
    words = set(_WORD.findall(f"{bundle.id} {bundle.name}".lower()))
    if "system" in words and len(bundle.scenarios) > 6:
        return _SYSTEM  # a whole-home system: only what is left after the basics
    return next((role for role, markers in _SUPPLY_ROLES if words & markers), _HAZARD)


def choose_bundles(request: PlanRequest, catalog: Sequence[Bundle], budget: Decimal) -> BundlePicks:
    """Up to 6 bundles the household needs for its scenarios, costing at most `budget`.

    The basics come first, each the cheapest that fits, so a small budget still
    buys water, food and a go-bag; money left over then upgrades a pick to a
    better bundle of the same kind (a generator instead of a power bank).
    """
    candidates = _candidates(request, catalog)
    picks: list[Bundle] = []
    for role in _ROLE_ORDER:
        for bundle in _cheapest_first(request, candidates.get(role, [])):
            if len(picks) >= MAX_BUNDLES:
                break
            if _fits(picks, bundle, budget):
                picks.append(bundle)
                if role in _ONE_PER_ROLE:
                    break
    for index, pick in enumerate(picks):
        others = picks[:index] + picks[index + 1 :]
        picks[index] = _upgrade(
            request, pick, others, candidates.get(supply_role(pick), []), budget
        )
    return BundlePicks(bundles=tuple(picks), budget=budget)


def scenario_overlap(request: PlanRequest, bundle: Bundle) -> int:
    return len(set(request.scenarios).intersection(bundle.scenarios))


def _candidates(request: PlanRequest, catalog: Sequence[Bundle]) -> dict[str, list[Bundle]]:
    """Needed, priced bundles that cover a chosen scenario (or all: no scenarios listed)."""
    by_role: dict[str, list[Bundle]] = {}
    seen: set[str] = set()
    for bundle in catalog:
        useful = not bundle.scenarios or scenario_overlap(request, bundle) > 0
        if bundle.id in seen or not useful or price_of(bundle) is None:
            continue
        if is_needed_by(request, bundle):
            seen.add(bundle.id)
            by_role.setdefault(supply_role(bundle), []).append(bundle)
    return by_role


def _cheapest_first(request: PlanRequest, bundles: Sequence[Bundle]) -> list[Bundle]:
    return sorted(bundles, key=lambda b: (-scenario_overlap(request, b), cost_of(b), b.id))


def _fits(picks: Sequence[Bundle], bundle: Bundle, budget: Decimal) -> bool:
    return sum((cost_of(b) for b in picks), Decimal(0)) + cost_of(bundle) <= budget


def _upgrade(
    request: PlanRequest,
    pick: Bundle,
    others: Sequence[Bundle],
    same_role: Sequence[Bundle],
    budget: Decimal,
) -> Bundle:
    """The priciest bundle of the same kind, tier and coverage that still fits the budget."""
    if supply_role(pick) not in _ONE_PER_ROLE:
        return pick
    better = [
        b
        for b in same_role
        if _tier_rank(b.budget_tier) <= _tier_rank(request.budget_tier)
        and scenario_overlap(request, b) >= scenario_overlap(request, pick)
        and cost_of(b) > cost_of(pick)
        and _fits(others, b, budget)
    ]
    return max(better, key=lambda b: (cost_of(b), b.id)) if better else pick


def _tier_rank(tier: str) -> int:
    return BUDGET_TIERS.index(tier) if tier in BUDGET_TIERS else len(BUDGET_TIERS)
