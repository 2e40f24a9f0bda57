"""What the parser could not read into a plan's sections, bounded whatever the plan holds.

A real model varies its markdown; what the parser does not understand is
reported (its section, why, and how it starts) rather than lost without a trace,
so a reader knows to look in the whole plan, and an operator sees the format drift.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.markdown_lines import collapse_spaces
from domain.plan_lists import EMPHASIS
from domain.plan_sections import (
    MAX_EXCERPT_CHARS,
    MAX_UNPARSED_HEADING_CHARS,
    MAX_UNPARSED_PARTS,
    UnparsedPart,
    UnparsedReason,
)

_ELLIPSIS = "\u2026"


class UnparsedLog:
    """Collects at most MAX_UNPARSED_PARTS parts; later ones are dropped."""

    def __init__(self) -> None:
        self.parts: list[UnparsedPart] = []

    def add(self, section: str, reason: UnparsedReason, lines: Iterable[str]) -> None:
        if len(self.parts) < MAX_UNPARSED_PARTS:
            heading = clip(plain_text([section]).rstrip(":").rstrip(), MAX_UNPARSED_HEADING_CHARS)
            excerpt = clip(plain_text(lines), MAX_EXCERPT_CHARS)
            self.parts.append(UnparsedPart(heading, reason.value, excerpt))


def plain_text(lines: Iterable[str]) -> str:
    """The start of the lines as one line without emphasis marks: a bounded amount read."""
    budget = 2 * MAX_EXCERPT_CHARS  # enough for an excerpt once whitespace is collapsed
    taken: list[str] = []
    for line in lines:
        piece = line[:budget].strip()
        if piece:
            taken.append(piece)
            budget -= len(piece)
        if budget <= 0:
            break
    return collapse_spaces(EMPHASIS.sub("", " ".join(taken)))


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word when there is one, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + _ELLIPSIS
