"""Plans built to make a backtracking parser take quadratic time (for the parser tests)."""

from __future__ import annotations

from collections.abc import Iterator

from tests.support.job_events import PLAN

# Characters the markdown grammar gives meaning to, and the blank that separates them.
RUN_CHARACTERS = (
    *(" ", "\t", "#", "*", "_", "-", "|", "1", ".", ":", "—", "a"),
    *("(", ")", "[", "]", "<", ">", "&", "!"),
)
# What may open a line before the run: each makes a different parser path read it.
LINE_OPENERS = (
    "",
    "## ",
    "### Flood",
    "- ",
    "- **a**",
    "**",
    "1. ",
    "[bundle:",
    "(priority",
    "**Day 1",
    "[x](",
    "<a ",
    "## Risk Assessment\n### a",
    "**When to leave:**",
    "## Evacuation\n### a",
)
SECTION_HEADINGS = (
    "## Executive Summary",
    "## Risk Assessment",
    "## Evacuation Plan",
    "## Recommended Bundles",
    "## Survival Skills",
    "## Day-by-Day Simulation",
    "## Next Steps",
)


# The sample plan with every section the parser reads.
BASE_PLAN = PLAN.replace(
    "## Recommended Bundles",
    "## Evacuation Plan\n- **Routes** — two ways north.\n\n## Recommended Bundles",
)


def plan_with_lines(lines: list[str]) -> str:
    """The sample plan with one of `lines` at the end of each section, in turn."""
    text = BASE_PLAN
    for index, heading in enumerate(SECTION_HEADINGS[1:]):
        text = text.replace(heading, f"{lines[index % len(lines)]}\n{heading}")
    return f"{text}{lines[-1]}\n"


def adversarial_plans(total_chars: int) -> Iterator[tuple[str, str]]:
    """(description, plan) of about `total_chars`, for every opener and run character."""
    run_length = (total_chars - len(BASE_PLAN)) // len(SECTION_HEADINGS) - 40
    for opener in LINE_OPENERS:
        for char in RUN_CHARACTERS:
            line = opener + char * run_length + "x"
            yield f"{opener!r} + {char!r} * {run_length}", plan_with_lines([line])
