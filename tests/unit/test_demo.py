"""The terminal demo against a fake API: the streamed draft, and output the plan cannot steer.

The real API is in tests/e2e/test_demo.py; this fake plays one that already streams
`MissionProgressEvent.draftDelta`, and one whose text carries terminal escapes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from rich.console import Console

from domain.wizard import Scenario
from infra.demo import DemoStopped, family_wizard, run_demo
from infra.demo_view import MAX_PENDING_DRAFT_CHARS, DraftLines

PLAN = "# Mission Plan: Miami, FL\n\n## Executive Summary\n\nStore water.\n"


def progress(step: str, index: int, percentage: float, draft: str | None = None) -> dict:
    event = {
        "__typename": "MissionProgressEvent",
        "progress": {
            "stepId": step.lower(),
            "stepName": step,
            "stepIndex": index,
            "stepCount": 2,
            "percentage": percentage,
        },
    }
    if draft is not None:
        event["draftDelta"] = draft
    return {"missionEvents": event}


COMPLETED = {"missionEvents": {"__typename": "MissionCompletedEvent"}}


class FakeApi:
    """Answers the demo's operations by name; records the subscription it was asked for."""

    def __init__(self, events: list[dict], *, fields: list[str], content: str = PLAN) -> None:
        self.events = events
        self.fields = fields
        self.content = content
        self.subscriptions: list[str] = []

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict:
        if "DemoViewer" in query:
            return {"viewer": {"id": "u"}}
        if "DemoFields" in query:
            return {"__type": {"fields": [{"name": name} for name in self.fields]}}
        if "DemoSubmit" in query:
            return {
                "submitMissionPlan": {
                    "__typename": "SubmitMissionPlanSuccess",
                    "report": {"id": "r1"},
                }
            }
        if "DemoReport" in query:
            usage = {
                "model": "m",
                "inputTokens": 1200,
                "outputTokens": 34,
                "totalTokens": 1234,
                "durationMs": 2500,
                "costUsd": 0.0123,
            }
            return {"missionReport": {"plan": {"content": self.content}, "usage": usage}}
        raise AssertionError(f"unexpected operation {query}")

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None
    ) -> AsyncIterator[dict]:
        self.subscriptions.append(query)
        for event in self.events:
            yield event


def console() -> Console:
    return Console(record=True, force_terminal=False, width=80, markup=False, highlight=False)


WIZARD = family_wizard("Miami", "FL", [Scenario.HURRICANE])


async def test_the_draft_prints_line_by_line_as_it_streams() -> None:
    events = [
        progress("Generating", 0, 10.0),
        progress("Generating", 0, 30.0, "# Mission Plan: Mi"),
        progress("Generating", 0, 50.0, "ami, FL\n\n## Exec"),
        progress("Generating", 0, 70.0, "utive Summary\n\nStore"),
        progress("Parsing", 1, 90.0, " water."),
        COMPLETED,
    ]
    api = FakeApi(events, fields=["progress", "draftDelta"])
    out = console()
    assert await run_demo(api, WIZARD, out) == 0
    text = out.export_text()
    assert "draftDelta" in api.subscriptions[0]
    # The raw markdown lines, whole, in order, before the bar's final state...
    lines = text.splitlines()
    draft = [lines.index("# Mission Plan: Miami, FL"), lines.index("## Executive Summary")]
    assert draft == sorted(draft)
    # ...the last partial line once the plan is complete, then the rendered plan.
    assert lines.index("Store water.") < next(i for i, x in enumerate(lines) if "100%" in x)
    assert "Usage: model m, 1,200 input + 34 output = 1,234 tokens, cost $0.0123, 2.5 s" in text


async def test_without_draft_delta_in_the_schema_it_is_not_asked_for() -> None:
    api = FakeApi([progress("Generating", 0, 10.0), COMPLETED], fields=["progress"])
    out = console()
    assert await run_demo(api, WIZARD, out) == 0
    assert "draftDelta" not in api.subscriptions[0]
    assert "Step 1/2: Generating" in out.export_text()


async def test_terminal_escapes_in_the_plan_never_reach_the_terminal() -> None:
    hostile = "\x1b]0;owned\x07# Plan \x1b[2J\x9b31m\n\nText \x1b[31mred\n"
    events = [progress("Generating\x1b[5m", 0, 10.0, hostile), COMPLETED]
    out = console()
    assert await run_demo(FakeApi(events, fields=["draftDelta"], content=hostile), WIZARD, out) == 0
    text = out.export_text(styles=True)
    assert "\x1b]" not in text and "\x1b[2J" not in text and "\x9b" not in text
    assert "\x1b[5m" not in text and "\x1b[31mred" not in text
    assert "Text [31mred" in text  # shown, harmless, rather than dropped


async def test_a_failed_event_stops_with_its_message() -> None:
    failed = {
        "missionEvents": {
            "__typename": "MissionFailedEvent",
            "error": {"code": "LLM_UNAVAILABLE", "message": "The planner is unavailable."},
        }
    }
    with pytest.raises(DemoStopped) as stopped:
        await run_demo(FakeApi([failed], fields=[]), WIZARD, console())
    assert (stopped.value.code, stopped.value.lines) == (
        1,
        ("The plan failed: The planner is unavailable.",),
    )


def test_a_draft_line_without_end_is_printed_in_pieces_not_held() -> None:
    lines = DraftLines()
    assert lines.feed("a\nb") == ["a"]
    assert lines.feed("x" * MAX_PENDING_DRAFT_CHARS) == ["b" + "x" * MAX_PENDING_DRAFT_CHARS]
    assert lines.feed("tail") == []
    assert lines.flush() == ["tail"]
    assert lines.flush() == []
