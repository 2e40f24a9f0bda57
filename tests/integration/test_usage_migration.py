"""The generation_usage migration moves stored usage over and back, on both databases."""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.engine import create_engines
from infra.db.migrate import downgrade_to, upgrade_to, upgrade_to_head
from infra.db.tables import generation_usage
from llm_service.db import UTCDateTime
from tests.conftest import scratch_postgres_database

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0007_generation_usage.py"
USAGE = {
    "model": "anthropic/claude-sonnet-4",
    "input_tokens": 1200,
    "output_tokens": 3400,
    "duration_ms": 2500,
    "cost_usd": 0.0546,
}
WHEN = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def migration() -> ModuleType:
    # The revision ids live in the migration only (the merger may renumber it).
    spec = importlib.util.spec_from_file_location("generation_usage_migration", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    drop = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'usage.db'}"
    else:
        request.getfixturevalue("postgres_url")  # skips when PostgreSQL is away
        url, drop = scratch_postgres_database("mp_usage_migration")
    engines = create_engines(url)
    try:
        yield engines.writer
    finally:
        await engines.dispose()
        if drop is not None:
            drop()


def report_row(report_id: str, usage: dict[str, object] | None) -> dict[str, object]:
    return {
        "id": report_id,
        "user_id": "user-1",
        "status": "COMPLETED",
        "attempt": 2,
        "job_id": f"job-{report_id}",
        "location_label": "Miami, FL",
        "input": {},
        "progress": {},
        "usage": usage,
        "last_sequence": 3,
        "last_job_sequence": 9,
        "created_at": WHEN,
        "updated_at": WHEN,
        "completed_at": WHEN,
    }


# mission_reports as revision 0006 left it (the usage column included).
OLD_REPORTS = sa.Table(
    "mission_reports",
    sa.MetaData(),
    *(sa.Column(name, sa.String) for name in ("id", "user_id", "status", "job_id")),
    sa.Column("location_label", sa.String),
    *(sa.Column(name, sa.JSON) for name in ("input", "progress", "usage")),
    *(sa.Column(name, sa.Integer) for name in ("attempt", "last_sequence", "last_job_sequence")),
    *(sa.Column(name, UTCDateTime) for name in ("created_at", "updated_at", "completed_at")),
)


async def test_stored_usage_moves_to_generation_usage_and_back(empty_engine: AsyncEngine) -> None:
    step = migration()
    await upgrade_to(empty_engine, step.down_revision)
    async with empty_engine.begin() as conn:
        await conn.execute(
            sa.insert(OLD_REPORTS),
            [report_row("with-usage", USAGE), report_row("without-usage", None)],
        )

    await upgrade_to(empty_engine, step.revision)
    async with empty_engine.connect() as conn:
        # The table as 0007 made it (0009_usage adds call_id).
        as_made = [column for column in generation_usage.c if column.name != "call_id"]
        moved = (await conn.execute(sa.select(*as_made))).mappings().all()
        columns = await conn.run_sync(
            lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("mission_reports")}
        )
    await downgrade_to(empty_engine, step.down_revision)
    async with empty_engine.connect() as conn:
        query = sa.select(OLD_REPORTS.c.id, OLD_REPORTS.c.usage)
        restored = dict((await conn.execute(query)).all())
    await upgrade_to_head(empty_engine)  # and up again, cleanly

    assert "usage" not in columns
    assert len(moved) == 1
    row = moved[0]
    assert (row["report_id"], row["attempt"], row["user_id"]) == ("with-usage", 2, "user-1")
    assert (row["model"], row["input_tokens"], row["output_tokens"]) == (USAGE["model"], 1200, 3400)
    assert float(row["cost_usd"]) == 0.0546 and row["created_at"] == WHEN
    assert [s["step_id"] for s in row["steps"]] == ["generate_mission_plan"]
    assert restored == {"with-usage": USAGE, "without-usage": None}


CALLS_MIGRATION = MIGRATION.with_name("0009_usage.py")


def usage_row(call_id: str | None) -> dict[str, object]:
    row: dict[str, object] = {
        "report_id": "r1",
        "attempt": 1,
        "user_id": "user-1",
        "job_id": "job-1",
        "model": USAGE["model"],
        "input_tokens": 10,
        "output_tokens": 20,
        "duration_ms": 30,
        "cost_usd": 0.5,
        "steps": [],
        "created_at": WHEN,
    }
    if call_id is not None:
        row["call_id"] = call_id
    return row


async def test_usage_rows_become_one_per_call_and_back(empty_engine: AsyncEngine) -> None:
    spec = importlib.util.spec_from_file_location("usage_calls_migration", CALLS_MIGRATION)
    assert spec is not None and spec.loader is not None
    step = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(step)
    before = sa.table(
        "generation_usage",
        *(sa.column(c.name, c.type) for c in generation_usage.c if c.name != "call_id"),
    )
    await upgrade_to(empty_engine, step.down_revision)
    async with empty_engine.begin() as conn:
        await conn.execute(sa.insert(before), [usage_row(None)])

    await upgrade_to(empty_engine, step.revision)
    async with empty_engine.begin() as conn:
        # A second call of the same attempt (its job was taken over) is a row of its own.
        await conn.execute(sa.insert(generation_usage), [usage_row("run-2/generate")])
        keys = (await conn.execute(sa.select(generation_usage.c.call_id))).scalars().all()
    await downgrade_to(empty_engine, step.down_revision)
    async with empty_engine.connect() as conn:
        kept = (await conn.execute(sa.select(sa.func.count()).select_from(before))).scalar()
    await upgrade_to_head(empty_engine)  # and up again, cleanly

    assert sorted(keys) == ["", "run-2/generate"]  # the row from before: call_id ""
    assert kept == 1  # back to one row per attempt
