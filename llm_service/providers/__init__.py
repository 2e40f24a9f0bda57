"""LLM providers: the offline planner and any OpenAI-compatible chat API."""

from __future__ import annotations

from llm_service.providers.base import (
    Generation,
    LLMProvider,
    StreamItem,
    StreamOpened,
    TextDelta,
    generate,
    model_of,
)
from llm_service.providers.offline import OFFLINE_MODEL, OfflinePlanner
from llm_service.providers.openai_compatible import OpenAICompatibleProvider
from llm_service.settings import LLMServiceSettings

__all__ = [
    "OFFLINE_MODEL",
    "Generation",
    "LLMProvider",
    "OfflinePlanner",
    "OpenAICompatibleProvider",
    "StreamItem",
    "StreamOpened",
    "TextDelta",
    "build_provider",
    "generate",
    "model_of",
]


def build_provider(settings: LLMServiceSettings) -> LLMProvider:
    """The offline planner unless settings ask for the API (a key, or LLM_PROVIDER=openai).

    A network provider holds a connection pool: close it with `aclose()` when done.
    """
    if settings.uses_remote_model:
        return OpenAICompatibleProvider.from_settings(settings)
    return OfflinePlanner(
        settings.budget_tier_usd,
        chunk_delay_seconds=settings.offline_chunk_delay_ms / 1000,
        fail_when_notes_contain=settings.offline_fail_when_notes_contain,
        fail_first_attempts=settings.offline_fail_first_attempts,
    )
