"""The CLI: dev tokens the running service accepts, and the admin jobs cleanup."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from infra.auth import TokenAuthenticator
from infra.cli import app
from infra.db.engine import create_engines
from infra.settings import Settings
from tests.conftest import free_port
from tests.e2e.client import REPORT
from tests.integration.cleanup_data import cleanup_scene, job_exists, receipts_of
from tests.integration.harness import ApiHarness, running_api, settings_for


def test_token_is_signed_with_the_configured_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_JWT_SECRET", "cli-secret-0123456789-0123456789-abcdef")
    result = CliRunner().invoke(app, ["token", "alice", "--admin", "--ttl-hours", "1"])
    assert result.exit_code == 0, result.output
    viewer = TokenAuthenticator("cli-secret-0123456789-0123456789-abcdef").viewer_from_token(
        result.output.strip()
    )
    assert viewer.user_id == "alice" and viewer.is_admin is True


def test_without_a_secret_the_token_uses_the_one_generated_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AUTH_JWT_SECRET", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["token", "bob"])
    assert result.exit_code == 0, result.output
    secret = Settings().jwt_secret
    assert (tmp_path / "jwt_secret.txt").read_text().strip() == secret
    viewer = TokenAuthenticator(secret).viewer_from_token(result.output.strip())
    assert viewer.user_id == "bob" and viewer.is_admin is False


# --- jobs cleanup ----------------------------------------------------------------------


@pytest.fixture
async def cleanup_api(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ApiHarness]:
    """The API, and the environment that points the CLI at the same database and secrets."""
    settings = settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=0)
    for name in ("DATABASE_URL", "DATA_DIR", "AUTH_JWT_SECRET", "LLM_SERVICE_API_SECRET"):
        monkeypatch.setenv(name, str(getattr(settings, name.lower())))
    monkeypatch.setenv("LLM_WEBHOOK_SECRET", settings.webhook_secrets[0])
    monkeypatch.delenv("LLM_SERVICE_URL", raising=False)
    async with running_api(settings) as harness:
        yield harness


async def run_cli(*args: str) -> Result:
    # The command runs its own event loop (asyncio.run), so not on the test's.
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


def table_rows(output: str) -> dict[str, tuple[int, int]]:
    """{kind: (matched, deleted)} from the printed table."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if len(cells) == 3 and cells[1].isdigit():
            rows[cells[0]] = (int(cells[1]), int(cells[2]))
    return rows


async def test_jobs_cleanup_dry_run_prints_the_table_and_a_real_run_deletes(
    cleanup_api: ApiHarness, database_url: str
) -> None:
    engines = create_engines(database_url)
    engine = engines.writer
    try:
        assert (await run_cli("jobs", "cleanup", "--older-than-days", "7")).exit_code == 0
        scene = await cleanup_scene(cleanup_api, engine)

        dry = await run_cli("jobs", "cleanup", "--older-than-days", "7", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert "Jobs cleanup: dry run, nothing deleted" in dry.output
        assert f"cutoff {(datetime.now(UTC) - timedelta(days=7)):%Y-%m-%dT%H:}" in dry.output
        assert table_rows(dry.output) == {
            "finished jobs (LLM service)": (1, 0),
            "webhook deliveries (LLM service)": (scene.old_deliveries, 0),
            "webhook receipts (API)": (scene.old_receipts, 0),
        }
        assert await job_exists(engine, scene.old_job)

        real = await run_cli("jobs", "cleanup", "--older-than-days", "7")
        assert real.exit_code == 0, real.output
        assert "Jobs cleanup: deleted" in real.output and "dry run" not in real.output
        assert table_rows(real.output) == {
            "finished jobs (LLM service)": (1, 1),
            "webhook deliveries (LLM service)": (scene.old_deliveries, scene.old_deliveries),
            "webhook receipts (API)": (scene.old_receipts, scene.old_receipts),
        }
        assert not await job_exists(engine, scene.old_job)
        assert await receipts_of(engine, scene.old_job) == 0
        for job_id in (scene.new_job, *scene.active_jobs):
            assert await job_exists(engine, job_id)
        body = await cleanup_api.graphql(REPORT, {"id": scene.old_report}, user=scene.user)
        assert body["data"]["missionReport"]["status"] == "COMPLETED"
    finally:
        await engines.dispose()


@pytest.mark.parametrize("days", ["-1", "3651"])
async def test_jobs_cleanup_refuses_days_out_of_range_without_a_traceback(
    cleanup_api: ApiHarness, days: str
) -> None:
    result = await run_cli("jobs", "cleanup", "--older-than-days", days)
    assert result.exit_code == 2
    assert result.stdout.strip() == "--older-than-days must be between 0 and 3650 days"


def test_jobs_cleanup_on_a_database_never_migrated_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("DATABASE_URL", "LLM_SERVICE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["jobs", "cleanup", "--dry-run"])
    assert result.exit_code == 1
    assert " ".join(result.stdout.split()) == (
        "The database is not at the latest revision: run `mission-planner migrate` first. "
        "Nothing was deleted."
    )


def test_migrate_against_an_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"postgresql+asyncpg://u:p@127.0.0.1:{free_port()}/none")
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # not the connection error, raised on
    assert result.stdout.splitlines() == [
        "The database cannot be used (ConnectionRefusedError); nothing was migrated."
    ]


@pytest.mark.parametrize("command", [["token"], ["migrate"], ["jobs", "cleanup", "--dry-run"]])
def test_a_bad_setting_is_one_line_naming_it_not_its_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: list[str]
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LLM_TIMEOUT_SECONDS", "secret-looking-value")
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    [line] = result.stdout.splitlines()
    assert line.startswith("Setting LLM_TIMEOUT_SECONDS: Input should be a valid number")
    assert "secret-looking-value" not in result.stdout
