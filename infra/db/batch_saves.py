"""A group-commit batch's last statement: all its reports' changes and all their events.

Each update of a batch (domain.job_update_batches) saves its report; one statement
each was a round trip each, and the batch's largest cost after its opening
(infra.db.batch_opening). On PostgreSQL the repository holds a batch's saves until
its commit (infra.db.repositories) and writes them here, as one statement: the
reports' changes as `UPDATE ... FROM` their rows and the events as `INSERT ... SELECT`,
a data-modifying CTE and the statement's body. One statement, and one prepared plan,
for any batch and any mix of changes.

The rows travel as one JSON array each (`json_array_elements`), one row a JSON array
of its values in column order: encoded in C by one `json.dumps`, where arrays of
values per column cost asyncpg a Python-level check per element (`_is_array_iterable`:
4% of the API's instructions with 25 arrays). A JSON column's value is nested as it
is (`v->n`, stored as the single save stores it, `None` as JSON null).

The reports changed different columns (a step move its progress, a delta its draft,
a completion its plan): each row carries a bit mask of the columns it sets, and a
column whose bit is clear keeps the row's own value. So a row is written as
`report_writes.change_statement` writes it alone: only the columns that differ, and
a grown draft of a locked row appended (`DRAFT_TAIL`), not sent whole.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Integer, String, TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.event_log import MissionEvent
from domain.report import MissionReport
from infra.db.mapping import event_to_row
from infra.db.report_writes import ALL_COLUMNS, DRAFT_TAIL, column_value
from infra.db.tables import mission_events, mission_reports
from llm_service.db import UTCDateTime


@dataclass
class ReportChange:
    """A report's saves held until the commit: the row as stored, the columns that
    differ from it (`report_writes.changed_columns`), and the events, in order."""

    before: MissionReport | None
    after: MissionReport
    columns: tuple[str, ...] = ()
    events: list[MissionEvent] = field(default_factory=list)


# Bit n of a row's mask: it sets _MASKED[n]. A grown draft travels as the draft.
_MASKED = (*ALL_COLUMNS, DRAFT_TAIL)
_BIT = {name: 1 << n for n, name in enumerate(_MASKED)}
_EVENT_COLUMNS = tuple(c.name for c in mission_events.c)
_UTC = UTCDateTime()


def _field(column: Column[Any], index: int) -> str:
    """Element `index` of a row `v`, as the column's type."""
    if isinstance(column.type, JSON):
        return f"v->{index}"
    if isinstance(column.type, UTCDateTime):
        return f"(v->>{index})::timestamptz"
    if isinstance(column.type, Integer):
        return f"(v->>{index})::int"
    return f"v->>{index}"


def _set(name: str) -> str:
    new = f"c.{name}"
    if name == "draft":
        return (
            f"draft = CASE WHEN c.mask & {_BIT['draft']} <> 0 THEN {new}"
            f" WHEN c.mask & {_BIT[DRAFT_TAIL]} <> 0 THEN COALESCE(r.draft, '') || {new}"
            " ELSE r.draft END"
        )
    return f"{name} = CASE WHEN c.mask & {_BIT[name]} <> 0 THEN {new} ELSE r.{name} END"


def _build() -> TextClause:
    report_fields = ", ".join(
        f"{_field(mission_reports.c[name], n + 2)} AS {name}" for n, name in enumerate(ALL_COLUMNS)
    )
    event_fields = ", ".join(
        _field(mission_events.c[name], n) for n, name in enumerate(_EVENT_COLUMNS)
    )
    sql = f"""
    WITH change AS (
        UPDATE mission_reports AS r SET {", ".join(_set(c) for c in ALL_COLUMNS)}
        FROM (
            SELECT v->>0 AS id, (v->>1)::int AS mask, {report_fields}
            FROM json_array_elements(CAST(:reports AS json)) AS rows(v)
        ) AS c
        WHERE r.id = c.id
    )
    INSERT INTO mission_events ({", ".join(_EVENT_COLUMNS)})
    SELECT {event_fields} FROM json_array_elements(CAST(:events AS json)) AS rows(v)
    """  # a nested loop on the primary key (EXPLAIN), as a generic plan too
    return text(sql).bindparams(
        bindparam("reports", type_=String), bindparam("events", type_=String)
    )


_WRITE = _build()


async def write_changes(conn: AsyncConnection, changes: Sequence[ReportChange]) -> None:
    """The reports' changes and their events, in one statement; PostgreSQL only."""
    reports = [_report_row(change) for change in changes if change.columns]
    events = [
        [row[name] for name in _EVENT_COLUMNS]
        for change in changes
        for row in map(event_to_row, change.events)
    ]
    params = {"reports": _as_json(reports), "events": _as_json(events)}
    await conn.execute(_WRITE, params)


def _report_row(change: ReportChange) -> list[Any]:
    columns = change.columns
    row: list[Any] = [change.after.id, sum(_BIT[c] for c in columns)]
    for name in ALL_COLUMNS:
        if name in columns:
            row.append(column_value(change.after, name, change.before))
        elif name == "draft" and DRAFT_TAIL in columns:
            row.append(column_value(change.after, DRAFT_TAIL, change.before))
        else:
            row.append(None)  # the row keeps its own: its bit is clear
    return row


def _as_json(rows: list[list[Any]]) -> str:
    return json.dumps(rows, default=_timestamp)


def _timestamp(value: Any) -> str:
    """A time as the column type stores it (UTC; a naive one is refused)."""
    if not isinstance(value, datetime):
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    stored = _UTC.process_bind_param(value, None)  # type: ignore[arg-type]  # no dialect used
    assert stored is not None
    return stored.isoformat()
