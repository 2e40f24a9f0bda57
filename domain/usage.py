"""What generating a plan used: tokens, time and US dollars, per step and per attempt.

Every attempt that used tokens is stored once, retried and cancelled ones
included, so a user's and the service's totals are what was really spent. Within
one attempt the LLM service may call the model more than once (its worker died and
another took the job over): each call is stored once, under the `call_id` the
service gives it. A call that ended before the provider reported its usage
(cancelled, broken, stalled, its worker dead) is reported by estimate
(`estimated`) and priced from the price table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

# Costs are shown in US dollars to a millionth: a short plan costs fractions of a cent.
COST_DECIMALS = 6


def round_cost(cost: float) -> float:
    return round(cost, COST_DECIMALS)


class PriceTable(Protocol):
    def cost_usd(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        """The price-list cost of so many tokens of `model`; None for a model not listed."""
        ...


@dataclass(frozen=True)
class StepUsage:
    """One workflow step's model call. `cost_usd` None: the provider did not say."""

    step_id: str
    model: str
    input_tokens: int
    output_tokens: int
    duration_ms: int
    cost_usd: float | None = None
    # The LLM service's id of the model call ("" from a service that gives none: one
    # call per attempt); estimated: counted from the text sent and received.
    call_id: str = ""
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def priced(self, prices: PriceTable) -> StepUsage:
        """The provider's reported cost wins; else the price table's; an unknown model costs 0."""
        cost = self.cost_usd
        if cost is None:
            cost = prices.cost_usd(self.model, self.input_tokens, self.output_tokens) or 0.0
        return replace(self, cost_usd=round_cost(cost))

    def to_dict(self) -> dict[str, Any]:
        return {
            "step_id": self.step_id,
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "duration_ms": self.duration_ms,
            "cost_usd": self.cost_usd,
            "call_id": self.call_id,
            "estimated": self.estimated,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepUsage:
        cost = data.get("cost_usd")
        return cls(
            step_id=str(data["step_id"]),
            model=str(data["model"]),
            input_tokens=int(data["input_tokens"]),
            output_tokens=int(data["output_tokens"]),
            duration_ms=int(data["duration_ms"]),
            cost_usd=None if cost is None else float(cost),
            call_id=str(data.get("call_id") or ""),
            estimated=bool(data.get("estimated", False)),
        )


@dataclass(frozen=True)
class AttemptUsage:
    """One model call of an attempt, priced: its steps' sums. Stored once per (report,
    attempt, call_id); an attempt whose job was taken over has one per call."""

    report_id: str
    attempt: int
    user_id: str
    job_id: str
    steps: tuple[StepUsage, ...]
    created_at: datetime
    call_id: str = ""

    @classmethod
    def priced(
        cls,
        steps: Sequence[StepUsage],
        prices: PriceTable,
        *,
        report_id: str,
        attempt: int,
        user_id: str,
        job_id: str,
        now: datetime,
    ) -> AttemptUsage:
        priced = tuple(step.priced(prices) for step in steps)
        call_id = steps[0].call_id if steps else ""
        return cls(report_id, attempt, user_id, job_id, priced, now, call_id)

    @property
    def estimated(self) -> bool:
        """Some of its tokens are estimated: the call ended before the provider said."""
        return any(step.estimated for step in self.steps)

    @property
    def model(self) -> str:
        """The model of the last step that used tokens (the one that wrote the plan)."""
        return self.steps[-1].model if self.steps else "unknown"

    @property
    def input_tokens(self) -> int:
        return sum(step.input_tokens for step in self.steps)

    @property
    def output_tokens(self) -> int:
        return sum(step.output_tokens for step in self.steps)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def duration_ms(self) -> int:
        return sum(step.duration_ms for step in self.steps)

    @property
    def cost_usd(self) -> float:
        return round_cost(sum(step.cost_usd or 0.0 for step in self.steps))


@dataclass(frozen=True)
class UsageTotals:
    generations: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class ModelUsage:
    model: str
    totals: UsageTotals


@dataclass(frozen=True)
class UserUsage:
    user_id: str
    totals: UsageTotals


@dataclass(frozen=True)
class UsageSummary:
    """Totals over a period; the breakdowns are filled in for administrators only."""

    totals: UsageTotals
    by_model: tuple[ModelUsage, ...] = ()
    by_user: tuple[UserUsage, ...] = ()


def has_tokens(steps: Sequence[StepUsage]) -> bool:
    """Only an attempt that used tokens is counted (an offline plan uses some too)."""
    return any(step.total_tokens > 0 for step in steps)


def by_call(steps: Sequence[StepUsage]) -> list[tuple[StepUsage, ...]]:
    """The steps grouped by model call (`call_id`), in the order the calls first appear;
    only the calls that used tokens."""
    calls: dict[str, list[StepUsage]] = {}
    for step in steps:
        calls.setdefault(step.call_id, []).append(step)
    return [tuple(group) for group in calls.values() if has_tokens(group)]


def summed(attempts: Sequence[AttemptUsage]) -> AttemptUsage | None:
    """The attempts as one (`attempt` is the latest's; the model its last step's)."""
    if not attempts:
        return None
    last = attempts[-1]
    steps = tuple(step for attempt in attempts for step in attempt.steps)
    return AttemptUsage(
        last.report_id, last.attempt, last.user_id, last.job_id, steps, last.created_at
    )


class NoPrices:
    """A price table listing no model: only provider-reported costs count."""

    def cost_usd(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        return None


class NoMeter:
    def count(self, usage: AttemptUsage) -> None:
        return None


NO_PRICES = NoPrices()
NO_METER = NoMeter()
