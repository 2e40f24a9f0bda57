"""OFFLINE_FAIL_WHEN_NOTES_CONTAIN: the offline planner fails plans on purpose, so the
failure path (a retryable error, the Retry button) can be shown and tested offline."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from infra.settings import Settings
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


async def test_with_first_attempts_only_a_plans_first_attempts_fail() -> None:
    """OFFLINE_FAIL_FIRST_ATTEMPTS=2: a marked plan fails twice, then its retry plans."""
    planner = OfflinePlanner(fail_when_notes_contain=MARKER, fail_first_attempts=2)
    notes = f"Our notes: {MARKER} now."
    for _ in range(2):
        with pytest.raises(ProviderError):
            await plan(planner, notes)
    assert (await plan(planner, notes)).startswith("# Mission Plan")
    assert (await plan(planner, notes)).startswith("# Mission Plan")
    # Another marked plan (other answers) has its own first attempts.
    with pytest.raises(ProviderError):
        await plan(planner, f"Other notes: {MARKER}.")


async def test_first_attempts_zero_fails_every_attempt() -> None:
    planner = OfflinePlanner(fail_when_notes_contain=MARKER, fail_first_attempts=0)
    for _ in range(3):
        with pytest.raises(ProviderError):
            await plan(planner, MARKER)


async def test_the_first_attempts_setting_reaches_the_planner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OFFLINE_FAIL_WHEN_NOTES_CONTAIN", MARKER)
    monkeypatch.setenv("OFFLINE_FAIL_FIRST_ATTEMPTS", "1")
    provider = build_provider(LLMServiceSettings())
    assert isinstance(provider, OfflinePlanner)
    with pytest.raises(ProviderError):
        await plan(provider, MARKER)
    assert (await plan(provider, MARKER)).startswith("# Mission Plan")


def test_the_knobs_are_off_by_default() -> None:
    settings = LLMServiceSettings()
    assert settings.offline_fail_when_notes_contain == ""
    assert settings.offline_fail_first_attempts == 0
    assert Settings().offline_fail_when_notes_contain == ""


def test_the_api_refuses_the_failure_marker_in_production() -> None:
    with pytest.raises(ValidationError, match="unset it in production"):
        Settings(ENVIRONMENT="production", OFFLINE_FAIL_WHEN_NOTES_CONTAIN=MARKER)
    assert Settings(ENVIRONMENT="development", OFFLINE_FAIL_WHEN_NOTES_CONTAIN=MARKER)
