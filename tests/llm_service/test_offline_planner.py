"""The offline planner writes the plan format of docs/plan-format.md, deterministically."""

from __future__ import annotations

import re
from typing import Any

import pytest

from llm_service.plan_request import SCENARIOS
from llm_service.providers import Generation, OfflinePlanner, StreamOpened, TextDelta, generate
from llm_service.providers.offline import text_chunks
from tests.llm_service.conftest import CATALOG, wizard
from tests.support.markdown_sections import sections_by_heading

SECTION_SLUGS = [
    "executive_summary",
    "risk_assessment",
    "recommended_bundles",
    "survival_skills",
    "day_by_day_simulation",
    "next_steps",
]
# EVACUATE and FLEXIBLE plans add an Evacuation Plan after the risks.
LEAVING_SLUGS = [*SECTION_SLUGS[:2], "evacuation_plan", *SECTION_SLUGS[2:]]
RISK_HEADING = re.compile(r"^### ([A-Za-z ]+) — (LOW|MODERATE|HIGH|SEVERE)$", re.MULTILINE)
BUNDLE_LINE = re.compile(r"^- \*\*(.+?)\*\* \[bundle:([\w.:-]+)\] — .+$", re.MULTILINE)
SKILL_LINE = re.compile(r"^- \*\*(.+?)\*\* \(priority: (high|medium|low)\) — .+$", re.MULTILINE)
DAY_HEADING = re.compile(r"^### Day (\d+): .+$", re.MULTILINE)
NEXT_STEP = re.compile(r"^(\d+)\. .+$", re.MULTILINE)

FAMILIES: dict[str, list[dict[str, Any]]] = {
    "single adult": [{"name": "Sam", "age": 30, "medical_needs": []}],
    "infant and senior": [
        {"name": "Ana", "age": 35, "medical_needs": []},
        {"name": "Bea", "age": 1, "medical_needs": []},
        {"name": "Carl", "age": 82, "medical_needs": ["oxygen concentrator", "insulin"]},
    ],
    "unnamed children": [
        {"age": 40, "medical_needs": []},
        {"age": 8, "medical_needs": ["asthma inhaler"]},
        {"age": 4, "medical_needs": []},
    ],
}


async def plan_for(data: dict[str, Any], bundles: list[dict[str, Any]] | None = None) -> str:
    generation = await generate(
        OfflinePlanner(),
        system="system prompt",
        user="user message",
        context={"wizard": data, "bundles": CATALOG if bundles is None else bundles},
    )
    return generation.text


def assert_plan_format(text: str, data: dict[str, Any]) -> dict[str, str]:
    city, state = data["location"]["city"], data["location"]["state"]
    assert text.startswith(f"# Mission Plan: {city}, {state}\n")
    sections = sections_by_heading(text)
    leaving = data["mobility_plan"]["strategy"] != "SHELTER_IN_PLACE"
    assert list(sections) == (LEAVING_SLUGS if leaving else SECTION_SLUGS)
    assert all(sections.values())

    risks = RISK_HEADING.findall(sections["risk_assessment"])
    expected = {s.replace("_", " ").title() for s in data["scenarios"]}
    assert {name for name, _ in risks} == expected

    bundle_ids = [
        bundle_id for _, bundle_id in BUNDLE_LINE.findall(sections["recommended_bundles"])
    ]
    assert 1 <= len(bundle_ids) <= 6 and len(set(bundle_ids)) == len(bundle_ids)
    assert set(bundle_ids) <= {b["id"] for b in CATALOG}

    assert 5 <= len(SKILL_LINE.findall(sections["survival_skills"])) <= 8
    days = [int(n) for n in DAY_HEADING.findall(sections["day_by_day_simulation"])]
    assert days == list(range(1, min(data["duration_days"], 7) + 1))
    steps = [int(n) for n in NEXT_STEP.findall(sections["next_steps"])]
    assert 5 <= len(steps) <= 8 and steps == list(range(1, len(steps) + 1))
    return sections


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("strategy", ["SHELTER_IN_PLACE", "EVACUATE", "FLEXIBLE"])
async def test_plan_follows_the_format(family: str, strategy: str) -> None:
    data = wizard(
        family_members=FAMILIES[family],
        mobility_plan={"strategy": strategy, "has_vehicle": strategy != "EVACUATE"},
        pet_count=2 if family == "single adult" else 0,
    )
    assert_plan_format(await plan_for(data), data)


@pytest.mark.parametrize("start", range(0, len(SCENARIOS), 3))
@pytest.mark.parametrize("budget", ["ESSENTIAL", "STANDARD", "ENHANCED", "PREMIUM"])
async def test_every_scenario_and_budget(start: int, budget: str) -> None:
    data = wizard(
        scenarios=list(SCENARIOS[start : start + 3]),
        budget_tier=budget,
        location={"city": "Anchorage", "state": "AK"},
        duration_days=3,
    )
    assert_plan_format(await plan_for(data), data)


async def test_all_six_scenarios_at_once() -> None:
    data = wizard(scenarios=list(SCENARIOS[:6]), duration_days=30)
    sections = assert_plan_format(await plan_for(data), data)
    assert "### Day 7: The long haul (days 7-30)" in sections["day_by_day_simulation"]


async def test_same_input_same_text() -> None:
    data = wizard(family_members=FAMILIES["infant and senior"], pet_count=1)
    assert await plan_for(data) == await plan_for(dict(data))


async def test_risk_levels_follow_the_location() -> None:
    miami = await plan_for(wizard(scenarios=["HURRICANE", "EARTHQUAKE"]))
    la = await plan_for(
        wizard(
            scenarios=["HURRICANE", "EARTHQUAKE"], location={"city": "Los Angeles", "state": "CA"}
        )
    )
    assert "### Hurricane — HIGH" in miami and "### Earthquake — LOW" in miami
    assert "### Earthquake — HIGH" in la and "### Hurricane — LOW" in la
    # Most severe first.
    assert la.index("### Earthquake") < la.index("### Hurricane")


async def test_summary_names_place_family_strategy_and_duration() -> None:
    data = wizard(
        duration_days=21,
        mobility_plan={"strategy": "EVACUATE", "has_vehicle": False},
        family_members=FAMILIES["infant and senior"],
    )
    summary = sections_by_heading(await plan_for(data))["executive_summary"]
    assert "Miami, FL" in summary and "21 days" in summary and "evacuate" in summary
    assert "household of 3" in summary and "1 older adult 65 or older" in summary
    assert "1 infant under 2" in summary


async def test_advice_addresses_infants_seniors_medical_needs_pets_and_vehicle() -> None:
    data = wizard(
        scenarios=["HURRICANE", "POWER_GRID_FAILURE"],
        family_members=FAMILIES["infant and senior"],
        mobility_plan={"strategy": "FLEXIBLE", "has_vehicle": False},
        pet_count=3,
    )
    risks = sections_by_heading(await plan_for(data))["risk_assessment"]
    assert "For Bea:" in risks and "For Carl:" in risks
    assert "oxygen concentrator depends on electricity" in risks
    assert "insulin must stay cool" in risks
    assert "pets" in risks.lower()
    assert "Without a vehicle" in risks


async def test_bundles_match_scenarios_and_budget() -> None:
    text = await plan_for(wizard(scenarios=["PANDEMIC"], budget_tier="ESSENTIAL"))
    ids = [bundle_id for _, bundle_id in BUNDLE_LINE.findall(text)]
    assert "pandemic-kit" in ids and "trauma-first-aid" in ids  # the second covers any scenario
    assert "solar-generator" not in ids  # no Pandemic, and far over the budget
    assert "water-storage-kit" not in ids  # covers none of the family's scenarios


async def test_empty_catalog_still_yields_a_bundles_section() -> None:
    data = wizard()
    sections = sections_by_heading(await plan_for(data, bundles=[]))
    assert "[bundle:" not in sections["recommended_bundles"]
    assert sections["recommended_bundles"].startswith("- **")


async def test_user_text_cannot_inject_sections() -> None:
    data = wizard(
        notes="## Next Steps\n1. ignore the plan",
        family_members=[{"name": "## Evil [bundle:x]", "age": 1, "medical_needs": []}],
    )
    text = await plan_for(data)
    assert list(sections_by_heading(text)) == SECTION_SLUGS
    assert "[bundle:x]" not in text


async def test_token_estimates() -> None:
    generation = await generate(
        OfflinePlanner(),
        system="s" * 400,
        user="u" * 400,
        context={"wizard": wizard(), "bundles": CATALOG},
    )
    assert generation.model == "offline-planner-v1"
    assert generation.input_tokens == 200
    assert generation.output_tokens == len(generation.text) // 4


async def test_the_plan_streams_in_several_chunks_that_join_into_it() -> None:
    items = [
        item
        async for item in OfflinePlanner().stream(
            system="s", user="u", context={"wizard": wizard(), "bundles": CATALOG}
        )
    ]

    opened, *deltas, generation = items
    assert isinstance(opened, StreamOpened)
    assert isinstance(generation, Generation)
    assert all(isinstance(delta, TextDelta) and delta.text for delta in deltas)
    assert len(deltas) >= 10  # enough for live progress to move
    assert "".join(delta.text for delta in deltas if isinstance(delta, TextDelta)) == (
        generation.text
    )
    assert generation.text == await plan_for(wizard())
    assert generation.cost_usd == 0.0


@pytest.mark.parametrize(
    "text",
    ["", "one", "word " * 100, "x" * 500, "line\n" * 80, "a b\n" + "y" * 300 + " end"],
)
def test_text_chunks_join_into_the_text_and_stay_near_the_size(text: str) -> None:
    chunks = list(text_chunks(text, size=40))
    assert "".join(chunks) == text
    assert all(0 < len(chunk) <= 40 for chunk in chunks)
