"""What both Alembic environments do: the API's (migrations/) and the LLM service's.

Both trees migrate async, on SQLite and PostgreSQL alike, either on a connection the
caller hands over (`config.attributes["connection"]`, from `infra.db.migrate` or
`llm_service.migrate`) or on an engine of their own (the `alembic` CLI). Here, beside
`llm_service.db`, for the same reason: the API depends on the LLM service and the
service must never import the API's `infra`. Only Alembic and SQLAlchemy are needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alembic import context
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine


def run_environment(
    *,
    metadata: MetaData,
    lock_key: int,
    default_url: Callable[[], str],
    engine_for: Callable[[str], AsyncEngine],
    version_table: str = "alembic_version",
) -> None:
    """Migrate the tree of `metadata`, which keeps its revision in `version_table`.

    `lock_key` is the tree's PostgreSQL advisory lock: several instances may start at
    once; one migrates, the others wait. `default_url` is read only when the CLI names
    no URL and no connection is handed over.
    """
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported; run against a database")

    def is_ours(name: str | None, type_: str, parent_names: object) -> bool:
        """Autogenerate compares only this tree's tables: the other tree's share the database."""
        return type_ != "table" or name in metadata.tables

    def migrate(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key})
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=version_table,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=is_ours,
        )
        with context.begin_transaction():
            context.run_migrations()

    connection = context.config.attributes.get("connection")
    if connection is not None:
        migrate(connection)
    else:
        url = context.config.get_main_option("sqlalchemy.url") or default_url()
        asyncio.run(_migrate_on_own_engine(engine_for(url), migrate))


async def _migrate_on_own_engine(
    engine: AsyncEngine, migrate: Callable[[Connection], None]
) -> None:
    try:
        async with engine.connect() as conn:
            await conn.run_sync(migrate)
            await conn.commit()
    finally:
        await engine.dispose()
