"""Read-side queries for the GraphQL API (reader engine, no transactions held)."""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, and_, bindparam, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.event_log import EventType, MissionEvent, replay_draft
from domain.notifications import Notification
from domain.plan import PlanSections
from domain.report import MissionReport, MissionStatus, Plan
from infra.db.mapping import (
    LISTING_COLUMNS,
    LISTING_JSON_COLUMNS,
    ReportListing,
    event_from_row,
    events_from_rows,
    notification_from_row,
    report_from_row,
    report_listing_from_row,
)
from infra.db.tables import (
    bundle_scenarios,
    bundles,
    mission_events,
    mission_reports,
    notifications,
)
from infra.db.usage_queries import UsageQueries

STATE_EVENT_TYPES = [t.value for t in EventType if t.sets_state]


def _latest_state_and_after_statement() -> Any:
    """Built once, its values bound per call: every subscribe runs it, and building the
    statement, its cache key and an expanding IN each time cost more CPU than the read
    (benchmarks/README.md, "Changes made for speed"). OR of equalities, not IN: an IN
    list is re-rendered on every execution."""
    t = mission_events.c
    sets_state = or_(*(t.event_type == value for value in STATE_EVENT_TYPES))
    latest = (
        select(func.max(t.sequence))
        .where(t.report_id == bindparam("report_id"), sets_state)
        .scalar_subquery()
    )
    return (
        select(mission_events)
        .where(t.report_id == bindparam("report_id"), t.sequence >= latest)
        .order_by(t.sequence)
        .limit(bindparam("limit"))
    )


_LATEST_STATE_AND_AFTER = _latest_state_and_after_statement()


class InvalidCursor(ValueError):
    def __init__(self) -> None:
        super().__init__("after: not a cursor returned by this API")


# Ours are about 70 characters: base64 of an ISO timestamp and a UUID.
MAX_CURSOR_LENGTH = 200
# The ids this API makes (UUIDs); anything else never came from encode_cursor.
_REPORT_ID = re.compile(r"[0-9A-Za-z-]{1,64}")


# A page of reports reads what a listing shows (infra.db.mapping.ReportListing): not
# the plan, several KB of JSON per completed report that a list rarely asks for
# (benchmarks/README.md, fix 2); `plans_by_ids` reads the plans of the rows that have
# one, when a query selects them.
_LISTING_COLUMNS = [
    *(
        cast(mission_reports.c[name], Text)
        if name in LISTING_JSON_COLUMNS
        else mission_reports.c[name]
        for name in LISTING_COLUMNS
    ),
    mission_reports.c.plan_markdown.is_not(None).label("has_plan"),
]


@functools.cache
def _page_query(by_status: bool, after: bool) -> Select[Any]:
    """A page's statement, built once per shape: built per request, SQLAlchemy also
    re-derived its cache key each time (a statement object memoizes its own)."""
    t = mission_reports.c
    query = select(*_LISTING_COLUMNS).where(t.user_id == bindparam("user_id"))
    if by_status:
        query = query.where(t.status == bindparam("status"))
    if after:
        created = bindparam("created", type_=t.created_at.type)
        report_id = bindparam("report_id", type_=t.id.type)
        query = query.where(
            or_(t.created_at < created, and_(t.created_at == created, t.id < report_id))
        )
    return query.order_by(t.created_at.desc(), t.id.desc()).limit(bindparam("limit"))


@dataclass(frozen=True)
class ReportPage:
    reports: list[ReportListing]
    has_next_page: bool


def encode_cursor(created_at: datetime, report_id: str) -> str:
    """The cursor of the report created at `created_at` with id `report_id`."""
    raw = f"{created_at.isoformat()}|{report_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (created_at, id) a cursor of ours holds; InvalidCursor for anything else."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor()
    try:
        # ValueError covers bad base64, non-UTF-8 bytes (UnicodeDecodeError), a missing
        # separator and dates that are no dates ("2024-13-99", year 99999).
        created, report_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        created_at = datetime.fromisoformat(created)
    except ValueError as exc:
        raise InvalidCursor() from exc
    # A date without a zone cannot be compared with the stored UTC ones.
    if created_at.tzinfo is None or not _REPORT_ID.fullmatch(report_id):
        raise InvalidCursor()
    return created_at, report_id


@dataclass(frozen=True)
class BundleRow:
    id: str
    name: str
    description: str
    price_usd: str
    budget_tier: str
    scenarios: tuple[str, ...]
    items: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "price_usd": self.price_usd,
            "budget_tier": self.budget_tier,
            "scenarios": list(self.scenarios),
            "items": list(self.items),
        }


class ReadQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.usage = UsageQueries(engine)

    async def report(self, report_id: str) -> MissionReport | None:
        found = await self.reports_by_ids([report_id])
        return found.get(report_id)

    async def reports_by_ids(self, ids: Sequence[str]) -> dict[str, MissionReport]:
        query = select(mission_reports).where(mission_reports.c.id.in_(list(ids)))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return {row["id"]: report_from_row(row) for row in rows}

    async def report_page(
        self, user_id: str, status: MissionStatus | None, first: int, after: str | None
    ) -> ReportPage:
        values: dict[str, Any] = {"user_id": user_id, "limit": first + 1}
        if status is not None:
            values["status"] = status.value
        if after:
            values["created"], values["report_id"] = decode_cursor(after)
        query = _page_query(status is not None, bool(after))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query, values)).all()
        return ReportPage(
            [report_listing_from_row(row) for row in rows[:first]],
            has_next_page=len(rows) > first,
        )

    async def plans_by_ids(self, ids: Sequence[str]) -> dict[str, Plan]:
        """The plans of those reports that have one (the columns a page leaves out)."""
        t = mission_reports.c
        query = select(t.id, t.plan_markdown, t.plan_sections).where(
            t.id.in_(list(ids)), t.plan_markdown.is_not(None), t.plan_sections.is_not(None)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {
            report_id: Plan(markdown, PlanSections.from_dict(sections))
            for report_id, markdown, sections in rows
        }

    async def active_reports(self, user_id: str) -> ReportPage:
        return await self.report_page(user_id, MissionStatus.GENERATING, 100, None)

    async def notifications(self, user_id: str, include_dismissed: bool) -> list[Notification]:
        t = notifications.c
        query = select(notifications).where(t.user_id == user_id)
        if not include_dismissed:
            query = query.where(t.dismissed_at.is_(None))
        query = query.order_by(t.created_at.desc()).limit(200)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [notification_from_row(row) for row in rows]

    async def events_after(
        self, report_id: str, after_sequence: int, limit: int = 500
    ) -> list[MissionEvent]:
        t = mission_events.c
        query = (
            select(mission_events)
            .where(t.report_id == report_id, t.sequence > after_sequence)
            .order_by(t.sequence)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return events_from_rows(rows)

    async def draft_through(self, report_id: str, sequence: int) -> str:
        """The draft as a reader of the log rebuilds it, from the first event to `sequence`."""
        draft, last = "", 0
        while last < sequence:
            page = await self.events_after(report_id, last, limit=500)
            if not page:
                break
            draft = replay_draft((event for event in page if event.sequence <= sequence), draft)
            last = page[-1].sequence
        return draft

    async def latest_sequences(self, report_ids: Sequence[str]) -> dict[str, int]:
        """Each report's latest logged sequence (reports without events are left out)."""
        t = mission_events.c
        query = (
            select(t.report_id, func.max(t.sequence))
            .where(t.report_id.in_(list(report_ids)))
            .group_by(t.report_id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {report_id: int(sequence) for report_id, sequence in rows}

    async def latest_state_event(self, report_id: str) -> MissionEvent | None:
        """The logged event that put the report in its current state (notifications aside)."""
        t = mission_events.c
        query = (
            select(mission_events)
            .where(t.report_id == report_id, t.event_type.in_(STATE_EVENT_TYPES))
            .order_by(t.sequence.desc())
            .limit(1)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else event_from_row(row)

    async def latest_state_and_after(self, report_id: str, limit: int = 500) -> list[MissionEvent]:
        """`latest_state_event` and every event after it, in order, in one read ([] if none)."""
        values = {"report_id": report_id, "limit": limit}
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_LATEST_STATE_AND_AFTER, values)).mappings().all()
        return events_from_rows(rows)

    async def user_events_since(self, user_id: str, since: datetime) -> list[MissionEvent]:
        t = mission_events.c
        query = (
            select(mission_events)
            .where(t.user_id == user_id, t.occurred_at >= since)
            .order_by(t.occurred_at, t.report_id, t.sequence)
            .limit(1000)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return events_from_rows(rows)

    async def bundles(self, scenario: str | None = None) -> list[BundleRow]:
        query = select(bundles).order_by(bundles.c.price_usd, bundles.c.id)
        if scenario is not None:
            ids = select(bundle_scenarios.c.bundle_id).where(
                bundle_scenarios.c.scenario == scenario
            )
            query = query.where(bundles.c.id.in_(ids))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
            links = (await conn.execute(select(bundle_scenarios))).all()
        scenarios_of: dict[str, list[str]] = {}
        for bundle_id, name in links:
            scenarios_of.setdefault(bundle_id, []).append(name)
        return [
            BundleRow(
                id=row["id"],
                name=row["name"],
                description=row["description"],
                price_usd=f"{row['price_usd']:.2f}",
                budget_tier=row["budget_tier"],
                scenarios=tuple(sorted(scenarios_of.get(row["id"], []))),
                items=tuple(row["items"]),
            )
            for row in rows
        ]


class SqlBundleCatalog:
    """The catalog port; the catalog only changes by migration, so it is read once."""

    def __init__(self, queries: ReadQueries) -> None:
        self._queries = queries
        self._all: list[BundleRow] | None = None

    async def _load(self) -> list[BundleRow]:
        if self._all is None:
            self._all = await self._queries.bundles()
        return self._all

    async def bundles_for_scenarios(self, scenarios: Sequence[str]) -> list[dict[str, Any]]:
        wanted = set(scenarios)
        return [b.to_dict() for b in await self._load() if wanted & set(b.scenarios)]

    async def known_ids(self) -> set[str]:
        return {b.id for b in await self._load()}

    async def rows_by_ids(self, ids: Sequence[str]) -> list[BundleRow | None]:
        by_id = {b.id: b for b in await self._load()}
        return [by_id.get(bundle_id) for bundle_id in ids]
