"""The CLI mints dev tokens the running service accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.auth import TokenAuthenticator
from infra.cli import app
from infra.settings import Settings


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
