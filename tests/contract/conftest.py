"""One set of repository cases, three backends: the unit tests' fakes, SQLite, PostgreSQL.

A case that passes on SQL but fails on the fake means the fake lies to the unit
tests; fix the fake. PostgreSQL cases carry the `postgres` marker, so under
CI=true an unreachable server fails them instead of skipping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from domain.ports import UnitOfWorkFactory
from infra.db.engine import create_engines
from infra.db.uow import SqlUnitOfWorkFactory
from tests.conftest import (
    SqliteTemplates,
    migrated_postgres_url,
    require_server,
    scratch_postgres_database,
)
from tests.unit.fakes import FakeIntegrityError, FakeUnitOfWorkFactory

WRITTEN_TABLES = ("mission_reports", "mission_events", "notifications", "webhook_receipts")


@dataclass(frozen=True)
class Backend:
    name: str
    uow: UnitOfWorkFactory
    # What a duplicate primary key raises here (the ports leave it to the backend).
    integrity_error: type[Exception]


@pytest.fixture(scope="session")
def contract_postgres_url() -> Iterator[str]:
    """A scratch database of our own: the cases empty its tables before each run."""
    require_server("PostgreSQL", "127.0.0.1", 5432)
    url, drop = scratch_postgres_database("mp_contract")
    yield url
    drop()


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_templates: SqliteTemplates
) -> AsyncIterator[Backend]:
    if request.param == "fake":
        yield Backend("fake", FakeUnitOfWorkFactory(), FakeIntegrityError)
        return
    if request.param == "sqlite":
        path = tmp_path / "contract.db"
        engines = create_engines(
            await sqlite_templates.fresh_database(path, with_llm_service=False)
        )
    else:
        url = await migrated_postgres_url(request.getfixturevalue("contract_postgres_url"))
        engines = create_engines(url)
        async with engines.writer.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(WRITTEN_TABLES)}"))
    yield Backend(request.param, SqlUnitOfWorkFactory(engines.writer), IntegrityError)
    await engines.dispose()
