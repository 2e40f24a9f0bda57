"""What generations used, as GraphQL: per report attempt, per viewer, and for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypedDict

import strawberry
from strawberry import Info

from domain import usage as usage_domain
from domain.cleanup import Actor
from domain.usage_summary import own_usage, service_usage
from graph.context import Context

COST_DESCRIPTION = "US dollars, rounded to 6 decimals (the one money type of this API)."
ESTIMATED_DESCRIPTION = (
    "True when the tokens are estimated, not the provider's count: the model call ended "
    "before the provider reported its usage (cancelled, connection lost, stalled, or its "
    "worker died and another took the job over). Input tokens are estimated from the "
    "prompt, output tokens from the text received, at about 4 characters a token; the "
    "cost is then the price table's."
)


@strawberry.type(description="One step's model call.")
class StepUsage:
    step_id: str = strawberry.field(description="The workflow step (WorkflowStep.id).")
    model: str = strawberry.field(description="The model that answered.")
    input_tokens: int = strawberry.field(description="Tokens sent to the model.")
    output_tokens: int = strawberry.field(description="Tokens the model wrote.")
    total_tokens: int = strawberry.field(description="Input plus output tokens.")
    duration_ms: int = strawberry.field(description="How long the call took, in milliseconds.")
    cost_usd: float = strawberry.field(description=COST_DESCRIPTION)
    estimated: bool = strawberry.field(description=ESTIMATED_DESCRIPTION)

    @classmethod
    def from_domain(cls, value: usage_domain.StepUsage) -> StepUsage:
        return cls(
            step_id=value.step_id,
            model=value.model,
            input_tokens=value.input_tokens,
            output_tokens=value.output_tokens,
            total_tokens=value.total_tokens,
            duration_ms=value.duration_ms,
            cost_usd=value.cost_usd or 0.0,
            estimated=value.estimated,
        )


@strawberry.type(
    description="What an attempt used (MissionReport.attempts), or all attempts summed "
    "(MissionReport.usage: `attempt` is then the latest, `model` its model). An attempt "
    "whose job was taken over after its worker died has one entry per model call. The "
    "cost is the provider's reported one, else the price table's; an unlisted model "
    "costs 0."
)
class MissionUsage:
    attempt: int = strawberry.field(description="The attempt, from 1.")
    model: str = strawberry.field(description="The model used (of the last step).")
    input_tokens: int = strawberry.field(description="Tokens sent to the model.")
    output_tokens: int = strawberry.field(description="Tokens the model wrote.")
    total_tokens: int = strawberry.field(description="Input plus output tokens.")
    duration_ms: int = strawberry.field(description="Time spent in model calls, in milliseconds.")
    cost_usd: float = strawberry.field(description=COST_DESCRIPTION)
    steps: list[StepUsage] = strawberry.field(
        description="One entry per step's model call, in order."
    )
    estimated: bool = strawberry.field(
        description="True when some of its steps' tokens are estimated (StepUsage.estimated)."
    )

    @classmethod
    def from_domain(cls, value: usage_domain.AttemptUsage) -> MissionUsage:
        return cls(
            attempt=value.attempt,
            model=value.model,
            input_tokens=value.input_tokens,
            output_tokens=value.output_tokens,
            total_tokens=value.total_tokens,
            duration_ms=value.duration_ms,
            cost_usd=value.cost_usd,
            steps=[StepUsage.from_domain(step) for step in value.steps],
            estimated=value.estimated,
        )


@strawberry.type
class UsageTotals:
    generations: int = strawberry.field(
        description="Model calls that used tokens (an attempt taken over after its worker "
        "died counts each of its calls)."
    )
    input_tokens: int = strawberry.field(description="Tokens sent to the model.")
    output_tokens: int = strawberry.field(description="Tokens the model wrote.")
    total_tokens: int = strawberry.field(description="Input plus output tokens.")
    cost_usd: float = strawberry.field(description=COST_DESCRIPTION)


# GraphQL's Int is 32-bit: a total past it (billions of tokens) is shown at the ceiling
# rather than failing the whole answer; costUsd stays exact.
MAX_GRAPHQL_INT = 2**31 - 1


class _Totals(TypedDict):
    generations: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cost_usd: float


def _totals(value: usage_domain.UsageTotals) -> _Totals:
    return {
        "generations": min(value.generations, MAX_GRAPHQL_INT),
        "input_tokens": min(value.input_tokens, MAX_GRAPHQL_INT),
        "output_tokens": min(value.output_tokens, MAX_GRAPHQL_INT),
        "total_tokens": min(value.total_tokens, MAX_GRAPHQL_INT),
        "cost_usd": value.cost_usd,
    }


@strawberry.type(description="What one model used.")
class ModelUsage(UsageTotals):
    model: str = strawberry.field(description="The model's name.")


@strawberry.type(description="What one user's generations used.")
class UserUsage(UsageTotals):
    user_id: strawberry.ID = strawberry.field(description="The user id.")


@strawberry.type(
    description="Generations (attempts that used tokens, cancelled and retried ones "
    "included) and what they used. The breakdowns, costliest first and at most 100 rows, "
    "are filled in by usageSummary (admins) only."
)
class UsageSummary(UsageTotals):
    by_model: list[ModelUsage] = strawberry.field(
        description="Per model, costliest first (admins only; else empty)."
    )
    by_user: list[UserUsage] = strawberry.field(
        description="Per user, costliest first (admins only; else empty)."
    )

    @classmethod
    def from_domain(cls, value: usage_domain.UsageSummary) -> UsageSummary:
        return cls(
            **_totals(value.totals),
            by_model=[ModelUsage(model=m.model, **_totals(m.totals)) for m in value.by_model],
            by_user=[
                UserUsage(user_id=strawberry.ID(u.user_id), **_totals(u.totals))
                for u in value.by_user
            ],
        )


async def report_attempts(info: Info[Context, None], report_id: str) -> list[MissionUsage]:
    attempts = await info.context.loaders.usage.load(report_id)
    return [MissionUsage.from_domain(attempt) for attempt in attempts]


async def report_usage(info: Info[Context, None], report_id: str) -> MissionUsage | None:
    total = usage_domain.summed(await info.context.loaders.usage.load(report_id))
    return MissionUsage.from_domain(total) if total else None


async def viewer_usage(info: Info[Context, None]) -> UsageSummary:
    viewer = info.context.require_viewer()
    return UsageSummary.from_domain(
        await own_usage(info.context.state.queries.usage, viewer.user_id)
    )


@strawberry.type
class UsageQuery:
    @strawberry.field(
        description="Admin only (else the error 'admin role required'): every user's "
        "generations stored in [since, until), with breakdowns by model and by user."
    )
    async def usage_summary(
        self,
        info: Info[Context, None],
        since: Annotated[
            datetime | None,
            strawberry.argument(description="From this time on; null: from the start."),
        ] = None,
        until: Annotated[
            datetime | None, strawberry.argument(description="Before this time; null: up to now.")
        ] = None,
    ) -> UsageSummary:
        viewer = info.context.require_viewer()
        actor = Actor(viewer.user_id, is_admin=viewer.is_admin)
        summary = await service_usage(info.context.state.queries.usage, actor, since, until)
        return UsageSummary.from_domain(summary)
