"""The markdown parser behind a generated mission plan's sections (domain.plan_sections).

The plan arrives as markdown (docs/plan-format.md) written by the offline
planner or a real LLM. The parser is deliberately forgiving, because an LLM
does not follow a format to the letter: it matches headings by name, not level
or case, accepts any common list marker or separator, and skips what it does not
recognise. It fails only when there is no executive summary, which means the
text is not a plan at all, or when it is longer than `MAX_PLAN_CHARS`.

The text is model output that user notes can steer, so parsing is linear in its
length whatever it holds: lines are recognised by `domain.markdown_lines` with
string operations, and the few regular expressions left run on whitespace-collapsed
text of bounded length, where they cannot backtrack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from domain.markdown_lines import (
    MAX_MARKER_CHARS,
    atx_heading,
    bold_line,
    collapse_spaces,
    list_item,
    without_list_marker,
)
from domain.plan_sections import (
    DEFAULT_SKILL_PRIORITY,
    RISK_LEVELS,
    SKILL_PRIORITIES,
    UNKNOWN_RISK_LEVEL,
    BundleRecommendation,
    PlanSections,
    RiskAssessment,
    SimulationDay,
    Skill,
    resolve_bundles,
)
from domain.wizard import Scenario

__all__ = [
    "DEFAULT_SKILL_PRIORITY",
    "MAX_PLAN_CHARS",
    "RISK_LEVELS",
    "SKILL_PRIORITIES",
    "UNKNOWN_RISK_LEVEL",
    "BundleRecommendation",
    "PlanParseError",
    "PlanSections",
    "PlanTooLarge",
    "RiskAssessment",
    "SimulationDay",
    "Skill",
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

_SUMMARY, _RISKS, _BUNDLES = "summary", "risks", "bundles"
_SKILLS, _SIMULATION, _NEXT_STEPS = "skills", "simulation", "next_steps"
# Recognised at any heading level, and as a line in bold.
_SECTION_NAMES = {
    "executive summary": _SUMMARY,
    "risk assessment": _RISKS,
    "risk assessments": _RISKS,
    "recommended bundles": _BUNDLES,
    "recommended product bundles": _BUNDLES,
    "survival skills": _SKILLS,
    "survival skills to learn": _SKILLS,
    "day by day simulation": _SIMULATION,
    "day by day scenario simulation": _SIMULATION,
    "next steps": _NEXT_STEPS,
}
# Short names only as top-level headings: "### Summary" under a simulated day is
# that day's summary, not the plan's.
_SHORT_SECTION_NAMES = {name: name for name in (_SUMMARY, _RISKS, _BUNDLES, _SKILLS, _SIMULATION)}

_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_]|[*_](?!\w)|`")
_SECTION_NUMBERING = re.compile(r"^(?:\d+[.)]|[ivx]+\.) ", re.IGNORECASE)


def parse_plan_markdown(markdown: str) -> PlanSections:
    """Structured sections of a plan in the format of docs/plan-format.md.

    Raises PlanTooLarge past MAX_PLAN_CHARS, PlanParseError without a summary.
    """
    if len(markdown) > MAX_PLAN_CHARS:
        raise PlanTooLarge(len(markdown))
    sections = _split_sections(_unfenced_lines(markdown))
    summary = _paragraphs(sections.get(_SUMMARY, []))
    if not summary:
        raise PlanParseError("the plan has no executive summary")
    return PlanSections(
        executive_summary=summary,
        risk_assessment=tuple(_parse_risks(sections.get(_RISKS, []))),
        bundles=tuple(_parse_bundle(item) for item in _list_items(sections.get(_BUNDLES, []))),
        skills=tuple(_parse_skill(item) for item in _list_items(sections.get(_SKILLS, []))),
        simulation=tuple(_parse_simulation(sections.get(_SIMULATION, []))),
        next_steps=tuple(_list_items(sections.get(_NEXT_STEPS, []))),
    )


def _unfenced_lines(markdown: str) -> list[str]:
    # LLMs often wrap the whole answer in ```markdown ... ```.
    lines = markdown.strip().splitlines()
    if len(lines) >= 2 and lines[0].startswith("```") and lines[-1].strip() == "```":
        return lines[1:-1]
    return lines


def _split_sections(lines: Iterable[str]) -> dict[str, list[str]]:
    """Body lines of each known section; unknown sections and the title are dropped."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        found = atx_heading(line)
        title = found.title if found else bold_line(line)
        if title is None:
            if current is not None:
                current.append(line)
            continue
        top_level = found is not None and found.level <= 2
        kind = _section_kind(title, top_level=top_level)
        if kind is not None:
            # A repeated section continues the first one.
            current = sections.setdefault(kind, [])
        elif top_level:
            current = None  # an unknown section: ignored with its content
        elif current is not None:
            current.append(line)
    return sections


def _section_kind(title: str, *, top_level: bool) -> str | None:
    plain = collapse_spaces(_EMPHASIS.sub("", title))
    name = _normalised_name(_SECTION_NUMBERING.sub("", plain))
    if name in _SECTION_NAMES:
        return _SECTION_NAMES[name]
    return _SHORT_SECTION_NAMES.get(name) if top_level else None


def _normalised_name(text: str) -> str:
    """Lower case, words only: "Day-by-Day  Simulation:" -> "day by day simulation"."""
    text = text.lower().replace("&", " and ")
    return " ".join(re.sub(r"[^\w]+|_", " ", text).split())


def _paragraphs(lines: Iterable[str]) -> str:
    """The text with trailing spaces and runs of blank lines squeezed out."""
    text = "\n".join(line.rstrip() for line in lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _blocks(lines: Iterable[str], marker: Callable[[str], str | None]) -> list[tuple[str, str]]:
    """(marker text, body) pairs; lines before the first marker are dropped."""
    blocks: list[tuple[str, list[str]]] = []
    for line in lines:
        text = marker(line)
        if text is not None:
            blocks.append((text, []))
        elif blocks:
            blocks[-1][1].append(line)
    return [(text, _paragraphs(body)) for text, body in blocks]


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
_SCENARIOS_BY_NAME = {
    _normalised_name(name): scenario
    for scenario in Scenario
    for name in (scenario.display_name, scenario.value)
}


def _parse_risks(lines: list[str]) -> Iterable[RiskAssessment]:
    for heading, summary in _blocks(lines, _risk_marker):
        title, level = _split_risk_heading(heading)
        scenario = _SCENARIOS_BY_NAME.get(_normalised_name(title))
        yield RiskAssessment(
            scenario=scenario,
            # "HURRICANE" and "power_grid_failure" are shown as the catalog spells them.
            title=scenario.display_name if scenario else title,
            level=level,
            summary=summary,
        )


def _heading_text(line: str) -> str | None:
    found = atx_heading(line)
    return found.title if found else None


def _risk_marker(line: str) -> str | None:
    """A heading, or a bold line naming a level ("**Flood — LOW**"); None for body text."""
    title = _heading_text(line)
    if title is not None:
        return title
    bold = bold_line(line)
    if bold is not None and _split_risk_heading(bold)[1] != UNKNOWN_RISK_LEVEL:
        return bold
    return None


def _split_risk_heading(heading: str) -> tuple[str, str]:
    """Title and level of "Hurricane — HIGH".

    Splits at the first separator followed only by level words, so a hyphen inside
    a title ("Heat-wave — HIGH") survives. One pass over the words finds where the
    run of level words at the end begins, so each separator is checked in O(1).
    """
    text = collapse_spaces(_EMPHASIS.sub("", heading))
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


# --- parsing: lists (bundles, skills, next steps) -------------------------------------

_BUNDLE_REF = re.compile(r"[\[(`]\s*bundle\s*[:=]\s*([A-Za-z0-9][\w.-]*)\s*[\])`]", re.IGNORECASE)
_NAME_SEPARATOR = re.compile(r"\s+[-\u2013\u2014]\s+|\s*[\u2013\u2014]\s*|:\s+")
_PRIORITY = re.compile(
    r"\(\s*(?:priority\s*[:=-]?\s*)?(\w+)(?:\s+priority)?\s*\)|priority\s*[:=-]\s*(\w+)",
    re.IGNORECASE,
)
_PRIORITY_WORDS = {priority: priority for priority in SKILL_PRIORITIES} | {
    "critical": "high",
    "essential": "high",
    "urgent": "high",
    "moderate": "medium",
    "optional": "low",
}


def _list_items(lines: Iterable[str]) -> list[str]:
    """Text of each top-level list item, its wrapped and nested lines joined to it.

    Whitespace inside an item is collapsed, so the regular expressions that read
    items later see no run of spaces to backtrack over.
    """
    items: list[list[str]] = []
    base_indent: int | None = None
    after_blank = False
    # False once an unindented paragraph follows a blank line: that text closes the
    # list ("These cover the first week."), it does not belong to the last item.
    attached = False
    for line in lines:
        if not line.strip():
            after_blank = True
            continue
        item = list_item(line)
        expanded = line.expandtabs(4)
        indent = len(expanded) - len(expanded.lstrip())
        if item is not None and (base_indent is None or indent <= base_indent + 1):
            base_indent = indent if base_indent is None else base_indent
            items.append([item])
            attached = True
        elif attached and (not after_blank or indent > 0):
            items[-1].append(item if item is not None else line.strip())
        else:
            attached = False
        after_blank = False
    return [collapse_spaces(" ".join(parts)) for parts in items]


def _parse_bundle(item: str) -> BundleRecommendation:
    ref = _BUNDLE_REF.search(item)
    text = item if ref is None else f"{item[: ref.start()]} {item[ref.end() :]}"
    name, reason = _name_and_reason(text)
    bundle_id = "" if ref is None else ref.group(1).lower()
    return BundleRecommendation(bundle_id=bundle_id, name=name, reason=reason)


def _parse_skill(item: str) -> Skill:
    for found in _PRIORITY.finditer(item):
        # "First aid (CPR) (priority: high)": only a priority word makes a priority.
        priority = _PRIORITY_WORDS.get((found.group(1) or found.group(2)).lower())
        if priority is not None:
            name, reason = _name_and_reason(f"{item[: found.start()]} {item[found.end() :]}")
            return Skill(name=name, priority=priority, reason=reason)
    name, reason = _name_and_reason(item)
    return Skill(name=name, priority=DEFAULT_SKILL_PRIORITY, reason=reason)


def _name_and_reason(text: str) -> tuple[str, str]:
    """Split "**Name** — why" (or "Name: why") into ("Name", "why")."""
    bold = _leading_bold(text)
    if bold is not None:
        name, rest = bold
    else:
        parts = _NAME_SEPARATOR.split(text.strip(), maxsplit=1)
        name, rest = parts[0], parts[1] if len(parts) > 1 else ""
    name = _EMPHASIS.sub("", name).strip().rstrip(":").strip()
    reason = " ".join(rest.split()).lstrip("\u2013\u2014-:.,; ").strip()
    return name, reason


def _leading_bold(text: str) -> tuple[str, str] | None:
    """("Name", " — why") for "**Name** — why"; None unless the text opens in bold."""
    text = text.lstrip()
    for mark in ("**", "__"):
        if text.startswith(mark):
            close = text.find(mark, len(mark) + 1)  # the bold text is not empty
            if close != -1:
                return text[len(mark) : close], text[close + len(mark) :]
    return None


# --- parsing: simulation -------------------------------------------------------------

_DAY = re.compile(
    r"^days?\s+(\d+)(?:\s*(?:[-\u2013\u2014]|to)\s*(\d+))?(?:\s*[:.\-\u2013\u2014]\s*|\s+|$)(.*)$",
    re.IGNORECASE,
)


def _parse_simulation(lines: list[str]) -> Iterable[SimulationDay]:
    for marker, details in _blocks(lines, _simulation_marker):
        day = _DAY.match(marker)
        if day is None:
            continue  # another subsection ("### Overview"): not a day
        first, last, title = int(day.group(1)), day.group(2), (day.group(3) or "").strip()
        if last is not None:
            # "Days 5-14: Recovery" summarises a stretch; keep its span in the title.
            span = f"days {first}-{last}"
            title = f"{title} ({span})" if title else span.capitalize()
        yield SimulationDay(day=first, title=title, details=details)


def _simulation_marker(line: str) -> str | None:
    """The text of a heading, or of a "**Day 3:** ..." line; None for body text."""
    title = _heading_text(line)
    if title is not None:
        return collapse_spaces(_EMPHASIS.sub("", title))
    if len(line) > MAX_MARKER_CHARS:
        return None  # body text; and _DAY below only ever sees bounded input
    text = without_list_marker(line).strip()
    if not text.startswith(("**", "__")):
        return None
    text = collapse_spaces(_EMPHASIS.sub("", text))
    return text if _DAY.match(text) else None
