"""LLM providers: the offline planner and any OpenAI-compatible chat API."""

from __future__ import annotations

import httpx

from llm_service.providers.base import Generation, LLMProvider
from llm_service.providers.offline import OFFLINE_MODEL, OfflinePlanner
from llm_service.providers.openai_compatible import OpenAICompatibleProvider
from llm_service.settings import LLMServiceSettings

__all__ = [
    "OFFLINE_MODEL",
    "Generation",
    "LLMProvider",
    "OfflinePlanner",
    "OpenAICompatibleProvider",
    "build_provider",
]


def build_provider(settings: LLMServiceSettings, client: httpx.AsyncClient | None) -> LLMProvider:
    """The provider `LLM_PROVIDER` names; `client` is only used by network providers."""
    if settings.llm_provider == "openai":
        if client is None:
            raise ValueError("the openai provider needs an httpx.AsyncClient")
        return OpenAICompatibleProvider(
            client,
            base_url=settings.llm_api_base_url,
            api_key=settings.llm_api_key,
            model=settings.llm_model,
            temperature=settings.llm_temperature,
            timeout_seconds=settings.llm_request_timeout_seconds,
        )
    return OfflinePlanner()
