"""A generated plan at the boundary where it is stored: bounded, made safe, parsed.

The markdown is model output shown to web clients that render it, so before it
is stored it loses raw HTML (tags, comments, `<` that could open one) and every
link or image whose destination is not http(s), mailto or relative, such as a
`javascript:`, `vbscript:`, `data:` or `file:` URL (the link keeps its text).
Every step is linear in the text's length, and `read_plan_off_loop` runs the
whole reading in a worker thread, so even a plan at the cap never holds the loop.
"""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass

from domain.jobs import JobUpdate
from domain.plan import MAX_PLAN_CHARS, PlanTooLarge, parse_plan_markdown
from domain.report import Plan

# Each pattern is linear: `[^<>]*` and `[^\[\]\n]*` stop at the next bracket, so
# the scans started at successive brackets never overlap.
_TAG = re.compile(r"<[A-Za-z/!?][^<>]*>")
# From the first "<" of a run only: tried at each "<" of "<<<<...", it was quadratic.
_TAG_OPENER = re.compile(r"(?<!<)<+(?=[A-Za-z/!?])")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}):[^\s<>]*>")
_INLINE_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\(")
_PAREN_DEPTH = {"(": 1, ")": -1}
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# Browsers drop ASCII blanks and controls anywhere in a URL's scheme ("java\tscript:").
_IGNORED_IN_URLS = {code: None for code in range(0x21)} | {0x7F: None}


@dataclass(frozen=True)
class PlanReading:
    """What reading one plan gave: the plan to store, or why there is none."""

    source: str  # the markdown as received: a reading is only used for that text
    plan: Plan | None
    # PlanParseError when the text is not a plan; anything else is a fault of the parser.
    failure: Exception | None


def safe_markdown(markdown: str) -> str:
    """The markdown without raw HTML, and without links other than http(s), mailto or
    relative ones: a link to `javascript:`, `data:`, `vbscript:`... keeps only its text."""
    return _without_unsafe_links(_without_unsafe_definitions(_without_html(markdown)))


def read_plan(markdown: str) -> PlanReading:
    """Check the size, make the text safe, parse it; a failure is returned, not raised."""
    try:
        if len(markdown) > MAX_PLAN_CHARS:
            raise PlanTooLarge(len(markdown))  # refused before any other work
        content = safe_markdown(markdown)
        return PlanReading(markdown, Plan(content, parse_plan_markdown(content)), None)
    except Exception as failure:  # model output: any way it breaks the parser is its fault
        return PlanReading(markdown, None, failure)


async def read_plan_off_loop(update: JobUpdate) -> PlanReading | None:
    """The reading of a completed update's plan, done in a worker thread; else None.

    A thread, not the loop: a plan at the cap takes tens of milliseconds to read,
    and the interpreter hands the loop the GIL every few milliseconds meanwhile.
    """
    if update.output is None:
        return None
    return await asyncio.to_thread(read_plan, update.output.mission_plan)


def _without_html(text: str) -> str:
    text = _TAG.sub("", _AUTOLINK.sub(_kept_autolink, text))
    # A "<" left that could still open a tag ("<<b>b>" became "<b>"; "<img" unclosed).
    return _TAG_OPENER.sub("", text)


def _kept_autolink(found: re.Match[str]) -> str:
    # <https://example.org> is a link, not HTML: keep its address as plain text.
    return found.group()[1:-1] if found.group(1).lower() in _SAFE_SCHEMES else ""


def _without_unsafe_links(text: str) -> str:
    """`[text](javascript:...)` and `![alt](data:...)` become `text` and `alt`."""
    kept: list[str] = []
    done = 0  # text[:done] is decided; a "[x](" inside a destination is part of the URL
    for link in _INLINE_LINK.finditer(text):
        if link.start() < done:
            continue
        end = _destination_end(text, link.end())
        if _is_unsafe_url(text[link.end() : end - 1]):
            kept += [text[done : link.start()], link.group(1)]
        else:
            kept.append(text[done:end])
        done = end
    kept.append(text[done:])
    return "".join(kept)


def _destination_end(text: str, start: int) -> int:
    """Index after the `)` closing a link destination that starts at `start`."""
    line_end = text.find("\n", start)
    line_end = len(text) if line_end == -1 else line_end
    depth = 1
    for index in range(start, line_end):
        depth += _PAREN_DEPTH.get(text[index], 0)
        if depth == 0:
            return index + 1
    return line_end


def _without_unsafe_definitions(text: str) -> str:
    """Without reference definitions (`[id]: javascript:...`) of unsafe URLs."""
    lines = text.split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        destination = _definition_destination(line)
        if destination == "" and index + 1 < len(lines):
            destination = lines[index + 1]  # the destination may start the next line
        if destination is None or not _is_unsafe_url(destination):
            kept.append(line)
    return "\n".join(kept)


def _definition_destination(line: str) -> str | None:
    text = line.lstrip()
    if not text.startswith("["):
        return None
    close = text.find("]:")
    return None if close == -1 else text[close + 2 :].strip()


def _is_unsafe_url(destination: str) -> bool:
    """True unless the URL is relative or of a safe scheme, as a browser would read it.

    Decides on the decoded, blank-free text: markdown decodes entities in link
    destinations ("javascript&#58;") and browsers ignore blanks in the scheme.
    """
    url = html.unescape(destination).translate(_IGNORED_IN_URLS).lstrip("<").lower()
    colon = url.find(":")
    if colon == -1 or any(mark in url[:colon] for mark in "/?#"):
        return False  # relative: "#day-1", "/bundles", "bundles?id=1"
    return url[:colon] not in _SAFE_SCHEMES
