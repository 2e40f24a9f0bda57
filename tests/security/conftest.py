"""Fixtures for the security suite: the API in-process, and one real server for websockets."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e.server import RunningServer
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.security.helpers import SERVER_WEBHOOK_SECRET


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    """The whole API; the embedded job stalls on its first step, so only our webhooks move it."""
    settings = settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000)
    async with running_api(settings) as harness:
        yield harness


@pytest.fixture
def user_id() -> str:
    return f"sec-{uuid.uuid4().hex[:12]}"


ALLOWED_ORIGIN = "https://app.example.com"


@pytest.fixture(scope="session")
def ws_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The real server (`python -m graph.serve`) with tight websocket limits."""
    running = RunningServer(
        Path(tmp_path_factory.mktemp("security-server")),
        env_overrides={
            "WS_INIT_TIMEOUT_SECONDS": "1",
            "WS_MAX_SUBSCRIPTIONS": "3",
            "ALLOWED_ORIGINS": ALLOWED_ORIGIN,
            # Jobs stall on their first step: only the tests' signed webhooks move them.
            "OFFLINE_STEP_DELAY_MS": "600000",
            "LLM_WEBHOOK_SECRET": SERVER_WEBHOOK_SECRET,
        },
    ).start()
    yield running
    running.stop()
