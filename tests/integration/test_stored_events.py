"""Event-log rows written before payloads were typed still read back; a corrupt one is skipped."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from domain.event_log import MissionEvent
from infra.db.engine import Engines
from infra.db.read_queries import ReadQueries
from infra.db.tables import mission_events
from tests.unit.test_event_payloads import STORED_SHAPES

T0 = datetime(2025, 11, 2, 10, 0, tzinfo=UTC)


async def insert_rows(engines: Engines, report_id: str, rows: list[tuple[str, Any]]) -> None:
    """Rows as the code before typed payloads wrote them: the payload dict in the JSON column."""
    async with engines.writer.begin() as conn:
        for sequence, (event_type, payload) in enumerate(rows, start=1):
            await conn.execute(
                insert(mission_events).values(
                    report_id=report_id,
                    sequence=sequence,
                    user_id="user-old",
                    event_type=event_type,
                    payload=payload,
                    occurred_at=T0 + timedelta(seconds=sequence),
                )
            )


async def test_rows_in_todays_shapes_read_back_as_typed_events(engines: Engines) -> None:
    report_id = str(uuid.uuid4())
    await insert_rows(engines, report_id, [(kind, stored) for kind, stored, _ in STORED_SHAPES])

    read = await ReadQueries(engines.reader).events_after(report_id, 0)

    assert read == [
        MissionEvent(report_id, "user-old", n, T0 + timedelta(seconds=n), expected)
        for n, (_, _, expected) in enumerate(STORED_SHAPES, start=1)
    ]


async def test_a_corrupt_row_is_left_out_with_one_log_line(
    engines: Engines, caplog: pytest.LogCaptureFixture
) -> None:
    report_id = str(uuid.uuid4())
    queued_kind, queued, queued_payload = STORED_SHAPES[0]
    rows = [
        (queued_kind, queued),
        ("completed", {"attempt": "one"}),
        ("exploded", {}),
        ("completed", {"attempt": 1}),
    ]
    await insert_rows(engines, report_id, rows)
    queries = ReadQueries(engines.reader)

    with caplog.at_level(logging.ERROR, logger="infra.db.mapping"):
        read = await queries.events_after(report_id, 0)
        mine = await queries.user_events_since("user-old", T0)

    assert [e.sequence for e in read] == [1, 4]
    assert read[0].payload == queued_payload
    assert [e.sequence for e in mine if e.report_id == report_id] == [1, 4]
    skipped = [r for r in caplog.records if report_id in r.getMessage()]
    assert [r.getMessage().split(":")[0] for r in skipped] == [
        f"skipping event {report_id}/2",
        f"skipping event {report_id}/3",
    ] * 2
    assert all(r.exc_info is None for r in skipped)
