"""What one markdown line is (a heading, a bold line, a list item), in linear time.

The plan is model output, and user notes can steer the model, so each of these
reads its line with plain string operations: no regular expression that could
backtrack over a long run of spaces, '#', '*' or digits (one such line froze the
server for 14.7 s). A line longer than `MAX_MARKER_CHARS` is never a heading or a
bold marker: it is body text.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_MARKER_CHARS = 1_000
MAX_HEADING_LEVEL = 6
_MAX_HEADING_INDENT = 3  # CommonMark: four spaces make a code block instead
_BOLD_MARKS = ("**", "__")
_BULLETS = frozenset("-*+•")


@dataclass(frozen=True)
class Heading:
    level: int  # 1 to 6, the number of '#'
    title: str  # whitespace collapsed, closing '#'s removed


def collapse_spaces(text: str) -> str:
    """Runs of whitespace as one space, none at the ends."""
    return " ".join(text.split())


def atx_heading(line: str) -> Heading | None:
    """`## Title ##` -> Heading(2, "Title"); None unless the line is an ATX heading."""
    if len(line) > MAX_MARKER_CHARS:
        return None
    text = line.lstrip(" ")
    if len(line) - len(text) > _MAX_HEADING_INDENT:
        return None
    level = len(text) - len(text.lstrip("#"))
    rest = text[level:]
    if not 1 <= level <= MAX_HEADING_LEVEL or not rest or not rest[0].isspace():
        return None
    title = rest.strip()
    unclosed = title.rstrip("#")
    if unclosed != title and (not unclosed or unclosed[-1].isspace()):
        title = unclosed  # "## Title ##": the closing sequence is not part of the title
    return Heading(level, collapse_spaces(title))


def bold_line(line: str) -> str | None:
    """The text of a line that is all bold (`**Title**`, `__Title:__`, `**Title**:`)."""
    if len(line) > MAX_MARKER_CHARS:
        return None
    text = line.strip()
    if text.endswith(":"):
        text = text[:-1].rstrip()
    for mark in _BOLD_MARKS:
        if len(text) > 2 * len(mark) and text.startswith(mark) and text.endswith(mark):
            return text[len(mark) : -len(mark)]
    return None


def list_item(line: str) -> str | None:
    """The text after the marker of `- text`, `* text`, `3. text` or `3) text`."""
    text = line.strip()
    end = _marker_end(text)
    if end == 0 or end >= len(text) or not text[end].isspace():
        return None
    return text[end:].strip() or None


def without_list_marker(line: str) -> str:
    """The line without its list marker, if it has one (`- **Day 1**` -> `**Day 1**`)."""
    item = list_item(line)
    return line if item is None else item


def _marker_end(text: str) -> int:
    """Length of the list marker `text` starts with; 0 when it starts with none."""
    if text[:1] in _BULLETS:
        return 1
    digits = len(text) - len(text.lstrip("0123456789"))
    if digits and text[digits : digits + 1] in (".", ")"):
        return digits + 1
    return 0


def is_thematic_break(line: str) -> bool:
    """`---`, `***`, `___` or `- - -`: a rule between blocks, not text."""
    text = line.strip()
    if len(text) < 3 or text[0] not in "-*_":
        return False  # most lines: decided without copying them again
    text = text.replace(" ", "").replace("\t", "")
    return len(text) >= 3 and text == text[0] * len(text)
