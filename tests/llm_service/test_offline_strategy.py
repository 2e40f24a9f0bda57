"""The offline plan follows the family's strategy: its evacuation section and its days."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.plan import SimulationDay, parse_plan_markdown
from llm_service.plan_request import SCENARIOS, parse_bundles, parse_plan_request
from llm_service.providers.offline import write_plan
from llm_service.settings import DEFAULT_BUDGET_TIER_USD
from tests.llm_service.conftest import CATALOG, wizard
from tests.support.markdown_sections import sections_by_heading

AWAY = "At your destination"


def plan_for(strategy: str, scenarios: list[str], **overrides: Any) -> str:
    vehicle = overrides.pop("has_vehicle", True)
    data = wizard(
        mobility_plan={"strategy": strategy, "has_vehicle": vehicle},
        scenarios=scenarios,
        **overrides,
    )
    request = parse_plan_request(data)
    budget = DEFAULT_BUDGET_TIER_USD[request.budget_tier]
    return write_plan(request, parse_bundles(CATALOG), budget)


def days_of(text: str) -> list[SimulationDay]:
    return list(parse_plan_markdown(text).simulation)


def away(day: SimulationDay) -> bool:
    return day.details.startswith(AWAY)


def test_sheltering_family_stays_home_every_day() -> None:
    days = days_of(plan_for("SHELTER_IN_PLACE", ["HURRICANE", "FLOOD"]))
    assert len(days) == 7
    assert not any("destination" in day.details for day in days)
    assert "safe room" in days[0].details


def test_evacuating_family_leaves_on_day_one_and_spends_the_rest_away() -> None:
    days = days_of(plan_for("EVACUATE", ["HURRICANE"], duration_days=14))
    assert days[0].title == "Leaving early"
    assert "everyone is at your destination" in days[0].details
    assert all(away(day) for day in days[1:]), [d.details for d in days[1:]]
    assert not any("safe room" in day.details for day in days)
    assert days[-1].title == "The long haul away (days 7-14)"


@pytest.mark.parametrize(
    ("scenarios", "leaves_on"),
    [
        (["HURRICANE"], 2),  # an evacuation order comes before landfall
        (["PANDEMIC", "WILDFIRE"], 2),  # any scenario that forces people out
        (["POWER_GRID_FAILURE"], 4),  # three days without power
        (["WINTER_STORM", "PANDEMIC"], 4),
        (["PANDEMIC"], None),  # no trigger is met: the family stays home
        (["ECONOMIC_COLLAPSE", "CIVIL_UNREST"], None),
    ],
)
def test_flexible_family_shelters_first_then_leaves_when_its_trigger_is_met(
    scenarios: list[str], leaves_on: int | None
) -> None:
    days = days_of(plan_for("FLEXIBLE", scenarios))
    if leaves_on is None:
        assert not any("destination" in day.details for day in days)
        return
    before, leaving, after = days[: leaves_on - 1], days[leaves_on - 1], days[leaves_on:]
    assert "it is not met, so you shelter at home" in before[0].details
    assert not any("destination" in day.details for day in before)
    assert leaving.title == "Trigger met: leaving"
    assert after and all(away(day) for day in after)


def test_a_short_flexible_plan_still_reaches_the_destination() -> None:
    days = days_of(plan_for("FLEXIBLE", ["HURRICANE"], duration_days=3))
    assert [d.title for d in days] == ["The warning", "Trigger met: leaving", "Planning the return"]
    assert away(days[2])


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(["SHELTER_IN_PLACE", "EVACUATE", "FLEXIBLE"]),
    st.lists(st.sampled_from(SCENARIOS), min_size=1, max_size=6, unique=True),
    st.integers(3, 60),
    st.booleans(),
)
def test_once_away_the_family_never_returns_home_in_the_simulation(
    strategy: str, scenarios: list[str], duration: int, vehicle: bool
) -> None:
    days = days_of(plan_for(strategy, scenarios, duration_days=duration, has_vehicle=vehicle))
    places = [
        "away"
        if away(d)
        else "leaving"
        if "Leaving" in d.title or "Trigger met" in d.title
        else "home"
        for d in days
    ]
    if strategy == "SHELTER_IN_PLACE":
        assert set(places) == {"home"}
    if strategy == "EVACUATE":
        assert places == ["leaving"] + ["away"] * (len(days) - 1)
    if "leaving" in places:
        first = places.index("leaving")
        assert set(places[:first]) <= {"home"} and set(places[first + 1 :]) == {"away"}


@pytest.mark.parametrize("strategy", ["EVACUATE", "FLEXIBLE"])
@pytest.mark.parametrize("vehicle", [True, False])
def test_evacuation_section_covers_routes_bags_meeting_point_and_transport(
    strategy: str, vehicle: bool
) -> None:
    text = plan_for(strategy, ["HURRICANE"], has_vehicle=vehicle, pet_count=1)
    section = sections_by_heading(text)["evacuation_plan"]
    for topic in ("When to leave", "Destination", "Routes", "Getting there", "Go-bags"):
        assert f"- **{topic}** — " in section
    assert "- **Meeting points** — Agree on two" in section
    # 2 people x 3 days, plus 3 quarts for the pet rounded up to a gallon.
    assert "3 days of water (7 gallons for the household)" in section
    assert ("By car: keep the tank at least half full" in section) == vehicle
    assert ("Without a vehicle: arrange a ride" in section) == (not vehicle)
    assert "pet-friendly" in section
    if strategy == "FLEXIBLE":
        assert "leave as soon as any trigger is met: an evacuation order" in section


def test_sheltering_plan_has_no_evacuation_section() -> None:
    text = plan_for("SHELTER_IN_PLACE", ["HURRICANE"])
    assert "evacuation_plan" not in sections_by_heading(text)
    assert "## Evacuation Plan" not in text
