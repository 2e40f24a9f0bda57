"""Alembic environment of the LLM service's own tree, async, for SQLite and PostgreSQL.

Its version table is `llm_alembic_version`, so this tree and the API's
(`alembic_version`) can share one database when the service is embedded.
Run through `llm_service.migrate`, which hands over a connection, or with the
URL from LLM_DATABASE_URL. The steps are those of the API's tree, in
`llm_service.alembic_env`.
"""

from __future__ import annotations

from llm_service.alembic_env import run_environment
from llm_service.db import create_db_engine
from llm_service.migrate import VERSION_TABLE
from llm_service.settings import LLMServiceSettings
from llm_service.tables import metadata

# Not the API tree's key: the two trees migrate one after the other, never together.
MIGRATION_LOCK_KEY = 7_318_912


def _default_url() -> str:
    return LLMServiceSettings().database_url


run_environment(
    metadata=metadata,
    lock_key=MIGRATION_LOCK_KEY,
    default_url=_default_url,
    engine_for=create_db_engine,
    version_table=VERSION_TABLE,
)
