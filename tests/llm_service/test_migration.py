"""The LLM service's alembic revisions build exactly `llm_service.tables.metadata`, and undo it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from llm_service.tables import metadata

VERSIONS = Path(__file__).parents[2] / "migrations" / "versions"
# The revisions that touch the LLM service's tables, oldest first.
LLM_REVISIONS = ("0002_llm_service", "0004_llm_job_attempts", "0006_llm_webhook_attempts")


def load_revision(name: str = "0002_llm_service") -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"revision_{name}", VERSIONS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(connection: Connection, step: str) -> None:
    names = LLM_REVISIONS if step == "upgrade" else tuple(reversed(LLM_REVISIONS))
    context = MigrationContext.configure(connection)
    with Operations.context(context):
        for name in names:
            getattr(load_revision(name), step)()


def diff(connection: Connection) -> list[object]:
    return compare_metadata(MigrationContext.configure(connection), metadata)


async def test_upgrade_matches_metadata_and_downgrade_drops(tmp_path: Path) -> None:
    from llm_service.db import create_db_engine

    engine: AsyncEngine = create_db_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run, "upgrade")
            assert await conn.run_sync(diff) == []
            await conn.run_sync(run, "downgrade")
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()

    assert tables == []
    revision = load_revision()
    assert (revision.revision, revision.down_revision) == ("0002_llm_service", "0001_api_tables")


def upgrade_to(connection: Connection, last: str) -> None:
    context = MigrationContext.configure(connection)
    with Operations.context(context):
        for name in LLM_REVISIONS[: LLM_REVISIONS.index(last) + 1]:
            load_revision(name).upgrade()


def run_one(connection: Connection, name: str, step: str) -> None:
    with Operations.context(MigrationContext.configure(connection)):
        getattr(load_revision(name), step)()


async def test_webhook_status_is_filled_in_for_rows_from_before(tmp_path: Path) -> None:
    from llm_service.db import create_db_engine

    engine: AsyncEngine = create_db_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    rows = {  # id: (delivered_at, next_attempt_at)
        "msg_delivered": ("2026-01-01 00:00:01", None),
        "msg_given_up": (None, None),
        "msg_pending": (None, "2026-01-01 00:00:02"),
    }
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to, "0004_llm_job_attempts")
            for sequence, (webhook_id, (delivered_at, next_at)) in enumerate(rows.items(), 1):
                await conn.execute(
                    text(
                        "INSERT INTO llm_webhook_outbox (id, job_id, sequence, event_type,"
                        " payload, webhook_url, attempts, next_attempt_at, delivered_at,"
                        " created_at) VALUES (:id, 'job', :seq, 'workflow.started', '{}',"
                        " 'http://api.test', 1, :next_at, :delivered_at, '2026-01-01 00:00:00')"
                    ),
                    {
                        "id": webhook_id,
                        "seq": sequence,
                        "next_at": next_at,
                        "delivered_at": delivered_at,
                    },
                )
            await conn.run_sync(run_one, "0006_llm_webhook_attempts", "upgrade")
            statuses: dict[str, str] = dict(
                (await conn.execute(text("SELECT id, status FROM llm_webhook_outbox"))).all()
            )
            await conn.run_sync(run_one, "0006_llm_webhook_attempts", "downgrade")
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            columns = await conn.run_sync(
                lambda c: [col["name"] for col in inspect(c).get_columns("llm_webhook_outbox")]
            )
            count = (await conn.execute(text("SELECT count(*) FROM llm_webhook_outbox"))).scalar()
    finally:
        await engine.dispose()

    assert statuses == {
        "msg_delivered": "delivered",
        "msg_given_up": "dead",
        "msg_pending": "pending",
    }
    assert "llm_webhook_attempts" not in tables
    assert "status" not in columns
    assert count == 3
