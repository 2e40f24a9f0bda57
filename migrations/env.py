"""Alembic environment, async, for SQLite and PostgreSQL alike.

Run from the CLI (`alembic upgrade head`, URL from DATABASE_URL) or from the
app (`infra.db.migrate.upgrade_to_head`), which hands over its own connection.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection, text

from infra.db.engine import create_engines
from infra.db.tables import metadata as api_metadata
from infra.settings import Settings

# The LLM service's tables have their own tree (llm_service/migrations, version table
# llm_alembic_version); embedded, they share this database but not this tree.
target_metadata = api_metadata

# Any constant works: it only has to be the same in every process.
MIGRATION_LOCK_KEY = 7_318_911


def run_migrations(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Several API instances may start at once; one migrates, the others wait.
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_is_ours,
    )
    with context.begin_transaction():
        context.run_migrations()


def _is_ours(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate compares only the API's tables, not the embedded service's."""
    return type_ != "table" or name in api_metadata.tables


async def run_async_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or Settings().resolved_database_url
    engines = create_engines(url)
    try:
        async with engines.writer.connect() as conn:
            await conn.run_sync(run_migrations)
            await conn.commit()
    finally:
        await engines.dispose()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
main()
