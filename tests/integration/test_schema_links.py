"""Links a client follows instead of bare ids, and enums where the set is known."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, insert

from infra.db.tables import mission_reports, notifications
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.integration.test_api_core_loop import completed_report, new_user, submit
from tests.security.helpers import app_engines

NOTIFICATIONS = """{ notifications {
  kind reportId
  report { id status plan { sections { riskAssessment { level } skills { priority } } } }
} }"""


@contextmanager
def report_reads(api: ApiHarness) -> Iterator[list[str]]:
    """Every SELECT of mission_reports, from any task: DataLoaders batch in their own."""
    reads: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM mission_reports" in statement:
            reads.append(statement)

    engine = app_engines(api)[0].sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield reads
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    async with running_api(
        settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=0)
    ) as harness:
        yield harness


async def finished_plans(api: ApiHarness, user: str, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        report_id = (await submit(api, user))["report"]["id"]
        assert (await completed_report(api, user, report_id))["status"] == "COMPLETED"
        ids.append(report_id)
    return ids


async def test_notifications_link_their_reports_in_one_query(api: ApiHarness) -> None:
    user = new_user()
    ids = await finished_plans(api, user, 3)

    with report_reads(api) as reads:
        body = await api.graphql(NOTIFICATIONS, user=user)
    notes = body["data"]["notifications"]
    assert sorted(n["reportId"] for n in notes) == sorted(ids)
    for note in notes:
        assert note["kind"] == "PLAN_READY"
        assert note["report"]["id"] == note["reportId"]
        assert note["report"]["status"] == "COMPLETED"
        sections = note["report"]["plan"]["sections"]
        assert {r["level"] for r in sections["riskAssessment"]} <= {
            "LOW",
            "MODERATE",
            "HIGH",
            "SEVERE",
            "UNKNOWN",
        }
        assert {s["priority"] for s in sections["skills"]} <= {"HIGH", "MEDIUM", "LOW"}
        assert sections["skills"]
    # One batched read of the three reports, not one each.
    assert len(reads) == 1, reads


async def test_a_gone_or_foreign_report_links_to_null(api: ApiHarness) -> None:
    owner, other = new_user(), new_user()
    [gone, foreign] = await finished_plans(api, owner, 2)
    _, writer = app_engines(api)
    async with writer.begin() as conn:
        await conn.execute(delete(mission_reports).where(mission_reports.c.id == gone))
        # A notification of someone else's report must not lead to it.
        await conn.execute(
            insert(notifications).values(
                id=str(uuid.uuid4()),
                user_id=other,
                report_id=foreign,
                kind="PLAN_READY",
                title="Your plan is ready",
                body="b",
                created_at=datetime.now(UTC),
            )
        )

    mine = (await api.graphql(NOTIFICATIONS, user=owner))["data"]["notifications"]
    assert {n["reportId"]: n["report"] is not None for n in mine} == {gone: False, foreign: True}
    [theirs] = (await api.graphql(NOTIFICATIONS, user=other))["data"]["notifications"]
    assert (theirs["reportId"], theirs["report"]) == (foreign, None)
