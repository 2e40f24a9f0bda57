"""Two migration trees: the API's (migrations/) and the LLM service's (llm_service/migrations).

A fresh API database gets only the API's tables; a standalone service's database
only the service's; embedded, both live in one database with their own version
tables. A database the single tree of before migrated is adopted as it is.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.engine import create_engines
from infra.db.migrate import downgrade_to_base, is_at_head, upgrade_to_head
from infra.db.tables import metadata as api_metadata
from llm_service import migrate as llm_migrate
from llm_service.db import create_db_engine
from llm_service.tables import metadata as llm_metadata
from tests.conftest import scratch_postgres_database
from tests.e2e.client import REPORT, SUBMIT, WIZARD
from tests.integration.harness import running_api, settings_for
from tests.support.waiting import wait_until

API_TABLES = set(api_metadata.tables) | {"alembic_version"}
LLM_TABLES = set(llm_metadata.tables) | {"llm_alembic_version"}
BEFORE_THE_SPLIT = Path(__file__).parents[1] / "fixtures" / "db_before_llm_migration_tree.sql"


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def schema_diff(engine: AsyncEngine, metadata: MetaData) -> list[Any]:
    """What autogenerate would change to match `metadata`, ignoring the other tree's tables."""

    def diff(connection: Connection) -> list[Any]:
        def ours(name: str | None, type_: str, _parents: object) -> bool:
            return type_ != "table" or name in metadata.tables

        context = MigrationContext.configure(
            connection, opts={"include_name": ours, "compare_type": True}
        )
        return list(compare_metadata(context, metadata))

    async with engine.connect() as conn:
        return await conn.run_sync(diff)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips (or fails under CI) without a server
    url, drop = scratch_postgres_database("mp_migrations")
    yield url
    drop()


async def test_a_fresh_api_database_has_no_llm_tables(empty_database_url: str) -> None:
    engines = create_engines(empty_database_url)
    try:
        await upgrade_to_head(engines.writer)
        assert await table_names(engines.writer) == API_TABLES
        assert await schema_diff(engines.writer, api_metadata) == []
        await downgrade_to_base(engines.writer)
        assert await table_names(engines.writer) == {"alembic_version"}
        await upgrade_to_head(engines.writer)  # and back up again, cleanly
        assert await table_names(engines.writer) == API_TABLES
    finally:
        await engines.dispose()


async def test_a_fresh_llm_database_is_built_by_its_own_tree(empty_database_url: str) -> None:
    engine = create_db_engine(empty_database_url)
    try:
        assert not await llm_migrate.is_at_head(engine)
        await llm_migrate.upgrade_to_head(engine)
        assert await table_names(engine) == LLM_TABLES
        assert await schema_diff(engine, llm_metadata) == []
        assert await llm_migrate.is_at_head(engine)
        await llm_migrate.downgrade_to_base(engine)
        assert await table_names(engine) == {"llm_alembic_version"}
        await llm_migrate.upgrade_to_head(engine)
        assert await table_names(engine) == LLM_TABLES
    finally:
        await engine.dispose()


async def test_embedded_both_trees_share_one_database(tmp_path: Path) -> None:
    engines = create_engines(f"sqlite+aiosqlite:///{tmp_path / 'embedded.db'}")
    try:
        await upgrade_to_head(engines.writer, with_llm_service=True)
        assert await table_names(engines.writer) == API_TABLES | LLM_TABLES
        assert await is_at_head(engines.writer, with_llm_service=True)
        assert await schema_diff(engines.writer, api_metadata) == []
        assert await schema_diff(engines.writer, llm_metadata) == []
        # Each tree undoes only its own tables.
        await llm_migrate.downgrade_to_base(engines.writer)
        assert await table_names(engines.writer) == API_TABLES | {"llm_alembic_version"}
        assert await is_at_head(engines.writer)
        assert not await is_at_head(engines.writer, with_llm_service=True)
    finally:
        await engines.dispose()


def load_database_from_before_the_split(path: Path, *, stop_before_0006: bool = False) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(BEFORE_THE_SPLIT.read_text())
        if stop_before_0006:
            # The state a database stopped at 0005 was in: what 0006 made is not there.
            db.executescript(
                """
                DROP TABLE llm_webhook_attempts;
                DROP INDEX ix_llm_webhook_outbox_status_next;
                ALTER TABLE llm_webhook_outbox DROP COLUMN status;
                CREATE INDEX ix_llm_webhook_outbox_pending
                    ON llm_webhook_outbox (delivered_at, next_attempt_at);
                UPDATE alembic_version SET version_num = '0005_submission_attempts';
                """
            )


async def counts(engine: AsyncEngine, *tables: str) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            t: (await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in tables
        }


async def test_an_embedded_database_from_before_the_split_is_upgraded_and_works(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mission_planner.db"
    load_database_from_before_the_split(path)
    url = f"sqlite+aiosqlite:///{path}"
    engines = create_engines(url)
    tables = ("mission_reports", "llm_workflow_jobs", "llm_webhook_outbox", "llm_webhook_attempts")
    try:
        before = await counts(engines.writer, *tables)
        assert not await is_at_head(engines.writer, with_llm_service=True)
        await upgrade_to_head(engines.writer, with_llm_service=True)
        assert await is_at_head(engines.writer, with_llm_service=True)
        # The service's tree adopted the tables as they were: nothing lost, nothing to change.
        assert (
            await counts(engines.writer, *tables)
            == before
            == {
                "mission_reports": 1,
                "llm_workflow_jobs": 1,
                "llm_webhook_outbox": 14,
                "llm_webhook_attempts": 14,
            }
        )
        assert await schema_diff(engines.writer, api_metadata) == []
        assert await schema_diff(engines.writer, llm_metadata) == []
        async with engines.writer.connect() as conn:
            old_report = (await conn.execute(text("SELECT id FROM mission_reports"))).scalar_one()
    finally:
        await engines.dispose()

    # The embedded app starts on it (it runs both trees itself), reads the old plan, makes a new one.
    async with running_api(settings_for(url, tmp_path, OFFLINE_STEP_DELAY_MS=0)) as api:
        old = await api.graphql(REPORT, {"id": old_report}, user="old-user")
        assert old["data"]["missionReport"]["status"] == "COMPLETED"
        body = await api.graphql(SUBMIT, {"input": WIZARD}, user="new-user")
        new_id = body["data"]["submitMissionPlan"]["report"]["id"]

        async def finished() -> str | None:
            report = (await api.graphql(REPORT, {"id": new_id}, user="new-user"))["data"]
            status = report["missionReport"]["status"]
            return None if status == "GENERATING" else str(status)

        assert await wait_until(finished, timeout=30) == "COMPLETED"


async def test_a_database_stopped_before_0006_gets_the_rest_from_the_service_tree(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mission_planner.db"
    load_database_from_before_the_split(path, stop_before_0006=True)
    engines = create_engines(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade_to_head(engines.writer, with_llm_service=True)
        assert await schema_diff(engines.writer, llm_metadata) == []
        async with engines.writer.connect() as conn:
            statuses = (
                await conn.execute(text("SELECT DISTINCT status FROM llm_webhook_outbox"))
            ).scalars()
            assert set(statuses) == {"delivered"}  # every row of that plan had been delivered
    finally:
        await engines.dispose()
