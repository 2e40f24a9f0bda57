"""`mission-planner migrate` and `mission-planner llm-service migrate`: each tree where it belongs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.cli import app
from llm_service.providers import OfflinePlanner, build_provider
from llm_service.settings import LLMServiceSettings


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("DATABASE_URL", "LLM_DATABASE_URL", "LLM_SERVICE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    return tmp_path


def test_llm_service_migrate_builds_its_own_database_only(clean_env: Path) -> None:
    result = CliRunner().invoke(app, ["llm-service", "migrate"])
    assert result.exit_code == 0, result.output
    assert "latest revision" in result.output
    built = tables(clean_env / "llm_service.db")
    assert {"llm_workflow_jobs", "llm_webhook_outbox", "llm_alembic_version"} <= built
    assert "mission_reports" not in built and "alembic_version" not in built
    assert not (clean_env / "mission_planner.db").exists()


def test_migrate_with_a_remote_llm_service_builds_no_llm_tables(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_SERVICE_URL", "http://llm.internal:8100")
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    built = tables(clean_env / "mission_planner.db")
    assert "mission_reports" in built
    assert not {t for t in built if t.startswith("llm_")}


def test_migrate_with_the_embedded_service_builds_both_trees(clean_env: Path) -> None:
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    built = tables(clean_env / "mission_planner.db")
    assert {
        "mission_reports",
        "alembic_version",
        "llm_workflow_jobs",
        "llm_alembic_version",
    } <= built


def test_the_service_database_url_gets_the_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_DATABASE_URL", "postgres://u:p@db:5432/llm")
    assert LLMServiceSettings().database_url == "postgresql+asyncpg://u:p@db:5432/llm"


def test_offline_chunk_delay_paces_the_offline_planner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFLINE_CHUNK_DELAY_MS", "40")
    provider = build_provider(LLMServiceSettings(llm_provider="offline"))
    assert isinstance(provider, OfflinePlanner)
    assert provider._chunk_delay == pytest.approx(0.04)
