"""A generated mission plan's structured sections, and the markdown parser behind them.

The plan arrives as markdown (docs/plan-format.md) written by the offline
planner or a real LLM. The parser is deliberately forgiving, because an LLM
does not follow a format to the letter: it matches headings by name, not level
or case, accepts any common list marker or separator, and skips what it does not
recognise. It fails only when there is no executive summary, which means the
text is not a plan at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from enum import Enum
from typing import Any

from domain.wizard import Scenario

RISK_LEVELS = ("LOW", "MODERATE", "HIGH", "SEVERE")
UNKNOWN_RISK_LEVEL = "UNKNOWN"
SKILL_PRIORITIES = ("high", "medium", "low")
DEFAULT_SKILL_PRIORITY = "medium"


class PlanParseError(ValueError):
    """The markdown is not a mission plan (it has no executive summary)."""


@dataclass(frozen=True)
class RiskAssessment:
    scenario: Scenario | None  # None when the heading names no known scenario
    title: str
    level: str  # one of RISK_LEVELS, or UNKNOWN_RISK_LEVEL
    summary: str


@dataclass(frozen=True)
class BundleRecommendation:
    bundle_id: str  # "" when the line names no catalog id
    name: str
    reason: str


@dataclass(frozen=True)
class Skill:
    name: str
    priority: str  # one of SKILL_PRIORITIES
    reason: str


@dataclass(frozen=True)
class SimulationDay:
    day: int
    title: str
    details: str


@dataclass(frozen=True)
class PlanSections:
    executive_summary: str
    risk_assessment: tuple[RiskAssessment, ...] = ()
    bundles: tuple[BundleRecommendation, ...] = ()
    skills: tuple[Skill, ...] = ()
    simulation: tuple[SimulationDay, ...] = ()
    next_steps: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (snake_case keys, lists, scenario as its enum value)."""
        return asdict(self, dict_factory=_json_ready)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanSections:
        """Inverse of `to_dict`; missing lists read as empty (older stored plans)."""
        return cls(
            executive_summary=str(data.get("executive_summary", "")),
            risk_assessment=tuple(
                RiskAssessment(
                    scenario=_scenario_from_value(r.get("scenario")),
                    **_texts(r, "title", "level", "summary"),
                )
                for r in data.get("risk_assessment") or ()
            ),
            bundles=tuple(
                BundleRecommendation(**_texts(b, "bundle_id", "name", "reason"))
                for b in data.get("bundles") or ()
            ),
            skills=tuple(
                Skill(**_texts(s, "name", "priority", "reason")) for s in data.get("skills") or ()
            ),
            simulation=tuple(
                SimulationDay(day=int(d.get("day", 0)), **_texts(d, "title", "details"))
                for d in data.get("simulation") or ()
            ),
            next_steps=tuple(str(step) for step in data.get("next_steps") or ()),
        )


def _texts(record: Mapping[str, Any], *names: str) -> dict[str, str]:
    return {name: str(record.get(name) or "") for name in names}


def _json_ready(fields: list[tuple[str, Any]]) -> dict[str, Any]:
    return {name: _json_value(value) for name, value in fields}


def _json_value(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    return list(value) if isinstance(value, tuple) else value


def _scenario_from_value(value: object) -> Scenario | None:
    # A stored plan may name a scenario this version no longer has.
    try:
        return Scenario(value)
    except ValueError:
        return None


def resolve_bundles(sections: PlanSections, known_ids: Collection[str]) -> PlanSections:
    """Keep only recommendations of catalog bundles, each once, in the plan's order.

    Lines without an id are dropped too: there is no catalog entry to show.
    """
    seen: set[str] = set()
    kept: list[BundleRecommendation] = []
    for bundle in sections.bundles:
        if bundle.bundle_id in known_ids and bundle.bundle_id not in seen:
            seen.add(bundle.bundle_id)
            kept.append(bundle)
    return replace(sections, bundles=tuple(kept))


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

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(.+?)\1\s*:?\s*$")
_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_]|[*_](?!\w)|`")
_SECTION_NUMBERING = re.compile(r"^\s*(?:\d+[.)]|[ivx]+\.)\s+", re.IGNORECASE)


def parse_plan_markdown(markdown: str) -> PlanSections:
    """Structured sections of a plan in the format of docs/plan-format.md."""
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
        heading = _HEADING.match(line)
        bold = _BOLD_LINE.match(line)
        title = heading.group(2) if heading else bold.group(2) if bold else None
        if title is None:
            if current is not None:
                current.append(line)
            continue
        level = len(heading.group(1)) if heading else 0
        kind = _section_kind(title, top_level=bool(heading) and level <= 2)
        if kind is not None:
            # A repeated section continues the first one.
            current = sections.setdefault(kind, [])
        elif heading and level <= 2:
            current = None  # an unknown section: ignored with its content
        elif current is not None:
            current.append(line)
    return sections


def _section_kind(title: str, *, top_level: bool) -> str | None:
    name = _normalised_name(_SECTION_NUMBERING.sub("", _EMPHASIS.sub("", title)))
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
# The separator between scenario and level; whitespace too, for "Hurricane HIGH".
_RISK_SEPARATOR = re.compile(r"\s*[\u2013\u2014:(\[|-]\s*|\s+")
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
    heading = _HEADING.match(line)
    return heading.group(2) if heading else None


def _risk_marker(line: str) -> str | None:
    """A heading, or a bold line naming a level ("**Flood — LOW**"); None for body text."""
    heading = _heading_text(line)
    if heading is not None:
        return heading
    bold = _BOLD_LINE.match(line)
    if bold and _split_risk_heading(bold.group(2))[1] != UNKNOWN_RISK_LEVEL:
        return bold.group(2)
    return None


def _split_risk_heading(heading: str) -> tuple[str, str]:
    """Title and level of "Hurricane — HIGH".

    Splits at the first separator followed only by level words, so a hyphen inside
    a title ("Heat-wave — HIGH") survives.
    """
    text = _EMPHASIS.sub("", heading).strip()
    for separator in _RISK_SEPARATOR.finditer(text):
        words = re.findall(r"[A-Za-z]+", text[separator.end() :].upper())
        if separator.start() > 0 and words and _LEVEL_VOCABULARY.issuperset(words):
            return text[: separator.start()].strip(), _highest_level(words)
    return text, UNKNOWN_RISK_LEVEL


def _highest_level(words: Iterable[str]) -> str:
    # "Moderate to High" is read as HIGH: preparing for more is the safe error.
    levels = [_LEVEL_WORDS[w] for w in words if w in _LEVEL_WORDS]
    return max(levels, key=RISK_LEVELS.index) if levels else UNKNOWN_RISK_LEVEL


# --- parsing: lists (bundles, skills, next steps) -------------------------------------

_LIST_ITEM = re.compile(r"^(\s*)(?:[-*+•]|\d+[.)])\s+(.*\S)\s*$")
_BUNDLE_REF = re.compile(r"[\[(`]\s*bundle\s*[:=]\s*([A-Za-z0-9][\w.-]*)\s*[\])`]", re.IGNORECASE)
_LEADING_BOLD = re.compile(r"^\s*(\*\*|__)(.+?)\1(.*)$")
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
    """Text of each top-level list item, its wrapped and nested lines joined to it."""
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
        item = _LIST_ITEM.match(line)
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
        if item and (base_indent is None or indent <= base_indent + 1):
            base_indent = indent if base_indent is None else base_indent
            items.append([item.group(2)])
            attached = True
        elif attached and (not after_blank or indent > 0):
            items[-1].append(item.group(2) if item else line.strip())
        else:
            attached = False
        after_blank = False
    return [" ".join(parts) for parts in items]


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
    bold = _LEADING_BOLD.match(text)
    if bold:
        name, rest = bold.group(2), bold.group(3)
    else:
        parts = _NAME_SEPARATOR.split(text.strip(), maxsplit=1)
        name, rest = parts[0], parts[1] if len(parts) > 1 else ""
    name = _EMPHASIS.sub("", name).strip().rstrip(":").strip()
    reason = " ".join(rest.split()).lstrip("\u2013\u2014-:.,; ").strip()
    return name, reason


# --- parsing: simulation -------------------------------------------------------------

_DAY = re.compile(
    r"^days?\s+(\d+)(?:\s*(?:[-\u2013\u2014]|to)\s*(\d+))?(?:\s*[:.\-\u2013\u2014]\s*|\s+|$)(.*)$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")


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
    heading = _heading_text(line)
    if heading is not None:
        return _EMPHASIS.sub("", heading).strip()
    text = _BULLET.sub("", line).strip()
    if not text.startswith(("**", "__")):
        return None
    text = " ".join(_EMPHASIS.sub("", text).split())
    return text if _DAY.match(text) else None
