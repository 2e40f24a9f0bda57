"""Plans written the ways real models vary the format (tests/unit/plan_samples/*.md).

Each sample changes the markdown's dress, not its content: heading levels from
`#` to `####`, numbered, bold, with emoji, colons or added words, sections out of
order, missing or extra, days and risks at the sections' level, a risk's level on
its own line, tables instead of lists, `*`/`+`/`1.`/`1)` bullets. Every one must read into the same
kind of sections, with what could not be read reported, in LF, CRLF or fenced.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from domain.plan import PlanSections, UnparsedPart, parse_plan_markdown

SAMPLES = Path(__file__).parent / "plan_samples"


def sample(name: str) -> str:
    return (SAMPLES / f"{name}.md").read_text(encoding="utf-8")


def outline(sections: PlanSections) -> dict[str, object]:
    """What a reader of the plan page sees of each section, in short."""
    evacuation = sections.evacuation
    return {
        "risks": [(r.title, r.level) for r in sections.risk_assessment],
        "bundles": [b.bundle_id for b in sections.bundles],
        "skills": [(s.name, s.priority) for s in sections.skills],
        "days": [(d.day, d.title) for d in sections.simulation],
        "next_steps": len(sections.next_steps),
        "evacuation": None if evacuation is None else [s.topic for s in evacuation.steps],
        "unparsed": [(u.section, u.reason) for u in sections.unparsed],
    }


EXPECTED = {
    "numbered_h3": {
        "risks": [("Hurricane", "HIGH"), ("Power Grid Failure", "MODERATE")],
        "bundles": ["go-bag-72h", "water-storage-kit"],
        "skills": [("Water purification", "high"), ("First aid", "medium")],
        "days": [(1, "Landfall"), (2, "Without power")],
        "next_steps": 2,
        "evacuation": None,
        "unparsed": [],
    },
    "bold_headings": {
        "risks": [("Wildfire", "SEVERE"), ("Winter Storm", "MODERATE")],
        "bundles": ["wildfire-go-bag"],
        "skills": [("Reading fire alerts", "high")],
        "days": [(1, "Warning issued"), (2, "In Pueblo")],
        "next_steps": 2,
        "evacuation": ["when_to_leave", "destination", "routes", "what_to_take"],
        "unparsed": [],
    },
    "level_one_out_of_order": {
        "risks": [("Flood", "HIGH")],
        "bundles": [],
        "skills": [],
        "days": [(1, "Heavy rain"), (2, "Leaving")],
        "next_steps": 2,
        "evacuation": ["when_to_leave", "getting_there"],
        "unparsed": [("Local Resources", "unknown_section"), ("Disclaimer", "unknown_section")],
    },
    "emoji_and_rules": {
        "risks": [("Tornado", "SEVERE")],
        "bundles": ["senior-care-kit"],
        "skills": [("Tornado sheltering", "high")],
        "days": [(1, "Sirens")],
        "next_steps": 1,
        "evacuation": ["when_to_leave", "meeting_points"],
        "unparsed": [("\U0001f4b0 Budget Breakdown", "unknown_section")],
    },
    "flat_tables": {
        "risks": [("Hurricane", "HIGH"), ("Flood", "MODERATE")],
        "bundles": ["go-bag-72h", "water-storage-kit"],
        "skills": [("Water purification", "high"), ("Map reading", "low")],
        "days": [(1, "Evacuation order"), (2, "In Columbia")],
        "next_steps": 1,
        "evacuation": ["when_to_leave", "destination"],
        "unparsed": [],
    },
    "partly_unreadable": {
        "risks": [("Earthquake", "HIGH"), ("Volcano", "UNKNOWN")],
        "bundles": ["earthquake-kit", ""],
        "skills": [],
        "days": [(1, "The quake")],
        "next_steps": 1,
        "evacuation": None,
        "unparsed": [
            ("Risk Assessment", "no_risk_level"),
            ("Recommended Bundles", "no_bundle_id"),
            ("Survival Skills", "nothing_read"),
            ("Day-by-Day Simulation", "not_a_day"),
        ],
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_reads_into_its_sections(name: str) -> None:
    sections = parse_plan_markdown(sample(name))
    assert sections.executive_summary.startswith("The ")
    assert outline(sections) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize(
    "dress",
    [
        lambda text: text.replace("\n", "\r\n"),
        lambda text: f"```markdown\n{text}```\n",
        lambda text: f"\n\n{text}\n\n\n",
    ],
    ids=["crlf", "fenced", "blank-lines"],
)
def test_line_endings_and_fences_change_nothing(name: str, dress: Callable[[str], str]) -> None:
    assert parse_plan_markdown(dress(sample(name))) == parse_plan_markdown(sample(name))


def test_a_section_s_own_subheadings_stay_in_its_entries() -> None:
    # Sections at `#`, risks at `##`, and a `###` inside a risk: part of that risk.
    (flood,) = parse_plan_markdown(sample("level_one_out_of_order")).risk_assessment
    assert flood.summary == (
        "Streets flood within an hour of heavy rain.\n### What to watch\nThe bayou levels."
    )


def test_an_unknown_section_is_reported_with_how_it_starts() -> None:
    unparsed = parse_plan_markdown(sample("level_one_out_of_order")).unparsed
    assert unparsed[0] == UnparsedPart(
        "Local Resources",
        "unknown_section",
        "- Shelter at the George R. Brown Convention Center - 311 for non-emergencies",
    )


def test_each_unreadable_entry_is_reported_where_it_is() -> None:
    assert [u.excerpt for u in parse_plan_markdown(sample("partly_unreadable")).unparsed] == [
        "Volcano",
        "Candles and matches — light when the power fails.",
        "Learn first aid and how to shut off the gas; both matter most after a quake.",
        "Overview",
    ]


def test_rules_between_sections_and_the_bundle_total_are_not_text_to_report() -> None:
    sections = parse_plan_markdown(sample("emoji_and_rules"))
    assert "---" not in sections.executive_summary
    assert sections.evacuation is not None
    assert sections.evacuation.overview == "A short word before the steps: leave early."


def test_a_table_row_reads_as_the_list_item_it_stands_for() -> None:
    sections = parse_plan_markdown(sample("flat_tables"))
    assert sections.bundles[0].reason == "one per person — $149.00"
    assert sections.skills[0].reason == "the water system may fail"
    assert sections.evacuation is not None
    assert sections.evacuation.steps[1].advice == "Columbia, SC: the Hampton Inn (pets allowed)"


def test_a_risk_s_level_on_its_own_line_is_its_level_not_another_risk() -> None:
    hurricane, flood = parse_plan_markdown(sample("flat_tables")).risk_assessment
    assert hurricane.summary.startswith("**Risk Level:** HIGH\n")
    assert flood.level == "MODERATE"
