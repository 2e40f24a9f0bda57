"""The npm clients a frontend uses, run by node from tests/e2e/browser_client.

`make test` installs them (`npm ci` from the lockfile); without node or the
package a test skips, and under CI=true it fails instead.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

CLIENT_DIR = Path(__file__).with_name("browser_client")


def skip_or_fail(message: str) -> None:
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def node_script(script: str, package: str) -> list[str]:
    """The command that runs `script` with node, once `package` is installed."""
    node = shutil.which("node")
    if node is None or not (CLIENT_DIR / "node_modules" / package).exists():
        skip_or_fail(f"node or the npm package {package} is missing (make test installs it)")
    return [str(node), str(CLIENT_DIR / script)]


@dataclass
class NodeRun:
    returncode: int | None
    stdout: str
    stderr: str

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


async def run_node(command: list[str], *args: str, timeout: float = 60) -> NodeRun:
    process = await asyncio.create_subprocess_exec(
        *command, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=timeout)
    except TimeoutError:
        process.kill()
        stdout, stderr = await process.communicate()
    return NodeRun(process.returncode, stdout.decode(), stderr.decode())
