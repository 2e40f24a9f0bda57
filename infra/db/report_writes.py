"""A report's change as one statement: the columns it changed, and the events it wrote.

A webhook moves a report's progress and sequences; rewriting all 18 columns (the
wizard input and the plan as JSON included) and building a fresh `.values(dict)`
statement each time was a large part of its CPU (benchmarks/README.md, fix 4). So
the repository keeps the report as it read it in this transaction and writes only
the columns whose values differ, with a statement built once per set of columns.
On PostgreSQL the change's events go in the same statement (`WITH UPDATE ...
INSERT`): one round trip where there were two. SQLite has no data-modifying CTE,
so there they are two statements.

Every statement here must have a cache key, or SQLAlchemy compiles it again on each
execution: a multi-row `INSERT ... VALUES (...), (...)` has none, so each event is a
one-row insert of its own (a CTE each, the last one the statement's body). A draft
that grew by a delta is written as `draft = COALESCE(draft, '') || :tail` where the
row is locked in this transaction: a delta webhook sends its delta, not the whole
text so far (domain.draft; a draft grows to a plan's size, 200,000 characters).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, bindparam, func, insert, literal, update

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
# Not a column: the draft's new text appended to what the locked row holds.
DRAFT_TAIL = "draft_tail"
_EVENT_COLUMNS = tuple(c.name for c in mission_events.c)

# Statements by their shape; the shapes are few (each kind of transition has one).
_statements: dict[tuple[tuple[str, ...], int, bool], Executable] = {}


def changed_columns(
    before: MissionReport | None, after: MissionReport, *, locked: bool = False
) -> tuple[str, ...]:
    """The columns whose values differ; all of them when the stored row is not known.

    With `locked` (`before` is the row as this transaction holds it, FOR UPDATE) a
    draft that only grew is `DRAFT_TAIL`: appended in SQL, not written whole.
    """
    if before is None or before.id != after.id:
        return ALL_COLUMNS
    changed: list[str] = []
    for name, columns in _FIELD_COLUMNS:
        old, new = getattr(before, name), getattr(after, name)
        if old is not new and old != new:
            if name == "draft" and locked and _grew(old, new):
                changed.append(DRAFT_TAIL)
            else:
                changed.extend(columns)
    return tuple(changed)


def _grew(old: str, new: str) -> bool:
    return len(new) > len(old) and new.startswith(old)


def change_statement(
    report: MissionReport,
    columns: tuple[str, ...],
    events: Sequence[MissionEvent],
    *,
    with_events: bool,
    before: MissionReport | None = None,
) -> tuple[Executable, dict[str, Any]]:
    """The statement and its parameters: the update, and the events' insert if asked.

    `before` is the row as read, which `DRAFT_TAIL` in `columns` appends to."""
    count = len(events) if with_events else 0
    key = (columns, count, with_events)
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = _build(columns, count)
    params: dict[str, Any] = {"r_id": report.id}
    for column in columns:
        params[f"r_{column}"] = column_value(report, column, before)
    for n in range(count):
        row = event_to_row(events[n])
        for column in _EVENT_COLUMNS:
            params[f"e{n}_{column}"] = row[column]
    return statement, params


def column_value(report: MissionReport, column: str, before: MissionReport | None) -> Any:
    """What `column` (one of `changed_columns`) is written as: `DRAFT_TAIL` the text
    the draft grew by since `before`, the row as read."""
    if column == DRAFT_TAIL:
        assert before is not None
        return report.draft[len(before.draft) :]
    return REPORT_COLUMNS[column](report)


def _build(columns: tuple[str, ...], events: int) -> Executable:
    table = mission_reports
    change = update(table).where(table.c.id == bindparam("r_id", type_=table.c.id.type))
    change = change.values({_column(c): _new_value(c) for c in columns})
    if not events:
        return change
    inserts = [
        insert(mission_events).values(
            {c: bindparam(f"e{n}_{c}", type_=mission_events.c[c].type) for c in _EVENT_COLUMNS}
        )
        for n in range(events)
    ]
    ctes = [change.cte("report_change")] if columns else []
    ctes += [inserted.cte(f"event_{n}") for n, inserted in enumerate(inserts[:-1])]
    return inserts[-1].add_cte(*ctes) if ctes else inserts[-1]


def _column(name: str) -> str:
    return "draft" if name == DRAFT_TAIL else name


def _new_value(column: str) -> Any:
    if column == DRAFT_TAIL:
        draft = mission_reports.c.draft
        tail = bindparam(f"r_{DRAFT_TAIL}", type_=draft.type)
        return func.coalesce(draft, literal("", draft.type)).concat(tail)
    return bindparam(f"r_{column}", type_=mission_reports.c[column].type)
