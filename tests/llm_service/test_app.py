"""App construction: settings, standalone mode, the SQLite engine."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from llm_service import app as app_module
from llm_service.app import create_app
from llm_service.settings import LLMServiceSettings
from tests.llm_service.conftest import API_SECRET, WEBHOOK_SECRET, make_settings, workflow_body


def test_settings_read_the_contract_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LLM_SERVICE_API_SECRET", "from-env")
    monkeypatch.setenv("LLM_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OFFLINE_STEP_DELAY_MS", "0")
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    settings = LLMServiceSettings()
    assert settings.api_secret == "from-env" and settings.webhook_secret == WEBHOOK_SECRET
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/llm_service.db"
    assert settings.llm_provider == "openai" and settings.step_delay_seconds == 0


def test_step_delay_only_applies_offline() -> None:
    assert LLMServiceSettings(offline_step_delay_ms=300).step_delay_seconds == 0.3
    assert LLMServiceSettings(llm_provider="openai").step_delay_seconds == 0


@pytest.mark.parametrize(
    "overrides",
    [{"api_secret": ""}, {"webhook_secret": ""}, {"webhook_secret": "whsec_"}],
)
def test_missing_secrets_fail_at_construction(tmp_path: Path, overrides: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        create_app(make_settings(tmp_path, **overrides))


async def test_standalone_app_creates_its_own_tables_and_engine(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url="")
    app = create_app(settings, migrate_schema=True)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app),
            base_url="http://llm.test",
            headers={"X-API-Secret": API_SECRET},
        ) as client:
            response = await client.post("/api/v1/workflow", json=workflow_body())
    assert response.status_code == 202
    assert (tmp_path / "llm_service.db").exists()


def test_module_app_is_built_lazily_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LLM_SERVICE_API_SECRET", API_SECRET)
    monkeypatch.setenv("LLM_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    app_module._standalone_app.cache_clear()
    try:
        assert app_module.app is app_module.app
    finally:
        app_module._standalone_app.cache_clear()
