"""Splits markdown at its `## ` headings, for tests that check what a text says where.

Only a way to look inside generated text (the offline planner's, say); what counts as
a usable plan is decided by domain.plan_text.read_plan alone.
"""

from __future__ import annotations

import re

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def sections_by_heading(markdown: str) -> dict[str, str]:
    """{heading slug: body} for each `## ` heading; the first of duplicate headings wins."""
    sections: dict[str, str] = {}
    slug: str | None = None
    body: list[str] = []
    for line in [*markdown.split("\n"), "## end"]:
        title = _level_two_title(line)
        if title is None:
            body.append(line)
            continue
        if slug:
            sections.setdefault(slug, "\n".join(body).strip())
        slug, body = _NOT_SLUG.sub("_", title.lower()).strip("_"), []
    return sections


def _level_two_title(line: str) -> str | None:
    if len(line) < 3 or not line.startswith("##") or line.startswith("###"):
        return None
    return line[2:].strip(" \t").rstrip(" \t#")
