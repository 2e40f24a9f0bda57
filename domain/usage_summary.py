"""Who may read which usage totals: a user their own, an administrator everyone's."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.cleanup import Actor
from domain.errors import DomainError, NotAuthorized
from domain.usage import UsageSummary

# The breakdowns are bounded: the models and users that cost the most come first.
MAX_BREAKDOWN_ROWS = 100


class UsageReader(Protocol):
    async def usage_summary(
        self,
        *,
        user_id: str | None,
        since: datetime | None,
        until: datetime | None,
        breakdown_limit: int = 0,
    ) -> UsageSummary:
        """Totals of the attempts stored in [since, until) (of `user_id`, or everyone's);
        with `breakdown_limit`, that many rows by model and by user, costliest first."""
        ...


class UsageSummaryNotAllowed(NotAuthorized):
    message = "admin role required"


class InvalidUsagePeriod(DomainError):
    """`since` or `until` that cannot bound stored times."""


async def own_usage(reader: UsageReader, user_id: str) -> UsageSummary:
    return await reader.usage_summary(user_id=user_id, since=None, until=None)


async def service_usage(
    reader: UsageReader, actor: Actor, since: datetime | None, until: datetime | None
) -> UsageSummary:
    if not actor.is_admin:
        raise UsageSummaryNotAllowed()
    for name, bound in (("since", since), ("until", until)):
        if bound is not None and bound.utcoffset() is None:
            raise InvalidUsagePeriod(f"{name}: needs a time zone, e.g. 2025-01-31T00:00:00Z")
    if since is not None and until is not None and since > until:
        raise InvalidUsagePeriod("since: must not be after until")
    return await reader.usage_summary(
        user_id=None, since=since, until=until, breakdown_limit=MAX_BREAKDOWN_ROWS
    )
