"""A group-commit batch's first statement: its webhook receipts and its reports' locks.

Every batch of job updates (domain.job_update_batches), a webhook going alone too,
starts by writing its receipts and locking its reports. On PostgreSQL both are one
statement, one round trip where there were two (round trips cost most of a webhook's
CPU on a VM where system calls are dear: benchmarks/README.md). The receipts go first:
the lock's condition reads the receipts' insert, so a concurrent duplicate delivery
waits for the first one's transaction on its receipt before it takes any row lock, in
the same order as the two statements. Arrays, not a `VALUES` list: one statement, and
one prepared plan, for every size of batch.

The statement always returns at least one row (the report columns NULL when no report
exists), so the fresh receipts are known even when no report is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import String, bindparam, column, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.report import MissionReport
from infra.db.mapping import report_from_row
from infra.db.tables import mission_reports
from llm_service.db import UTCDateTime

_REPORT_COLUMNS = ", ".join(f"locked.{c.name}" for c in mission_reports.c)
_OPEN_BATCH = (
    text(
        f"""
    WITH receipt AS (
        INSERT INTO webhook_receipts (webhook_id, job_id, event_type, received_at)
        SELECT w, j, k, :now
        FROM unnest(:webhook_ids, :job_ids, :event_types) AS asked(w, j, k)
        ON CONFLICT (webhook_id) DO NOTHING
        RETURNING webhook_id
    )
    SELECT (SELECT array_agg(webhook_id) FROM receipt) AS fresh_receipts, {_REPORT_COLUMNS}
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (
        SELECT * FROM mission_reports
        WHERE id = ANY(:report_ids) AND (SELECT count(*) FROM receipt) >= 0
        ORDER BY id
        FOR UPDATE
    ) AS locked ON true
    """
    )
    .bindparams(
        bindparam("now", type_=UTCDateTime),
        *(
            bindparam(name, type_=ARRAY(String))
            for name in ("webhook_ids", "job_ids", "event_types", "report_ids")
        ),
    )
    .columns(column("fresh_receipts", ARRAY(String)), *mission_reports.c)
)  # typed, in this order


async def open_batch(
    conn: AsyncConnection,
    now: datetime,
    receipts: Sequence[tuple[str, str, str]],
    report_ids: Sequence[str],
) -> tuple[set[str], list[MissionReport]]:
    """(the receipts new to the database, the reports locked); PostgreSQL only.

    A webhook id asked twice is written once, as its first (job, event type)."""
    first = {wid: (wid, job, kind) for wid, job, kind in reversed(receipts)}
    asked = list(first.values())
    params = {
        "now": now,
        "webhook_ids": [w for w, _, _ in asked],
        "job_ids": [j for _, j, _ in asked],
        "event_types": [k for _, _, k in asked],
        "report_ids": sorted(set(report_ids)),
    }
    rows = (await conn.execute(_OPEN_BATCH, params)).mappings().all()
    fresh = set(rows[0]["fresh_receipts"] or ())
    return fresh, [report_from_row(row) for row in rows if row["id"] is not None]
