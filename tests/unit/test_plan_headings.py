"""Section headings as models write them, and the bounds on what is reported unread."""

from __future__ import annotations

import pytest

from domain.plan import PlanSections, parse_plan_markdown
from domain.plan_sections import MAX_EXCERPT_CHARS, MAX_UNPARSED_HEADING_CHARS, MAX_UNPARSED_PARTS

SUMMARY = "## Executive Summary\nS.\n"


def parse(markdown: str) -> PlanSections:
    return parse_plan_markdown(markdown)


@pytest.mark.parametrize(
    "heading",
    [
        "## Risk Assessment",
        "# Risk Assessment",
        "### Risk Assessment",
        "## 2. Risk Assessment",
        "## 2) Risks",
        "## II. Risks",
        "## Section 2: Risk Assessment",
        "## Step 2 - Risk Assessment",
        "## **Risk Assessment**",
        "**Risk Assessment**",
        "**2. Risk Assessment:**",
        "## Risk Assessment:",
        "## \u26a0\ufe0f Risk Assessment",
        "## Risk Assessment \U0001f32a\ufe0f",
        "## 2\ufe0f\u20e3 Risks",
        "## Risk Assessment for Miami, FL",
        "## RISK ANALYSIS",
        "## Threat Assessment ##",
    ],
)
def test_a_section_heading_is_known_by_its_words(heading: str) -> None:
    sections = parse(f"{SUMMARY}{heading}\n### Flood — LOW\nWet.\n")
    assert [r.title for r in sections.risk_assessment] == ["Flood"]
    assert sections.unparsed == ()


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("## 3. Evacuation Plan", "evacuation"),
        ("## Evacuation", "evacuation"),
        ("## Evacuation Strategy:", "evacuation"),
        ("## Recommended Kits", "bundles"),
        ("## 4) Bundles", "bundles"),
        ("## Skills to Learn", "skills"),
        ("## Essential Skills", "skills"),
        ("## Scenario Simulation", "simulation"),
        ("## Simulation", "simulation"),
        ("## Action Items", "next_steps"),
        ("## Immediate Next Steps", "next_steps"),
        ("## Recommended Bundles (within your $600 budget)", "bundles"),
        ("## Survival Skills Checklist", "skills"),
        ("## Evacuation Plan Details", "evacuation"),
    ],
)
def test_other_names_models_give_the_sections(heading: str, field: str) -> None:
    body = {
        "evacuation": "- **Routes** — north.\n",
        "bundles": "- **Kit** [bundle:go-bag-72h] — why.\n",
        "skills": "- **Knots** (priority: low) — why.\n",
        "simulation": "### Day 1: Start\nGo.\n",
        "next_steps": "1. Buy water.\n",
    }[field]
    sections = parse(f"{SUMMARY}{heading}\n{body}")
    assert getattr(sections, field), sections
    assert sections.unparsed == ()


def test_short_names_are_sections_only_at_the_section_level() -> None:
    # "### Summary" under a day is that day's summary, not the plan's.
    markdown = f"{SUMMARY}## Day-by-Day Simulation\n### Day 1: Start\nGo.\n### Summary\nDone.\n"
    sections = parse(markdown)
    assert sections.executive_summary == "S."
    assert [u.excerpt for u in sections.unparsed] == ["Summary"]  # reported: not a day


def test_sections_written_one_level_deeper_than_the_format() -> None:
    markdown = (
        "# Mission Plan\n## For the Diaz family\n### Executive Summary\nS.\n"
        "### Risks\n#### Flood — LOW\nWet.\n### Extras\nMore.\n"
    )
    sections = parse(markdown)
    assert [r.title for r in sections.risk_assessment] == ["Flood"]
    assert [(u.section, u.excerpt) for u in sections.unparsed] == [
        ("For the Diaz family", ""),
        ("Extras", "More."),
    ]


def test_a_missing_section_is_empty_and_not_reported() -> None:
    sections = parse(f"{SUMMARY}## Next Steps\n1. One.\n")
    assert sections.risk_assessment == () and sections.evacuation is None
    assert sections.unparsed == ()


def test_a_known_section_with_nothing_readable_is_reported_once() -> None:
    sections = parse(f"{SUMMARY}## Risk Assessment\nFloods are likely here.\n## Next Steps\nSoon.")
    assert [(u.section, u.reason) for u in sections.unparsed] == [
        ("Risk Assessment", "nothing_read"),
        ("Next Steps", "nothing_read"),
    ]


def test_what_is_reported_is_bounded_whatever_the_plan_holds() -> None:
    long_heading = "Appendix " + "word " * 150  # a heading line has at most 1,000 characters
    unknown = "".join(f"## {long_heading}{n}\n" + "text " * 300 + "\n" for n in range(60))
    sections = parse(SUMMARY + unknown)
    assert len(sections.unparsed) == MAX_UNPARSED_PARTS
    for part in sections.unparsed:
        assert len(part.section) <= MAX_UNPARSED_HEADING_CHARS
        assert len(part.excerpt) <= MAX_EXCERPT_CHARS
        assert part.excerpt.endswith("\u2026") and part.section.endswith("\u2026")


def test_an_excerpt_is_one_line_of_plain_text() -> None:
    sections = parse(f"{SUMMARY}## Notes\n**Bold** and `code`\n\n- a    list\n")
    assert sections.unparsed[0].excerpt == "Bold and code - a list"


def test_a_subheading_with_a_section_s_name_and_more_words_stays_in_its_entry() -> None:
    markdown = (
        f"{SUMMARY}## Day-by-Day Simulation\n### Day 1: Start\n"
        "#### Next steps after the storm\nCheck the roof.\n"
    )
    (day,) = parse(markdown).simulation
    assert day.details == "#### Next steps after the storm\nCheck the roof."


def test_days_and_risks_at_the_sections_level_stay_in_their_section() -> None:
    markdown = (
        f"{SUMMARY}## Risk Assessment\n## Flood — HIGH\nWet.\n## Power Grid Failure\nDark.\n"
        "## Day-by-Day Simulation\n## Day 1: Rain\nWet.\n## Days 2-5\nDrying.\n"
        "## Local Resources\nShelters.\n"
    )
    sections = parse(markdown)
    assert [(r.title, r.level) for r in sections.risk_assessment] == [
        ("Flood", "HIGH"),
        ("Power Grid Failure", "UNKNOWN"),
    ]
    assert [d.day for d in sections.simulation] == [1, 2]
    assert [(u.section, u.reason) for u in sections.unparsed] == [
        ("Risk Assessment", "no_risk_level"),
        ("Local Resources", "unknown_section"),
    ]
