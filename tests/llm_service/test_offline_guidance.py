"""The offline planner follows public preparedness guidance, for households of every shape.

Checked on the real seed catalog (infra/catalog/bundles.json) and read back with
the API's own parser, so a plan that passes here is what a user sees.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.plan import PlanSections, parse_plan_markdown
from llm_service.plan_request import BUDGET_TIERS, SCENARIOS, parse_bundles, parse_plan_request
from llm_service.providers.offline import write_plan
from llm_service.settings import DEFAULT_BUDGET_TIER_USD
from tests.llm_service.conftest import wizard
from tests.support.markdown_sections import sections_by_heading

SEED_CATALOG: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[2] / "infra" / "catalog" / "bundles.json").read_text()
)
PRICES = {b["id"]: Decimal(b["price_usd"]) for b in SEED_CATALOG}
TOTAL_LINE = re.compile(
    r"^Bundle total: \$([\d,]+\.\d\d) of your \$([\d,]+\.\d\d) (\w+) budget; "
    r"\$(-?[\d,]+\.\d\d) left",
    re.MULTILINE,
)
MEDICAL_NEEDS = ["insulin", "oxygen concentrator", "asthma inhaler", "wheelchair"]


def plan(data: dict[str, Any], budgets: dict[str, Decimal] | None = None) -> str:
    request = parse_plan_request(data)
    budget = (budgets or DEFAULT_BUDGET_TIER_USD)[request.budget_tier]
    return write_plan(request, parse_bundles(SEED_CATALOG), budget)


def money(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def expected_gallons(data: dict[str, Any]) -> int:
    """Public guidance, written out independently: 1 gallon/person/day, 1 quart/pet/day."""
    days = data["duration_days"]
    return len(data["family_members"]) * days + math.ceil(data["pet_count"] * days / 4)


members = st.lists(
    st.fixed_dictionaries(
        {
            "age": st.integers(0, 100),
            "medical_needs": st.lists(st.sampled_from(MEDICAL_NEEDS), max_size=2, unique=True),
        }
    ),
    min_size=1,
    max_size=8,
)
households = st.builds(
    lambda people, scenarios, strategy, vehicle, tier, days, pets: wizard(
        family_members=people,
        scenarios=scenarios,
        mobility_plan={"strategy": strategy, "has_vehicle": vehicle},
        budget_tier=tier,
        duration_days=days,
        pet_count=pets,
    ),
    members,
    st.lists(st.sampled_from(SCENARIOS), min_size=1, max_size=6, unique=True),
    st.sampled_from(["SHELTER_IN_PLACE", "EVACUATE", "FLEXIBLE"]),
    st.booleans(),
    st.sampled_from(BUDGET_TIERS),
    st.integers(3, 365),
    st.integers(0, 6),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(households)
def test_every_household_gets_a_plan_that_follows_the_guidance(data: dict[str, Any]) -> None:
    text = plan(data)
    sections = parse_plan_markdown(text)
    ids = [b.bundle_id for b in sections.bundles]

    assert_parsed_in_full(sections, data)
    assert f"store {expected_gallons(data)} gallons" in sections.executive_summary
    assert f"food for the whole {data['duration_days']} days" in sections.executive_summary.lower()
    assert ("## Evacuation Plan" in text) == (
        data["mobility_plan"]["strategy"] != "SHELTER_IN_PLACE"
    )
    assert_only_kits_for_members(ids, data)
    assert_within_budget(text, ids, data["budget_tier"])


def assert_parsed_in_full(sections: PlanSections, data: dict[str, Any]) -> None:
    risks = [(r.scenario.value if r.scenario else None, r.level) for r in sections.risk_assessment]
    assert sorted(str(s) for s, _ in risks) == sorted(data["scenarios"])  # one per scenario
    assert all(level in ("LOW", "MODERATE", "HIGH", "SEVERE") for _, level in risks)
    assert all(b.bundle_id in PRICES for b in sections.bundles) and len(sections.bundles) <= 6
    assert 5 <= len(sections.skills) <= 8
    days = [d.day for d in sections.simulation]
    assert days == list(range(1, min(data["duration_days"], 7) + 1))
    assert 5 <= len(sections.next_steps) <= 8


def assert_only_kits_for_members(ids: list[str], data: dict[str, Any]) -> None:
    people = data["family_members"]
    if "infant-care-kit" in ids:
        assert any(m["age"] < 2 for m in people)
    if "senior-medication-kit" in ids:
        assert any(m["age"] >= 65 or m["medical_needs"] for m in people)
    if "pet-emergency-kit" in ids:
        assert data["pet_count"] > 0
    if "vehicle-emergency-kit" in ids:
        assert data["mobility_plan"]["has_vehicle"]


def assert_within_budget(text: str, ids: list[str], tier: str) -> None:
    budget = DEFAULT_BUDGET_TIER_USD[tier]
    total = sum((PRICES[i] for i in ids), Decimal(0))
    stated = TOTAL_LINE.search(text)
    assert stated is not None, "the plan states the bundles' total and what is left"
    assert total <= budget
    assert money(stated.group(1)) == total and money(stated.group(2)) == budget
    assert stated.group(3) == tier.title() and money(stated.group(4)) == budget - total


@pytest.mark.parametrize(
    ("people", "pets", "days", "gallons"),
    [
        ([40, 38, 8, 3], 0, 14, 56),
        ([30], 0, 3, 3),
        ([30], 1, 14, 14 + 4),  # 14 quarts of pet water = 3.5 gallons, rounded up
        ([70, 68], 2, 30, 60 + 15),
        ([35, 1], 3, 7, 14 + 6),  # 21 quarts = 5.25 gallons, rounded up
    ],
)
def test_water_is_a_gallon_per_person_per_day_plus_a_quart_per_pet(
    people: list[int], pets: int, days: int, gallons: int
) -> None:
    data = wizard(
        family_members=[{"age": age, "medical_needs": []} for age in people],
        pet_count=pets,
        duration_days=days,
    )
    sections = sections_by_heading(plan(data))
    assert f"store {gallons} gallons" in sections["executive_summary"]
    assert f"Store {gallons} gallons of water ({days} days" in sections["next_steps"]
    if pets:
        assert "about a quart per small pet per day" in sections["executive_summary"]


KIT_CASES = [
    # (kit, a household that needs it, the closest household that does not)
    ("infant-care-kit", {"age": 1}, {"age": 2}),
    ("senior-medication-kit", {"age": 65}, {"age": 64}),
    ("senior-medication-kit", {"age": 30, "medical_needs": ["insulin"]}, {"age": 30}),
]


@pytest.mark.parametrize(("kit", "needs", "not_needed"), KIT_CASES)
def test_member_kits_only_for_the_matching_member(
    kit: str, needs: dict[str, Any], not_needed: dict[str, Any]
) -> None:
    def with_member(member: dict[str, Any]) -> dict[str, Any]:
        people = [{"age": 40, "medical_needs": []}, {"medical_needs": [], **member}]
        return wizard(family_members=people, scenarios=["HURRICANE"], budget_tier="PREMIUM")

    assert f"[bundle:{kit}]" in plan(with_member(needs))
    assert f"[bundle:{kit}]" not in plan(with_member(not_needed))


def test_pet_kit_only_with_pets() -> None:
    assert "[bundle:pet-emergency-kit]" in plan(wizard(scenarios=["HURRICANE"], pet_count=1))
    assert "[bundle:pet-emergency-kit]" not in plan(
        wizard(scenarios=["HURRICANE"], pet_count=0, budget_tier="PREMIUM")
    )


def test_infant_needs_are_counted_for_the_duration() -> None:
    people = [{"name": "Ana", "age": 30, "medical_needs": []}, {"name": "Bea", "age": 0}]
    summary = sections_by_heading(plan(wizard(family_members=people, duration_days=10)))[
        "executive_summary"
    ]
    assert "Bea (under 2) needs about 320 oz of formula" in summary
    assert "80 diapers" in summary


def test_medical_needs_get_a_supply_for_the_duration_and_power_for_devices() -> None:
    people = [{"name": "Carl", "age": 50, "medical_needs": ["oxygen concentrator"]}]
    summary = sections_by_heading(plan(wizard(family_members=people, duration_days=21)))[
        "executive_summary"
    ]
    assert "For Carl (oxygen concentrator): a 21-day supply of every medication" in summary
    assert "backup batteries or a generator" in summary


def test_a_smaller_budget_buys_fewer_bundles_and_says_what_is_left() -> None:
    tight = plan(wizard(scenarios=["HURRICANE"]), budgets={"STANDARD": Decimal("100.00")})
    stated = TOTAL_LINE.search(tight)
    assert stated is not None
    assert stated.groups() == ("89.00", "100.00", "Standard", "11.00")
    assert re.findall(r"\[bundle:([\w-]+)\]", tight) == ["water-storage-kit"]


def test_no_bundle_fits_a_tiny_budget() -> None:
    text = plan(wizard(scenarios=["HURRICANE"]), budgets={"STANDARD": Decimal("10.00")})
    assert "[bundle:" not in text and "Build-your-own kit" in text
    assert "Bundle total: $0.00 of your $10.00 Standard budget; $10.00 left" in text
