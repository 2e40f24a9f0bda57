"""The API and the LLM service read a hosted database URL the same way (one rule)."""

from __future__ import annotations

import pytest

from infra.settings import Settings
from llm_service.settings import LLMServiceSettings


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@db:5432/app", "postgresql+asyncpg://u:p@db:5432/app"),
        ("postgresql://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("sqlite:///data/app.db", "sqlite+aiosqlite:///data/app.db"),
        ("postgresql+asyncpg://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("sqlite+aiosqlite:///app.db", "sqlite+aiosqlite:///app.db"),
    ],
)
def test_hosted_urls_get_the_async_drivers_in_both_services(given: str, used: str) -> None:
    assert Settings(DATABASE_URL=given).resolved_database_url == used
    assert LLMServiceSettings(LLM_DATABASE_URL=given).database_url == used
