"""The plan parser on hostile text: linear, bounded, and it never raises anything else.

Before: one heading line of 20,000 spaces took 5.8 s to parse (a backtracking
regex, on the event loop), and froze the API's /healthz for 6.7 s.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.plan import MAX_PLAN_CHARS, PlanParseError, PlanTooLarge, parse_plan_markdown
from domain.plan_sections import MAX_EXCERPT_CHARS, MAX_UNPARSED_HEADING_CHARS, MAX_UNPARSED_PARTS
from domain.plan_text import read_plan
from tests.support.adversarial_plans import (
    LINE_OPENERS,
    RUN_CHARACTERS,
    adversarial_plans,
    plan_with_lines,
)
from tests.support.cpu_budget import benign_read_seconds, budget, thread_cpu_seconds
from tests.support.job_events import PLAN

runs = st.tuples(st.sampled_from(RUN_CHARACTERS), st.integers(1, 3_000))
adversarial_lines = st.builds(
    lambda opener, parts: opener + "".join(char * count for char, count in parts),
    st.sampled_from(LINE_OPENERS),
    st.lists(runs, min_size=1, max_size=6),
)


@settings(
    max_examples=150,
    # Hypothesis's deadline is wall-clock time, which a loaded machine stretches: each
    # example checks its CPU time against the benign baseline instead.
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(adversarial_lines, min_size=1, max_size=4))
def test_any_line_in_any_section_is_read_quickly_into_a_plan_or_a_parse_error(
    lines: list[str],
) -> None:
    plan = plan_with_lines(lines)
    reading = read_plan(plan)  # made safe, then parsed
    spent = thread_cpu_seconds(lambda: read_plan(plan), repeats=1)
    assert spent < budget(benign_read_seconds(), len(plan)), f"{spent:.3f} s of CPU"
    # A line can end the summary's section before its text: then it is not a plan.
    assert (reading.plan is None) != (reading.failure is None)
    if reading.plan is not None:
        sections = reading.plan.sections
        assert sections.executive_summary
        # What could not be read is reported, within its bounds whatever the text.
        assert len(sections.unparsed) <= MAX_UNPARSED_PARTS
        for part in sections.unparsed:
            assert len(part.excerpt) <= MAX_EXCERPT_CHARS
            assert len(part.section) <= MAX_UNPARSED_HEADING_CHARS
            assert "\n" not in part.excerpt


def test_every_adversarial_plan_at_the_cap_costs_a_linear_parse() -> None:
    allowed = budget(benign_read_seconds())
    for description, plan in adversarial_plans(MAX_PLAN_CHARS):
        assert len(plan) <= MAX_PLAN_CHARS
        spent = thread_cpu_seconds(lambda: read_plan(plan), repeats=1)  # noqa: B023
        assert spent < allowed, f"{description}: {spent:.3f} s of CPU, allowed {allowed:.3f}"


@pytest.mark.parametrize(
    "unit",
    [
        "#\n",
        "## a\n",
        "**When to leave:** x\n",
        "- **a** (priority: high) — b\n",
        "### Flood — HIGH\n",
        "**Day 1:** x\n",
        "[x](",
        "\n",
    ],
)
def test_a_plan_of_many_short_hostile_lines_at_the_cap_costs_a_linear_parse(
    unit: str,
) -> None:
    plan = PLAN + unit * ((MAX_PLAN_CHARS - len(PLAN)) // len(unit))
    spent = thread_cpu_seconds(lambda: read_plan(plan))
    allowed = budget(benign_read_seconds())
    assert spent < allowed, f"{spent:.3f} s of CPU, allowed {allowed:.3f}"


def fastest_of_five(parse: Callable[[str], object], text: str) -> float:
    return thread_cpu_seconds(lambda: parse(text), repeats=5)


def safe_parse(text: str) -> object:
    try:
        return parse_plan_markdown(text)
    except PlanParseError:
        return None


@pytest.mark.parametrize(
    ("opener", "char"),
    # Each of these made the old parser quadratic: ratios of 10 to 18 here.
    [("### Flood", " "), ("- a", " "), ("### ", "a "), ("## a", " ")],
)
def test_parse_time_grows_linearly_with_the_line(opener: str, char: str) -> None:
    # Four times the text costs about four times the time (the quadratic parser: 16).
    short, long = (plan_with_lines([opener + char * n + "x"]) for n in (8_000, 32_000))
    ratio = fastest_of_five(safe_parse, long) / fastest_of_five(safe_parse, short)
    assert ratio < 8, f"4x the input took {ratio:.1f}x the time"


def test_a_plan_over_the_cap_is_refused_unread() -> None:
    oversized = PLAN + " " * (MAX_PLAN_CHARS - len(PLAN) + 1)
    with pytest.raises(PlanTooLarge) as refused:
        parse_plan_markdown(oversized)
    assert refused.value.length == MAX_PLAN_CHARS + 1
    reading = read_plan(oversized)
    assert reading.plan is None and isinstance(reading.failure, PlanTooLarge)
    assert parse_plan_markdown(oversized[:MAX_PLAN_CHARS]).executive_summary  # the cap itself
