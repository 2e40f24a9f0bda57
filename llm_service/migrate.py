"""Run the LLM service's own Alembic tree (llm_service/migrations) on an engine.

Standalone, the service migrates its own database (LLM_DATABASE_URL) at start-up;
embedded, the API runs this tree after its own on the shared database.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "llm_alembic_version"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade_to_head(engine: AsyncEngine) -> None:
    await upgrade_to(engine, "head")


async def upgrade_to(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, lambda config: command.upgrade(config, revision))


async def downgrade_to_base(engine: AsyncEngine) -> None:
    await downgrade_to(engine, "base")


async def downgrade_to(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, lambda config: command.downgrade(config, revision))


async def _run(engine: AsyncEngine, action: Callable[[Config], None]) -> None:
    await run_on_engine(engine, alembic_config, action)


async def run_on_engine(
    engine: AsyncEngine, config: Callable[[], Config], action: Callable[[Config], None]
) -> None:
    """Runs `action` (an Alembic command) with a connection of `engine` handed to env.py.

    Both trees run this way (`infra.db.migrate` too): env.py migrates on the caller's
    connection (`llm_service.alembic_env`) instead of opening an engine of its own.
    """

    def in_sync(connection: Connection) -> None:
        configured = config()
        configured.attributes["connection"] = connection
        action(configured)

    async with engine.connect() as conn:
        await conn.run_sync(in_sync)
        await conn.commit()


async def is_at_head(engine: AsyncEngine) -> bool:
    """True when every table and column this code uses exists."""

    def check(connection: Connection) -> bool:
        heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return set(context.get_current_heads()) == heads

    async with engine.connect() as conn:
        return await conn.run_sync(check)
