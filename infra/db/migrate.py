"""Run the Alembic migrations from inside the app, on the app's own engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade_to_head(engine: AsyncEngine) -> None:
    await _run(engine, lambda config: command.upgrade(config, "head"))


async def downgrade_to_base(engine: AsyncEngine) -> None:
    await _run(engine, lambda config: command.downgrade(config, "base"))


async def upgrade_to(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, lambda config: command.upgrade(config, revision))


async def downgrade_to(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, lambda config: command.downgrade(config, revision))


async def _run(engine: AsyncEngine, action) -> None:  # type: ignore[no-untyped-def]
    def in_sync(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        action(config)

    async with engine.connect() as conn:
        await conn.run_sync(in_sync)
        await conn.commit()


async def is_at_head(engine: AsyncEngine) -> bool:
    """True when the database is at the latest revision, so every table this code uses exists."""

    def check(connection: Connection) -> bool:
        heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
        return set(MigrationContext.configure(connection).get_current_heads()) == heads

    async with engine.connect() as conn:
        return await conn.run_sync(check)
