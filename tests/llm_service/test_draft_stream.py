"""The plan's text while the model writes it: throttled `workflow.progress` webhooks.

Against the fake OpenAI-compatible server streaming slowly, the service sends draft
events at most every LLM_DRAFT_INTERVAL_MS, their percentages move forward inside the
generation step's range, and their deltas join into the plan the job completes with.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from domain.draft import MAX_DELTA_CHARS
from llm_service.draft_stream import DraftStream, step_fraction
from llm_service.providers import OfflinePlanner, OpenAICompatibleProvider
from llm_service.settings import LLMServiceSettings
from tests.llm_service.conftest import (
    STEP_EVENTS,
    draft_text,
    is_draft_event,
    step_events,
)
from tests.support.fake_openai import MODEL, Reply, running_fake_openai
from tests.support.workflow_steps import GENERATE_MISSION_PLAN

# A plan the model writes in 40 small deltas, 30 ms apart: some 1.2 s of streaming.
PLAN_PARTS = (
    "# Mission Plan: Miami, FL\n\n",
    "## Executive Summary\n",
    *(f"Step {n}: store water, charge the radio, check on the neighbours. " for n in range(36)),
    "\n\n## Next Steps\n",
    "1. Buy water.\n",
)
# mission_generation's weights put the generation step between these percentages.
GENERATION_RANGE = (20.0, 90.0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """The sends a DraftStream makes: (delta, draft_length, fraction, time)."""

    def __init__(self, clock: FakeClock, accept: int = 1000) -> None:
        self.clock, self.accept = clock, accept
        self.sent: list[tuple[str, int, float, float]] = []

    async def __call__(
        self, delta: str, draft_length: int, fraction: float, live: dict[str, Any] | None
    ) -> bool:
        self.sent.append((delta, draft_length, fraction, self.clock.now))
        return len(self.sent) < self.accept


async def test_text_is_sent_at_most_once_per_interval_and_the_rest_at_the_end() -> None:
    clock = FakeClock()
    recorder = Recorder(clock)
    stream = DraftStream(recorder, interval_seconds=0.25, expected_chars=100, clock=clock)
    for _ in range(20):
        clock.now += 0.1
        await stream.append("abcde")
    await stream.finish()

    times = [sent[3] for sent in recorder.sent]
    assert all(later - earlier >= 0.25 for earlier, later in itertools.pairwise(times[:-1]))
    assert "".join(sent[0] for sent in recorder.sent) == "abcde" * 20
    assert [sent[1] for sent in recorder.sent] == sorted(sent[1] for sent in recorder.sent)
    assert recorder.sent[-1][1] == 100


async def test_a_stream_faster_than_the_interval_sends_its_text_once_at_the_end() -> None:
    clock = FakeClock()
    recorder = Recorder(clock)
    stream = DraftStream(recorder, interval_seconds=0.25, expected_chars=6000, clock=clock)
    for _ in range(40):
        await stream.append("x" * 120)
    assert recorder.sent == []
    await stream.finish()
    assert [len(sent[0]) for sent in recorder.sent] == [MAX_DELTA_CHARS, MAX_DELTA_CHARS, 800]
    assert [sent[1] for sent in recorder.sent] == [2000, 4000, 4800]


async def test_once_the_job_is_not_this_runners_nothing_more_is_sent() -> None:
    clock = FakeClock()
    recorder = Recorder(clock, accept=1)  # the first send finds the job cancelled
    stream = DraftStream(recorder, interval_seconds=0.0, expected_chars=100, clock=clock)
    await stream.append("x" * 5000)
    await stream.append("more")
    await stream.finish()
    assert len(recorder.sent) == 1


@pytest.mark.parametrize("expected", [100, 6000])
def test_the_fraction_grows_smoothly_and_never_reaches_the_steps_end(expected: int) -> None:
    fractions = [step_fraction(chars, expected) for chars in range(0, expected * 5, 7)]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0 and max(fractions) <= 0.99
    steps = [later - earlier for earlier, later in itertools.pairwise(fractions)]
    assert max(steps) <= 7 / expected + 1e-9  # no jump, at the knee either


def _time(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["occurred_at"]).timestamp()


async def test_a_slow_model_streams_its_plan_in_throttled_progress_webhooks(
    start_service: Callable[..., Any],
) -> None:
    reply = Reply(parts=PLAN_PARTS, interval=0.03)
    async with running_fake_openai(default=reply) as fake:
        settings = LLMServiceSettings(
            llm_api_base_url=fake.base_url, llm_api_key="sk-test", llm_model=MODEL
        )
        provider = OpenAICompatibleProvider.from_settings(settings)
        try:
            async with start_service(provider=provider, expected_plan_chars=2000) as service:
                job_id = await service.submit()
                events = await service.wait_for_event(job_id, "workflow.completed")
        finally:
            await provider.aclose()

    drafts = [event for event in events if is_draft_event(event)]
    assert len(step_events(events)) == STEP_EVENTS
    assert len(drafts) >= 3, "a 1.2 s stream goes out in several pieces"
    # At most one per 250 ms while the model writes; the last carries the rest at its end.
    times = [_time(event) for event in drafts]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times[:-1])]
    assert all(gap >= 0.25 for gap in gaps), gaps
    # Inside the generation step, between its own start and end events, moving forward.
    started = next(
        i
        for i, e in enumerate(events)
        if e["type"] == "workflow.step_started" and e["data"]["step_id"] == GENERATE_MISSION_PLAN
    )
    assert all(events[started + 1 + i] is draft for i, draft in enumerate(drafts))
    percentages = [draft["data"]["progress"] for draft in drafts]
    assert percentages == sorted(percentages)
    low, high = GENERATION_RANGE
    assert all(low <= value < high for value in percentages), percentages
    assert all(d["data"]["step_id"] == GENERATE_MISSION_PLAN for d in drafts)
    # The deltas, joined, are the plan; each says the draft's length after it.
    plan = events[-1]["data"]["output"]["mission_plan"]
    assert draft_text(events) == plan == "".join(PLAN_PARTS)
    lengths = [draft["data"]["draft_length"] for draft in drafts]
    assert lengths[-1] == len(plan)
    assert lengths == [len(draft_text(drafts[: i + 1])) for i in range(len(drafts))]


async def test_the_offline_planner_streams_its_plan_in_paced_chunks(
    start_service: Callable[..., Any],
) -> None:
    provider = OfflinePlanner(chunk_delay_seconds=0.02)
    async with start_service(provider=provider) as service:
        job_id = await service.submit()
        events = await service.wait_for_event(job_id, "workflow.completed")

    drafts = [event for event in events if is_draft_event(event)]
    assert len(drafts) >= 2
    assert draft_text(events) == events[-1]["data"]["output"]["mission_plan"]
