"""The plan's Evacuation Plan section read into topics: when to leave, where, how.

The offline planner and the prompt write `- **<topic>** — <advice>` lines
(docs/plan-format.md); models also write `**<topic>:** <advice>` paragraphs or a
`### <topic>` subsection per topic. Any of these gives a step; the topic's words
say which it is. Text outside the steps is kept as the overview.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.markdown_lines import MAX_MARKER_CHARS, atx_heading, collapse_spaces, list_item
from domain.plan_lists import (
    EMPHASIS,
    NAME_SEPARATOR,
    leading_bold,
    list_items,
    table_rows_as_items,
)
from domain.plan_lists import paragraphs as _paragraphs
from domain.plan_sections import EvacuationPlan, EvacuationStep, EvacuationTopic

# Words of a topic's title, checked in this order ("Evacuation routes" is ROUTES).
_TOPIC_WORDS: tuple[tuple[EvacuationTopic, tuple[str, ...]], ...] = (
    (
        EvacuationTopic.WHEN_TO_LEAVE,
        ("when to leave", "when to go", "when to evacuate", "trigger", "triggers", "timing"),
    ),
    (
        EvacuationTopic.DESTINATION,
        ("destination", "destinations", "where to go", "where to stay", "safe location"),
    ),
    (EvacuationTopic.ROUTES, ("route", "routes")),
    (
        EvacuationTopic.GETTING_THERE,
        ("getting there", "how to get there", "transport", "transportation", "vehicle", "ride"),
    ),
    (
        EvacuationTopic.WHAT_TO_TAKE,
        (
            "go bag",
            "go bags",
            "gobag",
            "gobags",
            "what to take",
            "what to bring",
            "what to pack",
            "bug out bag",
            "bug out bags",
            "packing",
            "supplies",
        ),
    ),
    (
        EvacuationTopic.MEETING_POINTS,
        (
            "meeting point",
            "meeting points",
            "meeting place",
            "meeting places",
            "reunification",
            "contact",
            "contacts",
        ),
    ),
)
_MAX_TOPIC_WORDS = 12


def parse_evacuation(lines: Sequence[str]) -> EvacuationPlan | None:
    """The section's steps and overview; None when it holds no text at all."""
    steps: list[EvacuationStep] = []
    overview: list[str] = []
    loose: list[str] = []  # lines outside any `### topic` subsection, read as a list
    subsection: tuple[str, list[str]] | None = None
    top = _first_heading_level(lines)
    for line in table_rows_as_items(lines):  # "| When to leave | At once |" is a step too
        heading = atx_heading(line)
        if heading is not None and heading.level <= top:
            _flush_list(loose, steps, overview)
            _flush_subsection(subsection, steps)
            subsection = (collapse_spaces(EMPHASIS.sub("", heading.title)).rstrip(":"), [])
        elif subsection is not None:
            subsection[1].append(line)
        else:
            loose.append(_as_item(line))
    _flush_list(loose, steps, overview)
    _flush_subsection(subsection, steps)
    text = _paragraphs(overview)
    if not steps and not text:
        return None
    return EvacuationPlan(overview=text, steps=tuple(steps))


def topic_of(title: str) -> EvacuationTopic:
    words = " ".join(_words(title)[:_MAX_TOPIC_WORDS])
    padded = f" {words} "
    for topic, phrases in _TOPIC_WORDS:
        if any(f" {phrase} " in padded for phrase in phrases):
            return topic
    return EvacuationTopic.OTHER


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text.lower()[:MAX_MARKER_CHARS]).split()


def _first_heading_level(lines: Sequence[str]) -> int:
    for line in lines:
        heading = atx_heading(line)
        if heading is not None:
            return heading.level
    return 0


def _as_item(line: str) -> str:
    """`**When to leave:** at once` is read as the list item it stands for."""
    if len(line) > MAX_MARKER_CHARS or list_item(line) is not None:
        return line
    bold = leading_bold(line)
    return f"- {line.strip()}" if bold is not None and bold[1].strip() else line


def _flush_list(loose: list[str], steps: list[EvacuationStep], overview: list[str]) -> None:
    for item in list_items(loose, leftover=overview):
        title, advice = _title_and_advice(item)
        topic = topic_of(title) if title else EvacuationTopic.OTHER
        steps.append(EvacuationStep(topic=topic.value, title=title, advice=advice))
    loose.clear()


def _flush_subsection(
    subsection: tuple[str, list[str]] | None, steps: list[EvacuationStep]
) -> None:
    if subsection is not None:
        title, body = subsection
        steps.append(EvacuationStep(topic_of(title).value, title, _paragraphs(body)))


def _title_and_advice(item: str) -> tuple[str, str]:
    """("When to leave", "At once.") for "**When to leave** — At once."; ("", item) untitled."""
    bold = leading_bold(item)
    if bold is not None:
        title, rest = bold
    else:
        parts = NAME_SEPARATOR.split(item, maxsplit=1)
        if len(parts) == 1:
            return "", item
        title, rest = parts
    title = EMPHASIS.sub("", title).strip().rstrip(":").strip()
    return title, rest.lstrip("\u2013\u2014-:.,; ").strip()
