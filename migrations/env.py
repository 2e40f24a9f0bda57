"""Alembic environment of the API's tree, async, for SQLite and PostgreSQL alike.

Run from the CLI (`alembic upgrade head`, URL from DATABASE_URL) or from the
app (`infra.db.migrate.upgrade_to_head`), which hands over its own connection.
The steps are those of the LLM service's tree, in `llm_service.alembic_env`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.engine import create_engines
from infra.db.tables import metadata
from infra.settings import Settings
from llm_service.alembic_env import run_environment

# Any constant works: it only has to be the same in every process.
MIGRATION_LOCK_KEY = 7_318_911


def _default_url() -> str:
    return Settings().resolved_database_url


def _writer(url: str) -> AsyncEngine:
    # Migrations write: the writer engine (on SQLite, BEGIN IMMEDIATE). The reader is
    # never connected, so it holds nothing to dispose of.
    return create_engines(url).writer


# The LLM service's tables have their own tree (llm_service/migrations, version table
# llm_alembic_version); embedded, they share this database but not this tree.
run_environment(
    metadata=metadata,
    lock_key=MIGRATION_LOCK_KEY,
    default_url=_default_url,
    engine_for=_writer,
)
