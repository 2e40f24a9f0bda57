"""The markdown parser behind a generated mission plan's sections (domain.plan_sections).

The plan arrives as markdown (docs/plan-format.md) written by the offline
planner or a real LLM. The parser is deliberately forgiving, because an LLM
does not follow a format to the letter: it matches headings by name, not level
or case, accepts any common list marker or separator, and skips what it does not
recognise, reporting it in `PlanSections.unparsed` (domain.plan_unparsed). It
fails only when there is no executive summary, which means the text is not a
plan at all, or when it is longer than `MAX_PLAN_CHARS`.

The text is model output that user notes can steer, so parsing is linear in its
length whatever it holds: lines are recognised by `domain.markdown_lines` with
string operations, and the few regular expressions left run on whitespace-collapsed
text of bounded length, where they cannot backtrack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from domain.markdown_lines import (
    MAX_HEADING_LEVEL,
    MAX_MARKER_CHARS,
    atx_heading,
    bold_line,
    collapse_spaces,
    without_list_marker,
)
from domain.plan_evacuation import parse_evacuation
from domain.plan_headings import (
    BUNDLES,
    EVACUATION,
    NEXT_STEPS,
    RISKS,
    SIMULATION,
    SKILLS,
    SUMMARY,
    Section,
    normalised_name,
    split_sections,
    unfenced_lines,
)
from domain.plan_lists import (
    EMPHASIS,
    list_items,
    paragraphs,
    parse_bundle,
    parse_skill,
    table_rows_as_items,
)
from domain.plan_sections import (
    DEFAULT_SKILL_PRIORITY,
    RISK_LEVELS,
    SKILL_PRIORITIES,
    UNKNOWN_RISK_LEVEL,
    BundleRecommendation,
    EvacuationPlan,
    EvacuationStep,
    EvacuationTopic,
    PlanSections,
    RiskAssessment,
    SimulationDay,
    Skill,
    UnparsedPart,
    UnparsedReason,
    resolve_bundles,
)
from domain.plan_unparsed import UnparsedLog
from domain.wizard import Scenario

__all__ = [
    "DEFAULT_SKILL_PRIORITY",
    "MAX_PLAN_CHARS",
    "RISK_LEVELS",
    "SKILL_PRIORITIES",
    "UNKNOWN_RISK_LEVEL",
    "BundleRecommendation",
    "EvacuationPlan",
    "EvacuationStep",
    "EvacuationTopic",
    "PlanParseError",
    "PlanSections",
    "PlanTooLarge",
    "RiskAssessment",
    "SimulationDay",
    "Skill",
    "UnparsedPart",
    "UnparsedReason",
    "parse_plan_markdown",
    "resolve_bundles",
]


# About 40 times a real plan (3-6 KB), and well inside the 2 MB webhook body cap even
# when every character is JSON-escaped.
MAX_PLAN_CHARS = 200_000


class PlanParseError(ValueError):
    """The markdown is not a mission plan (it has no executive summary)."""


class PlanTooLarge(PlanParseError):
    """The markdown is longer than MAX_PLAN_CHARS: it is refused unread."""

    def __init__(self, length: int) -> None:
        self.length = length
        super().__init__(f"the plan has {length} characters; at most {MAX_PLAN_CHARS} are accepted")


# --- parsing: sections ----------------------------------------------------------


def parse_plan_markdown(markdown: str) -> PlanSections:
    """Structured sections of a plan in the format of docs/plan-format.md.

    Raises PlanTooLarge past MAX_PLAN_CHARS, PlanParseError without a summary.
    """
    if len(markdown) > MAX_PLAN_CHARS:
        raise PlanTooLarge(len(markdown))
    found = split_sections(unfenced_lines(markdown), _belongs)
    known = {section.kind: section for section in found if section.kind is not None}
    summary = paragraphs(known[SUMMARY].lines) if SUMMARY in known else ""
    if not summary:
        raise PlanParseError("the plan has no executive summary")
    unparsed = UnparsedLog()
    results: dict[str, Any] = {}
    for section in found:  # in the plan's order, so the unparsed parts are too
        if section.kind is None:
            unparsed.add(section.heading, UnparsedReason.UNKNOWN_SECTION, section.lines)
        elif section.kind != SUMMARY:
            results[section.kind] = _SECTION_READERS[section.kind](section, unparsed)
    return PlanSections(
        executive_summary=summary,
        risk_assessment=tuple(results.get(RISKS, ())),
        bundles=tuple(results.get(BUNDLES, ())),
        skills=tuple(results.get(SKILLS, ())),
        simulation=tuple(results.get(SIMULATION, ())),
        next_steps=tuple(results.get(NEXT_STEPS, ())),
        evacuation=results.get(EVACUATION),
        unparsed=tuple(unparsed.parts),
    )


def _belongs(kind: str, title: str) -> bool:
    """Whether a heading at the sections' level is an entry of section `kind`."""
    if kind == SIMULATION:
        return _DAY.match(collapse_spaces(EMPHASIS.sub("", title))) is not None
    if kind == RISKS:
        name, level = _split_risk_heading(title)
        return level != UNKNOWN_RISK_LEVEL or normalised_name(name) in _SCENARIOS_BY_NAME
    return False


def _has_text(lines: Iterable[str]) -> bool:
    return any(line.strip() for line in lines)


def _read_evacuation(section: Section, unparsed: UnparsedLog) -> EvacuationPlan | None:
    return parse_evacuation(section.lines)  # everything in it is kept: steps or overview


def _read_list(section: Section, unparsed: UnparsedLog) -> list[str]:
    items = list_items(table_rows_as_items(section.lines))
    if not items and _has_text(section.lines):
        unparsed.add(section.heading, UnparsedReason.NOTHING_READ, section.lines)
    return items


def _read_skills(section: Section, unparsed: UnparsedLog) -> list[Skill]:
    return [parse_skill(item) for item in _read_list(section, unparsed)]


def _read_bundles(section: Section, unparsed: UnparsedLog) -> list[BundleRecommendation]:
    bundles = []
    for item in _read_list(section, unparsed):
        bundle = parse_bundle(item)
        if not bundle.bundle_id:
            unparsed.add(section.heading, UnparsedReason.NO_BUNDLE_ID, [item])
        bundles.append(bundle)
    return bundles


def _blocks(lines: Iterable[str], marker: Callable[[str], str | None]) -> list[tuple[str, str]]:
    """(marker text, body) pairs; lines before the first marker are dropped."""
    blocks: list[tuple[str, list[str]]] = []
    for line in lines:
        text = marker(line)
        if text is not None:
            blocks.append((text, []))
        elif blocks:
            blocks[-1][1].append(line)
    return [(text, paragraphs(body)) for text, body in blocks]


def _subheading_level(lines: Iterable[str]) -> int:
    """The level of a section's first subheading: deeper ones are part of an entry's text."""
    for line in lines:
        heading = atx_heading(line)
        if heading is not None:
            return heading.level
    return MAX_HEADING_LEVEL


def _heading_text(line: str, level: int) -> str | None:
    found = atx_heading(line)
    return found.title if found and found.level <= level else None


# --- parsing: risks ---------------------------------------------------------------

_LEVEL_WORDS = {level: level for level in RISK_LEVELS} | {
    "MINIMAL": "LOW",
    "MEDIUM": "MODERATE",
    "ELEVATED": "MODERATE",
    "CRITICAL": "SEVERE",
    "EXTREME": "SEVERE",
}
# Words that may surround the level: "High risk", "Risk level: Moderate to High".
_LEVEL_FILLER = frozenset({"RISK", "LEVEL", "OVERALL", "THREAT", "RATING", "VERY", "TO", "UNKNOWN"})
_LEVEL_VOCABULARY = _LEVEL_FILLER | _LEVEL_WORDS.keys()
# The separator between scenario and level; a space too, for "Hurricane HIGH". It runs
# on whitespace-collapsed text, so each `\s*` matches at most one character.
_RISK_SEPARATOR = re.compile(r"\s*[\u2013\u2014:(\[|-]\s*|\s+")
_WORD = re.compile(r"[A-Za-z]+")
# What a line stating a risk's level opens with ("**Risk level:** HIGH"), in its first lines.
_LEVEL_LABELS = frozenset(
    {"level", "risk", "risk level", "overall risk", "overall risk level", "threat level"}
    | {"risk rating", "rating", "severity"}
)
_LEVEL_LINES = 3
_SCENARIOS_BY_NAME = {
    normalised_name(name): scenario
    for scenario in Scenario
    for name in (scenario.display_name, scenario.value)
}


def _read_risks(section: Section, unparsed: UnparsedLog) -> list[RiskAssessment]:
    level = _subheading_level(section.lines)
    risks = []
    for heading, summary in _blocks(section.lines, lambda line: _risk_marker(line, level)):
        title, risk_level = _split_risk_heading(heading)
        if risk_level == UNKNOWN_RISK_LEVEL:
            risk_level = _stated_level(summary)  # "### Flood" then "**Risk level:** HIGH"
        scenario = _SCENARIOS_BY_NAME.get(normalised_name(title))
        if risk_level == UNKNOWN_RISK_LEVEL:
            unparsed.add(section.heading, UnparsedReason.NO_RISK_LEVEL, [heading])
        risks.append(
            RiskAssessment(
                scenario=scenario,
                # "HURRICANE" and "power_grid_failure" are shown as the catalog spells them.
                title=scenario.display_name if scenario else title,
                level=risk_level,
                summary=summary,
            )
        )
    if not risks and _has_text(section.lines):
        unparsed.add(section.heading, UnparsedReason.NOTHING_READ, section.lines)
    return risks


def _risk_marker(line: str, level: int) -> str | None:
    """A heading, or a bold line naming a level ("**Flood — LOW**"); None for body text."""
    title = _heading_text(line, level)
    if title is not None:
        return title
    bold = bold_line(line)
    if bold is None:
        return None
    name, risk_level = _split_risk_heading(bold)
    # "**Risk level: HIGH**" under a heading states that risk's level; it is no risk.
    return bold if risk_level != UNKNOWN_RISK_LEVEL and not _is_level_label(name) else None


def _stated_level(summary: str) -> str:
    """The level a "Risk level: HIGH" line among the summary's first lines states."""
    start = 0
    for _ in range(_LEVEL_LINES):
        end = summary.find("\n", start)
        end = len(summary) if end == -1 else end
        label, _, value = collapse_spaces(
            EMPHASIS.sub("", summary[start : min(end, start + MAX_MARKER_CHARS)])
        ).partition(":")
        if value and _is_level_label(label):
            level = _highest_level(word.upper() for word in _WORD.findall(value))
            if level != UNKNOWN_RISK_LEVEL:
                return level
        start = end + 1
        if start >= len(summary):
            break
    return UNKNOWN_RISK_LEVEL


def _is_level_label(text: str) -> bool:
    return normalised_name(text) in _LEVEL_LABELS


def _split_risk_heading(heading: str) -> tuple[str, str]:
    """Title and level of "Hurricane — HIGH".

    Splits at the first separator followed only by level words, so a hyphen inside
    a title ("Heat-wave — HIGH") survives. One pass over the words finds where the
    run of level words at the end begins, so each separator is checked in O(1).
    """
    text = collapse_spaces(EMPHASIS.sub("", heading))
    words = [(word.start(), word.group().upper()) for word in _WORD.finditer(text)]
    levels_from = len(words)  # words[levels_from:] are all level vocabulary
    while levels_from > 0 and words[levels_from - 1][1] in _LEVEL_VOCABULARY:
        levels_from -= 1
    next_word = 0
    for separator in _RISK_SEPARATOR.finditer(text):
        while next_word < len(words) and words[next_word][0] < separator.end():
            next_word += 1
        if separator.start() > 0 and levels_from <= next_word < len(words):
            level_words = [word for _, word in words[next_word:]]
            return text[: separator.start()].strip(), _highest_level(level_words)
    return text, UNKNOWN_RISK_LEVEL


def _highest_level(words: Iterable[str]) -> str:
    # "Moderate to High" is read as HIGH: preparing for more is the safe error.
    levels = [_LEVEL_WORDS[w] for w in words if w in _LEVEL_WORDS]
    return max(levels, key=RISK_LEVELS.index) if levels else UNKNOWN_RISK_LEVEL


# --- parsing: simulation -------------------------------------------------------------

_DAY = re.compile(
    r"^days?\s+(\d+)(?:\s*(?:[-\u2013\u2014]|to)\s*(\d+))?(?:\s*[:.\-\u2013\u2014]\s*|\s+|$)(.*)$",
    re.IGNORECASE,
)


def _read_simulation(section: Section, unparsed: UnparsedLog) -> list[SimulationDay]:
    level = _subheading_level(section.lines)
    days, others = [], []
    for marker, details in _blocks(section.lines, lambda line: _simulation_marker(line, level)):
        day = _DAY.match(marker)
        if day is None:
            others.append(marker)  # another subsection ("### Overview"): not a day
            continue
        first, last, title = int(day.group(1)), day.group(2), (day.group(3) or "").strip()
        if last is not None:
            # "Days 5-14: Recovery" summarises a stretch; keep its span in the title.
            span = f"days {first}-{last}"
            title = f"{title} ({span})" if title else span.capitalize()
        days.append(SimulationDay(day=first, title=title, details=details))
    if not days and _has_text(section.lines):
        unparsed.add(section.heading, UnparsedReason.NOTHING_READ, section.lines)
    else:
        for marker in others:
            unparsed.add(section.heading, UnparsedReason.NOT_A_DAY, [marker])
    return days


def _simulation_marker(line: str, level: int) -> str | None:
    """The text of a heading, or of a "**Day 3:** ..." line; None for body text."""
    title = _heading_text(line, level)
    if title is not None:
        return collapse_spaces(EMPHASIS.sub("", title))
    if len(line) > MAX_MARKER_CHARS:
        return None  # body text; and _DAY below only ever sees bounded input
    text = without_list_marker(line).strip()
    if not text.startswith(("**", "__")):
        return None
    text = collapse_spaces(EMPHASIS.sub("", text))
    return text if _DAY.match(text) else None


_SECTION_READERS: dict[str, Callable[[Section, UnparsedLog], Any]] = {
    RISKS: _read_risks,
    EVACUATION: _read_evacuation,
    BUNDLES: _read_bundles,
    SKILLS: _read_skills,
    SIMULATION: _read_simulation,
    NEXT_STEPS: _read_list,
}
