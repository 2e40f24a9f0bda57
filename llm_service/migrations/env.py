"""Alembic environment of the LLM service's own tree, async, for SQLite and PostgreSQL.

Its version table is `llm_alembic_version`, so this tree and the API's
(`alembic_version`) can share one database when the service is embedded.
Run through `llm_service.migrate`, which hands over a connection, or with the
URL from LLM_DATABASE_URL.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection, text

from llm_service.db import create_db_engine
from llm_service.migrate import VERSION_TABLE
from llm_service.settings import LLMServiceSettings
from llm_service.tables import metadata

# Not the API tree's key: the two trees migrate one after the other, never together.
MIGRATION_LOCK_KEY = 7_318_912


def run_migrations(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Several service instances may start at once; one migrates, the others wait.
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_is_ours,
    )
    with context.begin_transaction():
        context.run_migrations()


def _is_ours(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate compares only this tree's tables: the API's share the database."""
    return type_ != "table" or name in metadata.tables


async def run_async_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or LLMServiceSettings().database_url
    engine = create_db_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(run_migrations)
            await conn.commit()
    finally:
        await engine.dispose()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
main()
