"""OFFLINE_FAIL_WHEN_NOTES_CONTAIN: the offline planner fails plans on purpose, so the
failure path (a retryable error, the Retry button) can be shown and tested offline."""

from __future__ import annotations

import pytest

from llm_service.errors import ProviderError
from llm_service.providers import OfflinePlanner, build_provider, generate
from llm_service.settings import LLMServiceSettings
from tests.llm_service.conftest import CATALOG, wizard

MARKER = "please-fail"


async def plan(planner: OfflinePlanner, notes: str | None) -> str:
    generation = await generate(
        planner, system="s", user="u", context={"wizard": wizard(notes=notes), "bundles": CATALOG}
    )
    return generation.text


async def test_notes_with_the_marker_fail_as_a_retryable_unavailable_model() -> None:
    planner = OfflinePlanner(fail_when_notes_contain=MARKER)
    with pytest.raises(ProviderError) as failure:
        await plan(planner, f"Our notes: {MARKER} now.")
    assert failure.value.code == "LLM_UNAVAILABLE"
    assert failure.value.retryable is True


async def test_other_notes_and_an_empty_marker_still_plan() -> None:
    assert (await plan(OfflinePlanner(fail_when_notes_contain=MARKER), "calm notes")).startswith(
        "# Mission Plan"
    )
    assert (await plan(OfflinePlanner(), MARKER)).startswith("# Mission Plan")


async def test_the_setting_reaches_the_planner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFLINE_FAIL_WHEN_NOTES_CONTAIN", MARKER)
    provider = build_provider(LLMServiceSettings())
    assert isinstance(provider, OfflinePlanner)
    with pytest.raises(ProviderError):
        await plan(provider, MARKER)
