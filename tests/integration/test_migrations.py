"""Every revision upgrades and downgrades, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from infra.db.engine import create_engines
from infra.db.migrate import downgrade_to_base, upgrade_to_head
from tests.conftest import scratch_postgres_database

API_TABLES = {"mission_reports", "mission_events", "notifications", "webhook_receipts", "bundles"}
LLM_TABLES = {"llm_workflow_jobs", "llm_webhook_outbox"}


async def table_names(engine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def roundtrip(url: str) -> None:
    engines = create_engines(url)
    try:
        await upgrade_to_head(engines.writer)
        assert API_TABLES | LLM_TABLES <= await table_names(engines.writer)
        await downgrade_to_base(engines.writer)
        assert not (API_TABLES | LLM_TABLES) & await table_names(engines.writer)
        await upgrade_to_head(engines.writer)  # and back up again, cleanly
        assert API_TABLES | LLM_TABLES <= await table_names(engines.writer)
    finally:
        await engines.dispose()


async def test_migrations_roundtrip_on_sqlite(tmp_path: Path) -> None:
    await roundtrip(f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}")


@pytest.mark.postgres
async def test_migrations_roundtrip_on_postgres(postgres_url: str) -> None:
    # A database of its own, so the session's shared database stays migrated.
    url, drop = scratch_postgres_database("mp_migrations")
    try:
        await roundtrip(url)
    finally:
        drop()
