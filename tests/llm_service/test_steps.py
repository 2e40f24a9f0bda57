"""The prompt-building steps and the reading of the model's text."""

from __future__ import annotations

import time
from typing import Any

import pytest

from domain.plan import MAX_PLAN_CHARS
from domain.plan_text import read_plan
from llm_service.errors import WorkflowError
from llm_service.steps import (
    build_step_registry,
    parse_plan_sections,
    strip_code_fence,
)
from tests.llm_service.conftest import CATALOG, wizard
from tests.llm_service.fakes import FixedTextProvider


def test_code_fences_around_the_plan_are_removed() -> None:
    assert strip_code_fence("```markdown\n## Executive Summary\nHi\n```") == (
        "## Executive Summary\nHi\n"
    )
    assert strip_code_fence("## Executive Summary\nHi") == "## Executive Summary\nHi\n"


async def test_steps_build_prompts_from_wizard_and_catalog() -> None:
    registry = build_step_registry(FixedTextProvider("## Executive Summary\nOk"))
    context: dict[str, Any] = {
        "input_data": {"wizard": wizard(notes="Second floor"), "bundles": CATALOG}
    }
    for step_id in list(registry):
        await registry[step_id](context)

    assert len(context["bundle_lines"]) == len(CATALOG)
    assert "[bundle:go-bag-72h] 72-Hour Family Go-Bag" in context["bundle_catalog"]
    assert (
        context["scenario_list"]
        == "- Hurricane (HURRICANE)\n- Power Grid Failure (POWER_GRID_FAILURE)"
    )
    user = context["user_message"]
    assert "Location: Miami, FL, US" in user and "Luis, age 2" in user and "Second floor" in user
    assert "## Recommended Bundles" in context["system_prompt"]
    assert context["output"]["parsed_sections"]["executive_summary"] == "Ok"
    assert context["output"]["llm_usage"]["model"] == "fixed"


# --- hostile model output: linear, bounded, off the event loop ------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "```\n" + "\n" * 50_000 + "x",  # the old fence regex: 40 s for 5,000 newlines
        "## " + " " * 100_000 + "x",  # the old heading regex: quadratic in the spaces
        "## Executive Summary\n" + "##" * 90_000,
        "```" + "a" * 100_000 + "\n" + " \n" * 40_000 + "```",
    ],
)
def test_hostile_model_output_is_read_in_linear_time(hostile: str) -> None:
    assert len(hostile) <= MAX_PLAN_CHARS
    started = time.perf_counter()
    read_plan(strip_code_fence(hostile))
    assert time.perf_counter() - started < 1.0


async def test_a_plan_over_the_cap_fails_the_job_with_a_retryable_error() -> None:
    context: dict[str, Any] = {
        "mission_plan": "## Executive Summary\nOk\n" + "x" * MAX_PLAN_CHARS,
        "llm_usage": {},
    }
    with pytest.raises(WorkflowError) as failed:
        await parse_plan_sections(context)
    assert (failed.value.code, failed.value.retryable) == ("plan_too_large", True)
    assert "output" not in context


async def test_the_job_s_parsed_sections_carry_the_evacuation_and_what_was_not_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plan = (
        "## Executive Summary\nOk\n## Evacuation Plan\n- **Routes** — north.\n"
        "## Family Secrets\nThe spare key is under the mat.\n"
    )
    context: dict[str, Any] = {"mission_plan": plan, "llm_usage": {}}
    with caplog.at_level("INFO", logger="llm_service.steps"):
        await parse_plan_sections(context)
    sections = context["output"]["parsed_sections"]
    assert sections["evacuation"]["steps"] == [
        {"topic": "routes", "title": "Routes", "advice": "north."}
    ]
    assert sections["unparsed"] == [
        {
            "section": "Family Secrets",
            "reason": "unknown_section",
            "excerpt": "The spare key is under the mat.",
        }
    ]
    # The operators see that the model drifted, not the family's text.
    assert "unknown_section" in caplog.text and "spare key" not in caplog.text
