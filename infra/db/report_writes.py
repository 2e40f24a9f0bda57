"""A report's change as one statement: the columns it changed, and the events it wrote.

A webhook moves a report's progress and sequences; rewriting all 18 columns (the
wizard input and the plan as JSON included) and building a fresh `.values(dict)`
statement each time was a large part of its CPU (benchmarks/README.md, fix 4). So
the repository keeps the report as it read it in this transaction and writes only
the columns whose values differ, with a statement built once per set of columns.
On PostgreSQL the change's events go in the same statement (`WITH UPDATE ...
INSERT`): one round trip where there were two. SQLite has no data-modifying CTE,
so there they are two statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, bindparam, insert, update

from domain.event_log import MissionEvent
from domain.report import MissionReport
from infra.db.mapping import REPORT_COLUMNS, event_to_row
from infra.db.tables import mission_events, mission_reports

# Each field of the domain report and the columns it is stored in.
_FIELD_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("user_id", ("user_id",)),
    ("input", ("input", "location_label")),
    ("status", ("status",)),
    ("created_at", ("created_at",)),
    ("updated_at", ("updated_at",)),
    ("progress", ("progress",)),
    ("attempt", ("attempt",)),
    ("job_id", ("job_id",)),
    ("idempotency_key", ("idempotency_key",)),
    ("error", ("error",)),
    ("plan", ("plan_markdown", "plan_sections")),
    ("completed_at", ("completed_at",)),
    ("last_sequence", ("last_sequence",)),
    ("last_job_sequence", ("last_job_sequence",)),
    ("draft", ("draft",)),
)
ALL_COLUMNS: tuple[str, ...] = tuple(c for _, columns in _FIELD_COLUMNS for c in columns)
_EVENT_COLUMNS = tuple(c.name for c in mission_events.c)

# Statements by their shape; the shapes are few (each kind of transition has one).
_statements: dict[tuple[tuple[str, ...], int, bool], Executable] = {}


def changed_columns(before: MissionReport | None, after: MissionReport) -> tuple[str, ...]:
    """The columns whose values differ; all of them when the stored row is not known."""
    if before is None or before.id != after.id:
        return ALL_COLUMNS
    changed: list[str] = []
    for name, columns in _FIELD_COLUMNS:
        old, new = getattr(before, name), getattr(after, name)
        if old is not new and old != new:
            changed.extend(columns)
    return tuple(changed)


def change_statement(
    report: MissionReport,
    columns: tuple[str, ...],
    events: Sequence[MissionEvent],
    *,
    with_events: bool,
) -> tuple[Executable, dict[str, Any]]:
    """The statement and its parameters: the update, and the events' insert if asked."""
    count = len(events) if with_events else 0
    key = (columns, count, with_events)
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = _build(columns, count)
    params: dict[str, Any] = {"r_id": report.id}
    for column in columns:
        params[f"r_{column}"] = REPORT_COLUMNS[column](report)
    for n in range(count):
        row = event_to_row(events[n])
        for column in _EVENT_COLUMNS:
            params[f"e{n}_{column}"] = row[column]
    return statement, params


def _build(columns: tuple[str, ...], events: int) -> Executable:
    table = mission_reports
    change = update(table).where(table.c.id == bindparam("r_id", type_=table.c.id.type))
    change = change.values({c: bindparam(f"r_{c}", type_=table.c[c].type) for c in columns})
    if not events:
        return change
    rows = [
        {c: bindparam(f"e{n}_{c}", type_=mission_events.c[c].type) for c in _EVENT_COLUMNS}
        for n in range(events)
    ]
    appended = insert(mission_events).values(rows)
    return appended.add_cte(change.cte("report_change")) if columns else appended
