"""Run the Alembic migrations from inside the app, on the app's own engine.

This is the API's tree (migrations/, version table `alembic_version`). The LLM
service has its own (llm_service/migrations, `llm_alembic_version`); with
`with_llm_service=True` (the service embedded in the API's database) both run,
the API's first.
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

from llm_service import migrate as llm_migrate

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade_to_head(engine: AsyncEngine, *, with_llm_service: bool = False) -> None:
    await _run(engine, lambda config: command.upgrade(config, "head"))
    if with_llm_service:
        await llm_migrate.upgrade_to_head(engine)


async def downgrade_to_base(engine: AsyncEngine) -> None:
    await _run(engine, lambda config: command.downgrade(config, "base"))


async def upgrade_to(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, lambda config: command.upgrade(config, revision))


async def downgrade_to(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, lambda config: command.downgrade(config, revision))


async def _run(engine: AsyncEngine, action: Callable[[Config], None]) -> None:
    await llm_migrate.run_on_engine(engine, alembic_config, action)


async def is_at_head(engine: AsyncEngine, *, with_llm_service: bool = False) -> bool:
    """True when the database is at the latest revision, so every table this code uses exists."""
    if with_llm_service and not await llm_migrate.is_at_head(engine):
        return False

    def check(connection: Connection) -> bool:
        heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
        return set(MigrationContext.configure(connection).get_current_heads()) == heads

    async with engine.connect() as conn:
        return await conn.run_sync(check)
