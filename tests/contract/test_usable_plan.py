"""What counts as a usable plan is decided once: the LLM service's parse step and the
API's transition give the same answer for the same model text.

Each sample goes through the `parse_sections` step (what the job's result says) and
through `apply_update` with a completed update carrying that text (what the report
becomes); a plan one accepts the other accepts, with the same sections.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.jobs import JobOutput, JobUpdateType
from domain.report import MissionStatus
from domain.transitions import TransitionContext, apply_update
from llm_service.errors import WorkflowError
from llm_service.steps import parse_plan_sections, strip_code_fence
from tests.support.workflow_steps import mission_generation_definition
from tests.unit.builders import generating_report, job_update

BODY = "We stay home for two weeks.\n\n## Next Steps\n- Buy water\n- Charge radios\n"

# Headings as real models write them, level two or not.
ACCEPTED = {
    "level two": f"# Plan\n\n## Executive Summary\n{BODY}",
    "level one": f"# Executive Summary\n{BODY}",
    "level three": f"### Executive Summary\n{BODY}",
    "bold line": f"**Executive Summary**\n{BODY}",
    "bold with colon": f"**Executive Summary:**\n{BODY}",
    "numbered": f"## 1. Executive Summary\n{BODY}",
    "roman numbered": f"## I. Executive Summary\n{BODY}",
    "upper case": f"## EXECUTIVE SUMMARY\n{BODY}",
    "closing hashes": f"## Executive Summary ##\n{BODY}",
    "emphasised heading": f"## *Executive Summary*\n{BODY}",
    "short name": f"## Summary\n{BODY}",
    "fenced": f"```markdown\n## Executive Summary\n{BODY}```",
    "crlf": f"## Executive Summary\r\n{BODY}".replace("\n", "\r\n"),
    "sections a level deeper": (
        f"# Plan\n### 1. Executive Summary\n{BODY}### 2) Risks\n#### Flood — HIGH\nWet.\n"
    ),
    "evacuation and an extra section": (
        f"## Executive Summary\n{BODY}## Evacuation Plan\n- **Routes** — north.\n"
        "## Local Resources\n- Shelter on Main St\n"
    ),
}
REFUSED = {
    "no summary": "# Plan\n\n## Risk Assessment\n### Flood — HIGH\nWet.\n",
    "empty summary": "## Executive Summary\n\n## Next Steps\n- Buy water\n",
    "summary under a day": "## Day-by-Day Simulation\n### Summary\nDay one.\n",
    "plain text": "Here is your plan: stay safe.",
}


async def _llm_step(text: str) -> dict[str, Any] | str:
    """The job's parsed sections, or the code it failed with."""
    context: dict[str, Any] = {"mission_plan": strip_code_fence(text), "llm_usage": {}}
    try:
        await parse_plan_sections(context)
    except WorkflowError as failed:
        return failed.code
    sections: dict[str, Any] = context["output"]["parsed_sections"]
    return sections


def _api_transition(text: str) -> dict[str, Any] | str:
    """The stored report's sections, or its error code."""
    update = job_update(
        JobUpdateType.COMPLETED, sequence=20, output=JobOutput(strip_code_fence(text))
    )
    context = TransitionContext(
        definition=mission_generation_definition(),
        known_bundle_ids=set(),
        now=generating_report().updated_at,
        notification_id="note-1",
    )
    report = apply_update(generating_report(), update, context).report
    if report.status is MissionStatus.FAILED:
        assert report.error is not None
        return report.error.code
    assert report.plan is not None
    return report.plan.sections.to_dict()


@pytest.mark.parametrize("text", ACCEPTED.values(), ids=ACCEPTED.keys())
async def test_both_sides_accept_a_plan_with_the_same_sections(text: str) -> None:
    in_llm_service, in_api = await _llm_step(text), _api_transition(text)
    assert isinstance(in_llm_service, dict), in_llm_service
    assert in_llm_service == in_api
    assert in_llm_service["executive_summary"] == "We stay home for two weeks."
    assert in_llm_service["next_steps"] == ["Buy water", "Charge radios"]


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
async def test_both_sides_refuse_a_text_without_a_summary(text: str) -> None:
    assert await _llm_step(text) == _api_transition(text) == "unparseable_plan"
