"""Every offline plan reads into its sections with nothing left unread, evacuation included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.plan import resolve_bundles
from domain.plan_text import read_plan
from domain.wizard import Scenario
from llm_service.plan_request import SCENARIOS, parse_bundles, parse_plan_request
from llm_service.providers.offline import write_plan
from llm_service.settings import DEFAULT_BUDGET_TIER_USD
from tests.llm_service.conftest import wizard

CATALOG: list[dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parents[2] / "infra" / "catalog" / "bundles.json").read_text()
)
NAMED_TOPICS = {
    "when_to_leave",
    "destination",
    "routes",
    "getting_there",
    "what_to_take",
    "meeting_points",
}
members = st.lists(
    st.builds(
        lambda name, age, needs: {"name": name, "age": age, "medical_needs": needs},
        st.sampled_from(["Ana", "Luis", "Rosa", "Sam"]),
        st.integers(0, 95),
        st.lists(st.sampled_from(["insulin", "oxygen", "wheelchair"]), max_size=2),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(
    strategy=st.sampled_from(["SHELTER_IN_PLACE", "EVACUATE", "FLEXIBLE"]),
    scenarios=st.lists(st.sampled_from(SCENARIOS), min_size=1, max_size=6, unique=True),
    family=members,
    vehicle=st.booleans(),
    pets=st.integers(0, 3),
    tier=st.sampled_from(sorted(DEFAULT_BUDGET_TIER_USD)),
    duration=st.integers(3, 60),
)
def test_the_offline_plan_reads_whole_for_every_household(
    strategy: str,
    scenarios: list[str],
    family: list[dict[str, Any]],
    vehicle: bool,
    pets: int,
    tier: str,
    duration: int,
) -> None:
    request = parse_plan_request(
        wizard(
            mobility_plan={"strategy": strategy, "has_vehicle": vehicle},
            scenarios=scenarios,
            family_members=family,
            pet_count=pets,
            budget_tier=tier,
            duration_days=duration,
        )
    )
    text = write_plan(request, parse_bundles(CATALOG), DEFAULT_BUDGET_TIER_USD[tier])
    reading = read_plan(text)
    assert reading.plan is not None, reading.failure
    sections = resolve_bundles(reading.plan.sections, {bundle["id"] for bundle in CATALOG})
    assert sections.unparsed == ()
    assert {r.scenario for r in sections.risk_assessment} == {Scenario(s) for s in scenarios}
    assert sections.bundles and sections.skills and sections.simulation and sections.next_steps
    if strategy == "SHELTER_IN_PLACE":
        assert sections.evacuation is None
    else:
        assert sections.evacuation is not None
        assert {step.topic for step in sections.evacuation.steps} >= NAMED_TOPICS
        assert all(step.advice for step in sections.evacuation.steps)
