"""The API with the embedded LLM service on a metered fake model and a price table."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.integration.usage.metered import MeteredProvider


@pytest.fixture
def provider() -> MeteredProvider:
    return MeteredProvider()


@pytest.fixture
def prices_file(tmp_path: Path) -> Path:
    path = tmp_path / "prices.json"
    models = {
        "test/listed": {"input_per_million": 3.0, "output_per_million": 15.0},
        "openai/gpt-4o-mini": {"input_per_million": 0.15, "output_per_million": 0.6},
    }
    path.write_text(json.dumps({"models": models}))
    return path


@pytest.fixture
async def api(
    database_url: str, tmp_path: Path, provider: MeteredProvider, prices_file: Path
) -> AsyncIterator[ApiHarness]:
    settings = settings_for(
        database_url, tmp_path, OFFLINE_STEP_DELAY_MS=0, LLM_PRICES_FILE=str(prices_file)
    )
    async with running_api(settings, llm_provider=provider) as harness:
        yield harness
