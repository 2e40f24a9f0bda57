"""A group-commit batch's last statement: all its reports' changes and all their events.

Each update of a batch (domain.job_update_batches) saves its report; one statement
each was a round trip each, and the batch's largest cost after its opening
(infra.db.batch_opening). On PostgreSQL the repository holds a batch's saves until
its commit (infra.db.repositories) and writes them here, as one statement: the
reports' changes as `UPDATE ... FROM unnest(...)` and the events as `INSERT ...
SELECT FROM unnest(...)`, a data-modifying CTE and the statement's body. Arrays, not
`VALUES` lists: one statement, and one prepared plan, for any batch and any mix of
changes.

The reports changed different columns (a step move its progress, a delta its draft,
a completion its plan): each row carries a bit mask of the columns it sets, and a
column whose bit is clear keeps the row's own value. So a row is written as
`report_writes.change_statement` writes it alone: only the columns that differ, and
a grown draft of a locked row appended (`DRAFT_TAIL`), not sent whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Integer, String, TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
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


# Bit n of a row's mask: it sets _MASKED[n]. A grown draft travels in the draft's array.
_MASKED = (*ALL_COLUMNS, DRAFT_TAIL)
_BIT = {name: 1 << n for n, name in enumerate(_MASKED)}
_EVENT_COLUMNS = tuple(c.name for c in mission_events.c)


def _array_type(column: Any) -> Any:
    """The array a column's values travel in: JSON as its text, cast in the statement."""
    if isinstance(column.type, JSON):
        return ARRAY(String)
    if isinstance(column.type, UTCDateTime):
        return ARRAY(UTCDateTime())
    if isinstance(column.type, Integer):
        return ARRAY(Integer)
    return ARRAY(String)


def _value(column: Any, name: str) -> str:
    return f"c.{name}::json" if isinstance(column.type, JSON) else f"c.{name}"


def _set(name: str) -> str:
    column = mission_reports.c[name]
    new = _value(column, name)
    if name == "draft":
        return (
            f"draft = CASE WHEN c.mask & {_BIT['draft']} <> 0 THEN {new}"
            f" WHEN c.mask & {_BIT[DRAFT_TAIL]} <> 0 THEN COALESCE(r.draft, '') || {new}"
            " ELSE r.draft END"
        )
    return f"{name} = CASE WHEN c.mask & {_BIT[name]} <> 0 THEN {new} ELSE r.{name} END"


def _build() -> TextClause:
    report_arrays = ("id", "mask", *ALL_COLUMNS)
    event_values = ", ".join(
        f"{c}::json" if isinstance(mission_events.c[c].type, JSON) else c for c in _EVENT_COLUMNS
    )
    sql = f"""
    WITH change AS (
        UPDATE mission_reports AS r SET {", ".join(_set(c) for c in ALL_COLUMNS)}
        FROM unnest({", ".join(f":r_{c}" for c in report_arrays)})
            AS c({", ".join(report_arrays)})
        WHERE r.id = c.id
    )
    INSERT INTO mission_events ({", ".join(_EVENT_COLUMNS)})
    SELECT {event_values}
    FROM unnest({", ".join(f":e_{c}" for c in _EVENT_COLUMNS)}) AS e({", ".join(_EVENT_COLUMNS)})
    """  # a nested loop on the primary key, as a generic plan too (EXPLAIN)
    report_types: dict[str, Any] = {"id": ARRAY(String), "mask": ARRAY(Integer)} | {
        c: _array_type(mission_reports.c[c]) for c in ALL_COLUMNS
    }
    return text(sql).bindparams(
        *(bindparam(f"r_{name}", type_=type_) for name, type_ in report_types.items()),
        *(bindparam(f"e_{c}", type_=_array_type(mission_events.c[c])) for c in _EVENT_COLUMNS),
    )


_WRITE = _build()


async def write_changes(conn: AsyncConnection, changes: Sequence[ReportChange]) -> None:
    """The reports' changes and their events, in one statement; PostgreSQL only."""
    as_json = _json_encoder(conn)
    rows = [change for change in changes if change.columns]
    params: dict[str, Any] = {
        "r_id": [change.after.id for change in rows],
        "r_mask": [sum(_BIT[c] for c in change.columns) for change in rows],
    }
    for name in ALL_COLUMNS:
        json_column = isinstance(mission_reports.c[name].type, JSON)
        values: list[Any] = []
        for change in rows:
            wanted = name in change.columns or (name == "draft" and DRAFT_TAIL in change.columns)
            if not wanted:
                values.append(None)  # the row keeps its own: its bit is clear
                continue
            shown = DRAFT_TAIL if name == "draft" and DRAFT_TAIL in change.columns else name
            value = column_value(change.after, shown, change.before)
            values.append(as_json(value) if json_column else value)
        params[f"r_{name}"] = values
    events = [event_to_row(event) for change in changes for event in change.events]
    for name in _EVENT_COLUMNS:
        json_column = isinstance(mission_events.c[name].type, JSON)
        params[f"e_{name}"] = [as_json(e[name]) if json_column else e[name] for e in events]
    await conn.execute(_WRITE, params)


def _json_encoder(conn: AsyncConnection) -> Callable[[Any], Any]:
    """JSON as the dialect writes a JSON column's value (`None` as JSON null, as there)."""
    encode = mission_reports.c.progress.type.bind_processor(conn.dialect)
    assert encode is not None
    return encode
