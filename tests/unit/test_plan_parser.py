"""`parse_plan_markdown` on the format of docs/plan-format.md and on what LLMs really write."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from domain.plan import (
    BundleRecommendation,
    EvacuationPlan,
    EvacuationStep,
    PlanParseError,
    PlanSections,
    RiskAssessment,
    SimulationDay,
    Skill,
    UnparsedPart,
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
        evacuation=EvacuationPlan(
            overview="",
            steps=(
                EvacuationStep(
                    "when_to_leave",
                    "When to leave",
                    "the trigger (EVACUATE: the first warning; FLEXIBLE: named triggers).",
                ),
                EvacuationStep("destination", "Destination", "where to, at least 50 miles away."),
                EvacuationStep("routes", "Routes", "two routes out."),
                EvacuationStep(
                    "getting_there", "Getting there", "by car, or the arranged ride without one."
                ),
                EvacuationStep(
                    "what_to_take", "Go-bags", "one per person, three days of water and food."
                ),
                EvacuationStep(
                    "meeting_points", "Meeting points", "two, and an out-of-town contact."
                ),
            ),
        ),
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


def test_an_unknown_section_is_left_out_with_its_content_and_reported() -> None:
    markdown = (
        "## Executive Summary\nSummary.\n"
        "## Local Resources\n- Shelter on Main St\n1. Call 311\n"
        "## Next Steps\n1. Buy water.\n"
    )
    sections = parse(markdown)
    assert sections.executive_summary == "Summary."
    assert sections.next_steps == ("Buy water.",)
    assert sections.unparsed == (
        UnparsedPart("Local Resources", "unknown_section", "- Shelter on Main St 1. Call 311"),
    )


def test_the_title_and_text_before_the_first_section_are_ignored() -> None:
    markdown = (
        "Sure! Here is your plan.\n# Mission Plan: Austin, TX\nIntro.\n## Executive Summary\nS."
    )
    assert parse(markdown).executive_summary == "S."
    assert parse(markdown).unparsed == ()  # a preamble and a title are not plan content


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
