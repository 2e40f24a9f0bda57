"""`parse_plan_markdown` on the format of docs/plan-format.md and on what LLMs really write."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from domain.plan import (
    BundleRecommendation,
    PlanParseError,
    PlanSections,
    RiskAssessment,
    SimulationDay,
    Skill,
    parse_plan_markdown,
    resolve_bundles,
)
from domain.wizard import BudgetTier, Scenario

ROOT = Path(__file__).resolve().parents[2]


def canonical_example() -> str:
    """The example plan of docs/plan-format.md, read from the doc so they cannot drift."""
    doc = (ROOT / "docs" / "plan-format.md").read_text(encoding="utf-8")
    found = re.search(r"```markdown\n(.*?)```", doc, re.DOTALL)
    assert found, "docs/plan-format.md lost its example"
    return found.group(1)


def parse(markdown: str) -> PlanSections:
    return parse_plan_markdown(markdown)


def test_the_canonical_example() -> None:
    assert parse(canonical_example()) == PlanSections(
        executive_summary="One or more paragraphs.",
        risk_assessment=(
            RiskAssessment(
                scenario=Scenario.HURRICANE,
                title="Hurricane",
                level="HIGH",
                summary="Paragraph(s) about this risk for this family and place.",
            ),
            RiskAssessment(
                scenario=Scenario.POWER_GRID_FAILURE,
                title="Power Grid Failure",
                level="MODERATE",
                summary="...",
            ),
        ),
        bundles=(
            BundleRecommendation("go-bag-72h", "72-Hour Family Go-Bag", "why it fits this family."),
            BundleRecommendation("water-storage-kit", "Water Storage Kit", "why."),
        ),
        skills=(
            Skill("Water purification", "high", "why this family needs it."),
            Skill("First aid and CPR", "medium", "why."),
        ),
        simulation=(
            SimulationDay(1, "Landfall", "Paragraph(s)."),
            SimulationDay(2, "Without power", "..."),
        ),
        next_steps=("First concrete action.", "Second."),
    )


def test_paragraphs_keep_one_blank_line_between_them() -> None:
    sections = parse("## Executive Summary\n\n\nFirst.\nstill first.\n\n\n\nSecond.\n\n")
    assert sections.executive_summary == "First.\nstill first.\n\nSecond."


# --- headings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "heading",
    [
        "## EXECUTIVE SUMMARY",
        "## executive summary:",
        "# Executive Summary",
        "### Executive Summary",
        "## 1. Executive Summary",
        "## **Executive Summary**",
        "**Executive Summary**",
        "## Summary",
    ],
)
def test_section_headings_are_matched_by_name(heading: str) -> None:
    assert parse(f"# Plan\n{heading}\nAll good.\n").executive_summary == "All good."


def test_an_unknown_section_is_ignored_with_its_content() -> None:
    markdown = (
        "## Executive Summary\nSummary.\n"
        "## Local Resources\n- Shelter on Main St\n1. Call 311\n"
        "## Next Steps\n1. Buy water.\n"
    )
    sections = parse(markdown)
    assert sections.executive_summary == "Summary."
    assert sections.next_steps == ("Buy water.",)


def test_the_title_and_text_before_the_first_section_are_ignored() -> None:
    markdown = (
        "Sure! Here is your plan.\n# Mission Plan: Austin, TX\nIntro.\n## Executive Summary\nS."
    )
    assert parse(markdown).executive_summary == "S."


def test_a_plan_wrapped_in_a_code_fence() -> None:
    fenced = f"```markdown\n{canonical_example()}```"
    assert parse(fenced) == parse(canonical_example())


def test_windows_line_endings() -> None:
    assert parse(canonical_example().replace("\n", "\r\n")) == parse(canonical_example())


def test_missing_sections_read_as_empty() -> None:
    sections = parse("## Executive Summary\nJust this.")
    assert sections == PlanSections(executive_summary="Just this.")
    empty = (sections.risk_assessment, sections.bundles, sections.skills, sections.simulation)
    assert empty == ((), (), (), ()) and sections.next_steps == ()


@pytest.mark.parametrize(
    "markdown",
    [
        "",
        "   \n\n",
        "I cannot help with that.",
        "## Risk Assessment\n### Flood — LOW\nWet.",
        "## Executive Summary\n\n\n## Risk Assessment\n### Flood — LOW\nWet.",
    ],
)
def test_no_executive_summary_is_an_error(markdown: str) -> None:
    with pytest.raises(PlanParseError, match="executive summary"):
        parse(markdown)


def test_plan_parse_error_is_a_value_error() -> None:
    assert issubclass(PlanParseError, ValueError)


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


# --- resolving bundles and serialising -------------------------------------------------------


def test_resolve_bundles_drops_unknown_missing_and_repeated_ids() -> None:
    sections = PlanSections(
        executive_summary="S.",
        bundles=(
            BundleRecommendation("go-bag-72h", "Go-Bag", "a"),
            BundleRecommendation("made-up-kit", "Made Up", "b"),
            BundleRecommendation("", "No id", "c"),
            BundleRecommendation("water-storage-kit", "Water", "d"),
            BundleRecommendation("go-bag-72h", "Go-Bag again", "e"),
        ),
    )
    resolved = resolve_bundles(sections, {"go-bag-72h", "water-storage-kit"})
    assert [b.bundle_id for b in resolved.bundles] == ["go-bag-72h", "water-storage-kit"]
    assert resolved.bundles[0].reason == "a"
    assert resolved.executive_summary == sections.executive_summary


def test_the_bundle_ids_of_the_format_doc_exist_in_the_catalog() -> None:
    catalog = json.loads((ROOT / "infra" / "catalog" / "bundles.json").read_text(encoding="utf-8"))
    known = {bundle["id"] for bundle in catalog}
    resolved = resolve_bundles(parse(canonical_example()), known)
    assert [b.bundle_id for b in resolved.bundles] == ["go-bag-72h", "water-storage-kit"]


def test_the_catalog_covers_every_scenario_and_budget_tier() -> None:
    catalog = json.loads((ROOT / "infra" / "catalog" / "bundles.json").read_text(encoding="utf-8"))
    assert len(catalog) >= 18
    assert len({bundle["id"] for bundle in catalog}) == len(catalog)
    for scenario in Scenario:
        assert sum(scenario.value in bundle["scenarios"] for bundle in catalog) >= 2, scenario
    assert {bundle["budget_tier"] for bundle in catalog} == {tier.value for tier in BudgetTier}
    for bundle in catalog:
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", bundle["id"])
        assert re.fullmatch(r"\d+\.\d{2}", bundle["price_usd"])
        assert 5 <= len(bundle["items"]) <= 12
        assert bundle["name"] and bundle["description"]


def test_to_dict_is_json_ready_and_from_dict_reverses_it() -> None:
    sections = parse(canonical_example())
    sections = PlanSections(
        executive_summary=sections.executive_summary,
        risk_assessment=(*sections.risk_assessment, RiskAssessment(None, "Volcano", "UNKNOWN", "")),
        bundles=sections.bundles,
        skills=sections.skills,
        simulation=sections.simulation,
        next_steps=sections.next_steps,
    )
    data = json.loads(json.dumps(sections.to_dict()))
    assert data["risk_assessment"][0] == {
        "scenario": "HURRICANE",
        "title": "Hurricane",
        "level": "HIGH",
        "summary": "Paragraph(s) about this risk for this family and place.",
    }
    assert data["bundles"][0] == {
        "bundle_id": "go-bag-72h",
        "name": "72-Hour Family Go-Bag",
        "reason": "why it fits this family.",
    }
    assert data["simulation"][0] == {"day": 1, "title": "Landfall", "details": "Paragraph(s)."}
    assert data["next_steps"] == ["First concrete action.", "Second."]
    assert PlanSections.from_dict(data) == sections


def test_from_dict_tolerates_missing_lists_and_unknown_scenarios() -> None:
    data = {
        "executive_summary": "S.",
        "risk_assessment": [{"scenario": "ASTEROID", "title": "Asteroid", "level": "LOW"}],
    }
    assert PlanSections.from_dict(data) == PlanSections(
        executive_summary="S.",
        risk_assessment=(RiskAssessment(None, "Asteroid", "LOW", ""),),
    )
