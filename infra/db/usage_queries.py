"""Read-side queries of what generations used (the generation_usage table)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.usage import AttemptUsage, ModelUsage, UsageSummary, UsageTotals, UserUsage, round_cost
from infra.db.mapping import usage_from_row
from infra.db.tables import generation_usage

_t = generation_usage.c
_TOTALS = (
    func.count(),
    func.coalesce(func.sum(_t.input_tokens), 0),
    func.coalesce(func.sum(_t.output_tokens), 0),
    func.coalesce(func.sum(_t.cost_usd), 0),
)


class UsageQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def attempts_of_reports(self, report_ids: Sequence[str]) -> list[list[AttemptUsage]]:
        """Each report's attempts that used tokens, oldest first (a DataLoader's batch)."""
        query = (
            select(generation_usage)
            .where(_t.report_id.in_(list(report_ids)))
            .order_by(_t.report_id, _t.attempt, _t.created_at, _t.call_id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        by_report: dict[str, list[AttemptUsage]] = {report_id: [] for report_id in report_ids}
        for row in rows:
            by_report[row["report_id"]].append(usage_from_row(row))
        return [by_report[report_id] for report_id in report_ids]

    async def usage_summary(
        self,
        *,
        user_id: str | None,
        since: datetime | None,
        until: datetime | None,
        breakdown_limit: int = 0,
    ) -> UsageSummary:
        where: list[Any] = []
        if user_id is not None:
            where.append(_t.user_id == user_id)
        if since is not None:
            where.append(_t.created_at >= since)
        if until is not None:
            where.append(_t.created_at < until)
        async with self._engine.connect() as conn:
            totals = _totals((await conn.execute(select(*_TOTALS).where(*where))).one())
            if not breakdown_limit:
                return UsageSummary(totals)
            models = await conn.execute(_breakdown(_t.model, where, breakdown_limit))
            users = await conn.execute(_breakdown(_t.user_id, where, breakdown_limit))
            return UsageSummary(
                totals,
                by_model=tuple(ModelUsage(row[0], _totals(row[1:])) for row in models),
                by_user=tuple(UserUsage(row[0], _totals(row[1:])) for row in users),
            )


def _breakdown(key: Any, where: list[Any], limit: int) -> Select[Any]:
    """The costliest `limit` groups of `key` (ties: most tokens, then by name)."""
    tokens = func.sum(_t.input_tokens + _t.output_tokens)
    return (
        select(key, *_TOTALS)
        .where(*where)
        .group_by(key)
        .order_by(func.sum(_t.cost_usd).desc(), tokens.desc(), key)
        .limit(limit)
    )


def _totals(row: Sequence[Any]) -> UsageTotals:
    generations, input_tokens, output_tokens, cost = row
    return UsageTotals(
        generations=int(generations),
        input_tokens=int(input_tokens),
        output_tokens=int(output_tokens),
        cost_usd=round_cost(float(cost)),
    )
