"""Where a plan's sections begin: headings matched by name, whatever their level or dress.

Models vary their headings: `#` to `###`, numbered ("2. Risks", "## 2) Bundles",
"Section II: Skills"), in bold ("**Risk Assessment**"), with a trailing colon or
an emoji, qualified ("Risk Assessment for Miami"). A heading is matched on its
words alone. Each heading line is at most MAX_MARKER_CHARS (domain.markdown_lines),
so the work per line is bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.markdown_lines import (
    Heading,
    atx_heading,
    bold_line,
    collapse_spaces,
    is_thematic_break,
)
from domain.plan_lists import EMPHASIS

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


@dataclass
class Section:
    kind: str | None  # None: a section the parser does not know
    heading: str
    lines: list[str]


def unfenced_lines(markdown: str) -> list[str]:
    # LLMs often wrap the whole answer in ```markdown ... ```.
    lines = markdown.strip().splitlines()
    if len(lines) >= 2 and lines[0].startswith("```") and lines[-1].strip() == "```":
        return lines[1:-1]
    return lines


def split_sections(lines: list[str]) -> list[Section]:
    """Each section once, in the plan's order: a repeated known one continues the first.

    A heading is a section's when its level is at most 2, or at most the executive
    summary's level (a model that writes every section as `###`). The plan's title,
    a first `#` heading before any section, is no section, nor is what precedes it.
    """
    headings = [atx_heading(line) for line in lines]
    section_level = max(2, _summary_level(headings))
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
                known[kind] = Section(kind, _clean_heading(title), [])
                found.append(known[kind])
            current = known[kind]
        elif top_level:
            if heading is not None and heading.level == 1 and not found:
                current = None  # the title, and its introduction
            else:
                current = Section(None, _clean_heading(title), [])
                found.append(current)
        elif current is not None:
            current.lines.append(line)
    return found


def _summary_level(headings: list[Heading | None]) -> int:
    for heading in headings:
        if heading is not None and _section_kind(heading.title, top_level=True) == SUMMARY:
            return heading.level
    return 0


def _clean_heading(title: str) -> str:
    return collapse_spaces(EMPHASIS.sub("", title)).rstrip(":").strip()


def _section_kind(title: str, *, top_level: bool) -> str | None:
    words = normalised_name(EMPHASIS.sub("", title)).split()
    for start in range(min(len(words), _MAX_NUMBERING_WORDS) + 1):
        if start and not _is_numbering(words[start - 1]):
            break
        kind = _kind_of_name(words[start:], top_level=top_level)
        if kind is not None:
            return kind
    return None


def _kind_of_name(words: list[str], *, top_level: bool) -> str | None:
    for end, word in enumerate(words):
        if end and word in _QUALIFIERS:
            words = words[:end]  # "Risk Assessment for Miami": the name ends here
            break
    name = " ".join(words)
    if name in _SECTION_NAMES:
        return _SECTION_NAMES[name]
    return _SHORT_SECTION_NAMES.get(name) if top_level else None


def _is_numbering(word: str) -> bool:
    return word.isdigit() or word in _NUMBERING_WORDS or set(word) <= _ROMAN_DIGITS


def normalised_name(text: str) -> str:
    """Lower case, words only: "Day-by-Day  Simulation:" -> "day by day simulation"."""
    text = text.lower().replace("&", " and ")
    return " ".join(re.sub(r"[^\w]+|_", " ", text).split())
