"""Where a plan's sections begin: headings matched by name, whatever their level or dress.

Models vary their headings: `#` to `###`, numbered ("2. Risks", "## 2) Bundles",
"Section II: Skills"), in bold ("**Risk Assessment**"), with a trailing colon or
an emoji, qualified ("Risk Assessment for Miami"), with words added ("Survival
Skills Checklist"). A heading is matched on its words alone. A heading line has
at most MAX_MARKER_CHARS (domain.markdown_lines), so the work per line is bounded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from domain.markdown_lines import (
    Heading,
    atx_heading,
    bold_line,
    is_thematic_break,
)

SUMMARY, RISKS, BUNDLES = "summary", "risks", "bundles"
SKILLS, SIMULATION, NEXT_STEPS = "skills", "simulation", "next_steps"
EVACUATION = "evacuation"
# Recognised at any heading level, and as a line in bold.
_SECTION_NAMES = {
    "executive summary": SUMMARY,
    "plan summary": SUMMARY,
    "mission summary": SUMMARY,
    "risk assessment": RISKS,
    "risk assessments": RISKS,
    "risk analysis": RISKS,
    "threat assessment": RISKS,
    "evacuation plan": EVACUATION,
    "evacuation planning": EVACUATION,
    "evacuation strategy": EVACUATION,
    "evacuation routes": EVACUATION,
    "recommended bundles": BUNDLES,
    "recommended product bundles": BUNDLES,
    "recommended kits": BUNDLES,
    "bundle recommendations": BUNDLES,
    "product recommendations": BUNDLES,
    "survival skills": SKILLS,
    "survival skills to learn": SKILLS,
    "skills to learn": SKILLS,
    "essential skills": SKILLS,
    "day by day simulation": SIMULATION,
    "day by day scenario simulation": SIMULATION,
    "scenario simulation": SIMULATION,
    "daily simulation": SIMULATION,
    "next steps": NEXT_STEPS,
    "immediate next steps": NEXT_STEPS,
    "action items": NEXT_STEPS,
    "immediate actions": NEXT_STEPS,
}
# Short names only as section headings: "### Summary" under a simulated day is
# that day's summary, not the plan's.
_SHORT_SECTION_NAMES = {
    "summary": SUMMARY,
    "risks": RISKS,
    "evacuation": EVACUATION,
    "bundles": BUNDLES,
    "skills": SKILLS,
    "simulation": SIMULATION,
}
# Words that number a heading: "2. Risks", "Section II: Bundles", "Step 3 - Skills".
_NUMBERING_WORDS = frozenset({"section", "part", "step", "chapter"})
_ROMAN_DIGITS = frozenset("ivxl")
_MAX_NUMBERING_WORDS = 3
# A known name followed by these words is still that section: "Risk Assessment for Miami".
_QUALIFIERS = frozenset({"for", "in"})
_MAX_NAME_WORDS = max(len(name.split()) for name in _SECTION_NAMES)
_DEFAULT_SECTION_LEVEL = 2  # the format's (docs/plan-format.md)


@dataclass
class Section:
    kind: str | None  # None: a section the parser does not know
    heading: str  # as written: cleaned only if it is reported (domain.plan_unparsed)
    lines: list[str]


def unfenced_lines(markdown: str) -> list[str]:
    # LLMs often wrap the whole answer in ```markdown ... ```.
    lines = markdown.strip().splitlines()
    if len(lines) >= 2 and lines[0].startswith("```") and lines[-1].strip() == "```":
        return lines[1:-1]
    return lines


def split_sections(
    lines: list[str], belongs: Callable[[str, str], bool] = lambda kind, title: False
) -> list[Section]:
    """Each section once, in the plan's order: a repeated known one continues the first.

    A heading is a section's when its level is at most the executive summary's
    (a model may write every section as `#` or as `###`; the level below holds a
    section's own subsections), or at most 2 when the summary's is not a heading.
    A heading at that level that `belongs(kind, title)` to the current section is
    one of its entries: models also write days and risks at the sections' level. The plan's title,
    a first `#` heading before any section, is no section, nor is what precedes it.
    """
    headings = [atx_heading(line) for line in lines]
    section_level = _summary_level(headings)
    found: list[Section] = []
    known: dict[str, Section] = {}
    current: Section | None = None
    for line, heading in zip(lines, headings, strict=True):
        title = heading.title if heading else bold_line(line)
        if title is None:
            if current is not None and not is_thematic_break(line):
                current.lines.append(line)
            continue
        top_level = heading is not None and heading.level <= section_level
        kind = _section_kind(title, top_level=top_level)
        if kind is not None:
            if kind not in known:
                known[kind] = Section(kind, title, [])
                found.append(known[kind])
            current = known[kind]
        elif top_level and current is not None and current.kind and belongs(current.kind, title):
            current.lines.append(line)  # "## Day 2" after "## Simulation": one of its entries
        elif top_level:
            if heading is not None and heading.level == 1 and not found:
                current = None  # the title, and its introduction
            else:
                current = Section(None, title, [])
                found.append(current)
        elif current is not None:
            current.lines.append(line)
    return found


def _summary_level(headings: list[Heading | None]) -> int:
    for heading in headings:
        # "Summary" alone names the plan's only at the format's level: "### Summary"
        # under a day is that day's.
        top_level = heading is not None and heading.level <= _DEFAULT_SECTION_LEVEL
        if heading is not None and _section_kind(heading.title, top_level=top_level) == SUMMARY:
            return heading.level
    return _DEFAULT_SECTION_LEVEL  # the summary is a bold line, or missing


def _section_kind(title: str, *, top_level: bool) -> str | None:
    # Dropping non-word characters drops emphasis marks, colons and emoji too.
    words = _name_words(title)
    start = 0  # past the numbering: "2", "ii", "section 2"; one word is always left
    while start < min(_MAX_NUMBERING_WORDS, len(words) - 1) and _is_numbering(words[start]):
        start += 1
    end = min(len(words), start + _MAX_NAME_WORDS + 1)
    for index in range(start + 1, end):
        if words[index] in _QUALIFIERS:
            end = index  # "Risk Assessment for Miami": the name ends here
            break
    if not top_level:
        name = " ".join(words[start:end]) if end - start <= _MAX_NAME_WORDS else ""
        return _SECTION_NAMES.get(name)
    # A section heading may add words: "Recommended Bundles (within your budget)",
    # "Survival Skills Checklist". The longest known name it opens with wins.
    for length in range(min(end - start, _MAX_NAME_WORDS), 0, -1):
        name = " ".join(words[start : start + length])
        kind = _SECTION_NAMES.get(name) or _SHORT_SECTION_NAMES.get(name)
        if kind is not None:
            return kind
    return None


def _is_numbering(word: str) -> bool:
    return word.isdigit() or word in _NUMBERING_WORDS or set(word) <= _ROMAN_DIGITS


_NOT_WORD = re.compile(r"[^\w]+|_")


def normalised_name(text: str) -> str:
    """Lower case, words only: "Day-by-Day  Simulation:" -> "day by day simulation"."""
    return " ".join(_name_words(text))


def _name_words(text: str) -> list[str]:
    return _NOT_WORD.sub(" ", text.lower().replace("&", " and ")).split()
