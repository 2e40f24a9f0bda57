"""The Evacuation Plan section, and the new parts of a plan's stored form."""

from __future__ import annotations

import json

import pytest

from domain.plan import (
    BundleRecommendation,
    EvacuationPlan,
    EvacuationStep,
    PlanSections,
    UnparsedPart,
    parse_plan_markdown,
    resolve_bundles,
)
from domain.plan_evacuation import topic_of


def evacuation(body: str) -> EvacuationPlan | None:
    return parse_plan_markdown(f"## Executive Summary\nS.\n## Evacuation Plan\n{body}").evacuation


def test_topic_lines_in_the_format_s_style() -> None:
    assert evacuation(
        "- **When to leave** — At the first warning.\n"
        "* **Destination**: Aunt Rosa's house in Orlando,\n  230 miles north.\n"
        "1. Routes - I-95 north, or the Turnpike.\n"
    ) == EvacuationPlan(
        overview="",
        steps=(
            EvacuationStep("when_to_leave", "When to leave", "At the first warning."),
            EvacuationStep(
                "destination", "Destination", "Aunt Rosa's house in Orlando, 230 miles north."
            ),
            EvacuationStep("routes", "Routes", "I-95 north, or the Turnpike."),
        ),
    )


def test_bold_paragraphs_read_as_steps() -> None:
    plan = evacuation("**What to bring:** water and papers.\n__Meeting place__ — the school gym.\n")
    assert plan is not None
    assert [(s.topic, s.advice) for s in plan.steps] == [
        ("what_to_take", "water and papers."),
        ("meeting_points", "the school gym."),
    ]


def test_a_subsection_per_topic_keeps_its_markdown() -> None:
    plan = evacuation(
        "Leave early.\n\n### When to Leave\nAt the first warning.\n\n"
        "### Routes\n- Primary: I-95\n- Backup: US-1\n#### Fuel\nKeep half a tank.\n"
    )
    assert plan == EvacuationPlan(
        overview="Leave early.",
        steps=(
            EvacuationStep("when_to_leave", "When to Leave", "At the first warning."),
            EvacuationStep(
                "routes", "Routes", "- Primary: I-95\n- Backup: US-1\n#### Fuel\nKeep half a tank."
            ),
        ),
    )


def test_prose_only_is_kept_as_the_overview() -> None:
    assert evacuation("Drive north to Orlando\nat the first warning.\n") == EvacuationPlan(
        overview="Drive north to Orlando\nat the first warning."
    )


def test_an_untitled_line_is_a_step_of_its_own() -> None:
    plan = evacuation("- Take both cars\n")
    assert plan is not None and plan.steps == (EvacuationStep("other", "", "Take both cars"),)


def test_no_section_or_an_empty_one_is_no_evacuation_plan() -> None:
    assert parse_plan_markdown("## Executive Summary\nS.\n").evacuation is None
    assert evacuation("\n\n") is None


@pytest.mark.parametrize(
    ("title", "topic"),
    [
        ("When to leave", "when_to_leave"),
        ("Evacuation triggers", "when_to_leave"),
        ("Where to go", "destination"),
        ("Evacuation routes", "routes"),
        ("Primary route", "routes"),
        ("Getting there", "getting_there"),
        ("Transportation", "getting_there"),
        ("Go-bags", "what_to_take"),
        ("What to take", "what_to_take"),
        ("Meeting points", "meeting_points"),
        ("Out-of-town contact", "meeting_points"),
        ("Who needs help", "other"),
        ("Pets", "other"),
    ],
)
def test_the_topic_is_read_from_the_title_s_words(title: str, topic: str) -> None:
    assert topic_of(title).value == topic


# --- the stored form ------------------------------------------------------------------------


def test_evacuation_and_unparsed_survive_the_stored_form() -> None:
    sections = parse_plan_markdown(
        "## Executive Summary\nS.\n## Evacuation Plan\nSoon.\n- **Routes** — north.\n"
        "## Glossary\nWords.\n"
    )
    assert sections.evacuation is not None and sections.unparsed
    data = json.loads(json.dumps(sections.to_dict()))
    assert data["evacuation"] == {
        "overview": "Soon.",
        "steps": [{"topic": "routes", "title": "Routes", "advice": "north."}],
    }
    assert data["unparsed"] == [
        {"section": "Glossary", "reason": "unknown_section", "excerpt": "Words."}
    ]
    assert PlanSections.from_dict(data) == sections


def test_a_plan_stored_before_these_keys_existed_still_loads() -> None:
    stored = {"executive_summary": "S.", "next_steps": ["One."]}
    loaded = PlanSections.from_dict(stored)
    assert loaded.evacuation is None and loaded.unparsed == ()
    assert PlanSections.from_dict({**stored, "evacuation": None}).evacuation is None


def test_resolving_bundles_reports_an_id_the_catalog_does_not_have() -> None:
    sections = PlanSections(
        executive_summary="S.",
        bundles=(
            BundleRecommendation("go-bag-72h", "Go-Bag", "a"),
            BundleRecommendation("made-up-kit", "Made Up", "b"),
            BundleRecommendation("", "No id", "c"),  # the parser reported it already
        ),
        unparsed=(UnparsedPart("Recommended Bundles", "no_bundle_id", "No id — c"),),
    )
    resolved = resolve_bundles(sections, {"go-bag-72h"})
    assert [(u.reason, u.excerpt) for u in resolved.unparsed] == [
        ("no_bundle_id", "No id — c"),
        ("unknown_bundle", "Made Up [bundle:made-up-kit]"),
    ]
