"""The web client's pure modules (markdown, drafts, field errors, prices) under node --test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI

WEBCLIENT = Path(__file__).parents[2] / "graph" / "webclient"


def test_webclient_modules() -> None:
    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("node is missing")
        pytest.skip("node is missing")
    result = subprocess.run(
        [node, "--test", "test/"], cwd=WEBCLIENT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout
