"""The plan's list sections read item by item: bundles, skills, next steps, evacuation.

Each regular expression here runs on one item whose whitespace `list_items` has
collapsed, so it has no run of spaces to backtrack over (domain.plan's guarantee).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.markdown_lines import collapse_spaces, list_item
from domain.plan_sections import (
    DEFAULT_SKILL_PRIORITY,
    SKILL_PRIORITIES,
    BundleRecommendation,
    Skill,
)

EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_]|[*_](?!\w)|`")
NAME_SEPARATOR = re.compile(r"\s+[-\u2013\u2014]\s+|\s*[\u2013\u2014]\s*|:\s+")
_BUNDLE_REF = re.compile(r"[\[(`]\s*bundle\s*[:=]\s*([A-Za-z0-9][\w.-]*)\s*[\])`]", re.IGNORECASE)
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


def paragraphs(lines: Iterable[str]) -> str:
    """The text with trailing spaces and runs of blank lines squeezed out."""
    text = "\n".join(line.rstrip() for line in lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def table_rows_as_items(lines: Iterable[str]) -> list[str]:
    """The lines with each row of a markdown table as a list item; header rows dropped.

    `| **Go-Bag** [bundle:go-bag-72h] | grab and go |` becomes
    `- **Go-Bag** [bundle:go-bag-72h] — grab and go`, and a cell that is only a
    priority word (`| High |`) becomes `(priority: High)` after the first cell.
    """
    out: list[str] = []
    last_row = -1  # index in `out` of the previous line if it was a table row
    for line in lines:
        text = line.strip() if "|" in line else ""
        if not text.startswith("|"):
            out.append(line)
            last_row = -1
            continue
        cells = [cell.strip() for cell in text.strip("|").split("|")]
        if all(cell and not cell.strip("-: ") for cell in cells):
            if last_row == len(out) - 1 and last_row >= 0:
                out.pop()  # the row above the |---| line is the header
            last_row = -1
            continue
        out.append(_row_item([cell for cell in cells if cell]))
        last_row = len(out) - 1
    return out


def _row_item(cells: list[str]) -> str:
    if not cells:
        return ""
    rest = cells[1:]
    priorities = [f"(priority: {c})" for c in rest if c.lower() in _PRIORITY_WORDS]
    others = [c for c in rest if c.lower() not in _PRIORITY_WORDS]
    head = " ".join([cells[0], *priorities])
    return f"- {head} — {' — '.join(others)}" if others else f"- {head}"


def list_items(lines: Iterable[str], leftover: list[str] | None = None) -> list[str]:
    """Text of each top-level list item, its wrapped and nested lines joined to it.

    Whitespace inside an item is collapsed, so the regular expressions that read
    items later see no run of spaces to backtrack over. Lines that belong to no
    item are appended to `leftover` when it is given.
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
            if leftover is not None:
                leftover.append(line)
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
            if leftover is not None:
                leftover.append(line)
        after_blank = False
    return [collapse_spaces(" ".join(parts)) for parts in items]


def parse_bundle(item: str) -> BundleRecommendation:
    ref = _BUNDLE_REF.search(item)
    text = item if ref is None else f"{item[: ref.start()]} {item[ref.end() :]}"
    name, reason = name_and_reason(text)
    bundle_id = "" if ref is None else ref.group(1).lower()
    return BundleRecommendation(bundle_id=bundle_id, name=name, reason=reason)


def parse_skill(item: str) -> Skill:
    for found in _PRIORITY.finditer(item):
        # "First aid (CPR) (priority: high)": only a priority word makes a priority.
        priority = _PRIORITY_WORDS.get((found.group(1) or found.group(2)).lower())
        if priority is not None:
            name, reason = name_and_reason(f"{item[: found.start()]} {item[found.end() :]}")
            return Skill(name=name, priority=priority, reason=reason)
    name, reason = name_and_reason(item)
    return Skill(name=name, priority=DEFAULT_SKILL_PRIORITY, reason=reason)


def name_and_reason(text: str) -> tuple[str, str]:
    """Split "**Name** — why" (or "Name: why") into ("Name", "why")."""
    bold = leading_bold(text)
    if bold is not None:
        name, rest = bold
    else:
        parts = NAME_SEPARATOR.split(text.strip(), maxsplit=1)
        name, rest = parts[0], parts[1] if len(parts) > 1 else ""
    name = EMPHASIS.sub("", name).strip().rstrip(":").strip()
    reason = " ".join(rest.split()).lstrip("\u2013\u2014-:.,; ").strip()
    return name, reason


def leading_bold(text: str) -> tuple[str, str] | None:
    """("Name", " — why") for "**Name** — why"; None unless the text opens in bold."""
    text = text.lstrip()
    for mark in ("**", "__"):
        if text.startswith(mark):
            close = text.find(mark, len(mark) + 1)  # the bold text is not empty
            if close != -1:
                return text[len(mark) : close], text[close + len(mark) :]
    return None
