"""What a job used, per model call and summed: the `usage` of its status and webhooks.

A step that calls a model appends its entry to `context["steps_usage"]`; the job
reports the list (and its sums) on every event from then on, so a job that fails
or is cancelled after the model answered still says what it spent.

Every call that may have used tokens gets an entry, answered or not: a stream that
was cancelled, broke or stalled before the provider's usage chunk is counted by
estimate (`estimated: true`, see `estimate_tokens`), and so is the call of a run
whose worker died mid-stream: the runner checkpoints the call in flight on the job
row (`live_usage`), and whoever takes the job over adds it to the job's usage
(`with_live_usage`). Each entry's `call_id` names its call (the run and the step),
so a receiver stores each call once however many events repeat the list.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STEPS_USAGE = "steps_usage"
# The id of the current run of the job (one per start or takeover), in the step context.
RUN_ID = "run_id"

# About 4 characters per token: OpenAI's and Anthropic's rule of thumb for English text
# (markdown plans are close to it). Estimates only stand in for a count the provider
# never sent, so no tokenizer is shipped for them.
CHARS_PER_TOKEN = 4
# Chat formatting around each message (role markers, separators): a few tokens each.
TOKENS_PER_MESSAGE = 4


def estimate_tokens(chars: int) -> int:
    """The tokens of `chars` characters of text, by CHARS_PER_TOKEN, rounded up."""
    return math.ceil(max(chars, 0) / CHARS_PER_TOKEN)


def step_usage(
    step_id: str,
    *,
    model: str,
    input_tokens: int,
    output_tokens: int,
    duration_ms: int,
    cost_usd: float | None,
    call_id: str = "",
    estimated: bool = False,
) -> dict[str, Any]:
    return {
        "step_id": step_id,
        "call_id": call_id,
        "model": model,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "duration_ms": duration_ms,
        "cost_usd": cost_usd,
        "estimated": estimated,
    }


@dataclass
class ModelCall:
    """A model call in flight: what it has used so far, by estimate."""

    call_id: str
    step_id: str
    model: str
    input_tokens: int
    clock: Callable[[], float] = time.monotonic
    output_chars: int = 0
    started: float = field(default=0.0)

    @classmethod
    def start(
        cls,
        *,
        call_id: str,
        step_id: str,
        model: str,
        messages: tuple[str, ...],
        clock: Callable[[], float] = time.monotonic,
    ) -> ModelCall:
        input_tokens = sum(estimate_tokens(len(m)) + TOKENS_PER_MESSAGE for m in messages)
        return cls(call_id, step_id, model, input_tokens, clock, started=clock())

    def received(self, text: str) -> None:
        self.output_chars += len(text)

    def estimate(self) -> dict[str, Any]:
        """The call's usage by estimate; priced by the receiver's price table."""
        return step_usage(
            self.step_id,
            call_id=self.call_id,
            model=self.model,
            input_tokens=self.input_tokens,
            output_tokens=estimate_tokens(self.output_chars),
            duration_ms=round((self.clock() - self.started) * 1000),
            cost_usd=None,
            estimated=True,
        )


def job_usage(context: dict[str, Any]) -> dict[str, Any] | None:
    """The job's usage so far; None before any step used a model.

    `cost_usd` is the sum of the reported costs, None unless every step reported one
    (the API prices the others from its price table).
    """
    steps: list[dict[str, Any]] = context.get(STEPS_USAGE) or []
    if not steps:
        return None
    costs = [step["cost_usd"] for step in steps]
    input_tokens = sum(step["input_tokens"] for step in steps)
    output_tokens = sum(step["output_tokens"] for step in steps)
    return {
        "model": steps[-1]["model"],
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
        "duration_ms": sum(step["duration_ms"] for step in steps),
        "cost_usd": None if None in costs else round(sum(costs), 6),
        "estimated": any(step.get("estimated", False) for step in steps),
        STEPS_USAGE: [dict(step) for step in steps],
    }


def steps_of(usage: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The entries of a stored job usage (a copy); [] for none."""
    if not isinstance(usage, dict):
        return []
    return [dict(step) for step in usage.get(STEPS_USAGE) or [] if isinstance(step, dict)]


def with_live_usage(
    usage: dict[str, Any] | None, live: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The job's usage with the checkpointed call in flight added, unless already in it.

    Idempotent: a call already listed (same `call_id`) is not added again.
    """
    steps = steps_of(usage)
    if isinstance(live, dict) and live.get("call_id"):
        if all(step.get("call_id") != live["call_id"] for step in steps):
            steps.append(dict(live))
    return job_usage({STEPS_USAGE: steps}) if steps else usage
