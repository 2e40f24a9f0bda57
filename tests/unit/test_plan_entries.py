"""`parse_plan_markdown` reading each kind of entry: risks, bundles, skills, days, steps."""

from __future__ import annotations

import pytest

from domain.plan import (
    BundleRecommendation,
    PlanSections,
    RiskAssessment,
    SimulationDay,
    Skill,
    parse_plan_markdown,
)
from domain.wizard import Scenario


def parse(markdown: str) -> PlanSections:
    return parse_plan_markdown(markdown)


# --- risk assessment ----------------------------------------------------------------------


def risks(body: str) -> tuple[RiskAssessment, ...]:
    return parse(f"## Executive Summary\nS.\n## Risk Assessment\n{body}").risk_assessment


@pytest.mark.parametrize(
    "heading",
    [
        "### Winter Storm — SEVERE",
        "### Winter Storm \u2013 SEVERE",
        "### Winter Storm - SEVERE",
        "### Winter Storm: SEVERE",
        "### Winter Storm—Severe",
        "### winter storm — severe",
        "### WINTER_STORM — SEVERE",
        "### **Winter Storm** — SEVERE",
        "### Winter Storm (Severe)",
        "### Winter Storm — Severe risk",
        "### Winter Storm Risk: Severe",
        "### Winter Storm — Risk level: SEVERE",
        "#### Winter Storm — SEVERE",
        "**Winter Storm — SEVERE**",
    ],
)
def test_risk_headings_in_many_spellings(heading: str) -> None:
    assert risks(f"{heading}\nIce.\n") == (
        RiskAssessment(Scenario.WINTER_STORM, "Winter Storm", "SEVERE", "Ice."),
    )


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("LOW", "LOW"),
        ("Moderate", "MODERATE"),
        ("medium", "MODERATE"),
        ("High", "HIGH"),
        ("SEVERE", "SEVERE"),
        ("Critical", "SEVERE"),
        ("Moderate to High", "HIGH"),
        ("Unknown", "UNKNOWN"),
    ],
)
def test_levels_are_normalised(level: str, expected: str) -> None:
    assert risks(f"### Flood — {level}\nx\n")[0].level == expected


def test_every_scenario_is_recognised_by_its_display_name() -> None:
    body = "".join(f"### {s.display_name} — LOW\nText.\n" for s in Scenario)
    assert [r.scenario for r in risks(body)] == list(Scenario)


def test_an_unknown_risk_keeps_its_title_without_a_scenario() -> None:
    assert risks("### Heat-wave — HIGH\nHot.\n### Volcano\nAsh.\n") == (
        RiskAssessment(None, "Heat-wave", "HIGH", "Hot."),
        RiskAssessment(None, "Volcano", "UNKNOWN", "Ash."),
    )


def test_a_risk_summary_keeps_its_paragraphs_and_inner_bold_lines() -> None:
    body = "### Flood — LOW\n\nFirst.\n\n**What to watch:**\n- creek levels\n"
    assert risks(body)[0].summary == "First.\n\n**What to watch:**\n- creek levels"


# --- bundles --------------------------------------------------------------------------------


def bundles(body: str) -> tuple[BundleRecommendation, ...]:
    return parse(f"## Executive Summary\nS.\n## Recommended Bundles\n{body}").bundles


def test_bundle_lines_in_many_spellings() -> None:
    body = (
        "Pick these:\n\n"
        "* **72-Hour Family Go-Bag** [bundle:go-bag-72h] — why it fits.\n"
        "+ __Water Filter__ (bundle: WATER-FILTRATION-KIT): clean water\n"
        "1. Solar Generator [bundle:solar-generator-2kwh] - backup power\n"
        "-   **Pet Kit**: `bundle:pet-emergency-kit` for the dog\n"
    )
    assert bundles(body) == (
        BundleRecommendation("go-bag-72h", "72-Hour Family Go-Bag", "why it fits."),
        BundleRecommendation("water-filtration-kit", "Water Filter", "clean water"),
        BundleRecommendation("solar-generator-2kwh", "Solar Generator", "backup power"),
        BundleRecommendation("pet-emergency-kit", "Pet Kit", "for the dog"),
    )


def test_a_bundle_line_without_an_id_is_kept_with_an_empty_id() -> None:
    assert bundles("- **Water Storage Kit** — store water\n- Candles\n") == (
        BundleRecommendation("", "Water Storage Kit", "store water"),
        BundleRecommendation("", "Candles", ""),
    )


def test_wrapped_and_nested_lines_join_their_item_but_a_closing_paragraph_does_not() -> None:
    body = (
        "- **Go-Bag** [bundle:go-bag-72h] — first line\n"
        "  second line\n"
        "    - nested detail\n"
        "\n"
        "These cover the first week.\n"
        "More closing words.\n"
    )
    assert bundles(body) == (
        BundleRecommendation("go-bag-72h", "Go-Bag", "first line second line nested detail"),
    )


# --- skills ---------------------------------------------------------------------------------


def skills(body: str) -> tuple[Skill, ...]:
    return parse(f"## Executive Summary\nS.\n## Survival Skills\n{body}").skills


def test_skill_priorities_in_many_spellings() -> None:
    body = (
        "- **Water purification** (priority: high) — needed\n"
        "* **Navigation** (Priority: LOW): maps\n"
        "- **Fire starting** (high priority) - warmth\n"
        "- **Knots** — priority: low\n"
        "- **Radio use** — no priority given\n"
        "- **Triage** (priority: critical) — injuries\n"
    )
    assert skills(body) == (
        Skill("Water purification", "high", "needed"),
        Skill("Navigation", "low", "maps"),
        Skill("Fire starting", "high", "warmth"),
        Skill("Knots", "low", ""),
        Skill("Radio use", "medium", "no priority given"),
        Skill("Triage", "high", "injuries"),
    )


def test_a_parenthesis_that_is_not_a_priority_stays_in_the_name() -> None:
    assert skills("- **First aid (CPR)** (priority: high) — injuries\n- CPR (adult): basics\n") == (
        Skill("First aid (CPR)", "high", "injuries"),
        Skill("CPR (adult)", "medium", "basics"),
    )


# --- simulation -----------------------------------------------------------------------------


def simulation(body: str) -> tuple[SimulationDay, ...]:
    return parse(f"## Executive Summary\nS.\n## Day-by-Day Simulation\n{body}").simulation


def test_day_headings_in_many_spellings() -> None:
    body = (
        "Intro paragraph.\n"
        "### Day 1: Landfall\nWind.\n"
        "### Day 2 - Without power\nDark.\n"
        "### DAY 3 — Water runs low\nThirsty.\n"
        "### Day 4\nQuiet.\n"
        "- **Day 5:** Roads reopen\nDriving.\n"
        "**Day 6. Cleanup**\nMud.\n"
    )
    assert simulation(body) == (
        SimulationDay(1, "Landfall", "Wind."),
        SimulationDay(2, "Without power", "Dark."),
        SimulationDay(3, "Water runs low", "Thirsty."),
        SimulationDay(4, "", "Quiet."),
        SimulationDay(5, "Roads reopen", "Driving."),
        SimulationDay(6, "Cleanup", "Mud."),
    )


def test_a_day_range_keeps_its_span_in_the_title() -> None:
    body = "### Days 7\u201314: The long haul\nRationing.\n### Days 15-30\nRebuilding.\n"
    assert simulation(body) == (
        SimulationDay(7, "The long haul (days 7-14)", "Rationing."),
        SimulationDay(15, "Days 15-30", "Rebuilding."),
    )


def test_other_subsections_of_the_simulation_are_skipped() -> None:
    body = "### Overview\nSkipped.\n### Day 1: Start\nGo.\n### Summary\nAlso skipped.\n"
    assert simulation(body) == (SimulationDay(1, "Start", "Go."),)


def test_body_text_starting_with_day_is_not_a_new_day() -> None:
    body = "### Day 1: Start\nDay 2 begins early for the family.\n"
    assert simulation(body) == (SimulationDay(1, "Start", "Day 2 begins early for the family."),)


# --- next steps -----------------------------------------------------------------------------


def test_next_steps_in_any_list_style() -> None:
    markdown = (
        "## Executive Summary\nS.\n## Next Steps\n"
        "1. Buy water.\n2) Make a plan\n   with the family.\n"
        "* Practise the route.\n- **Today:** call Ana.\n"
    )
    assert parse(markdown).next_steps == (
        "Buy water.",
        "Make a plan with the family.",
        "Practise the route.",
        "**Today:** call Ana.",
    )


def test_a_repeated_section_continues_the_first() -> None:
    markdown = "## Executive Summary\nS.\n## Next Steps\n1. One.\n## Next steps\n1. Two.\n"
    assert parse(markdown).next_steps == ("One.", "Two.")
