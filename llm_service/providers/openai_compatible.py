"""Any OpenAI-compatible chat completions API: OpenAI, OpenRouter, vLLM, Ollama."""

from __future__ import annotations

from typing import Any

import httpx

from llm_service.errors import ProviderError
from llm_service.providers.base import Generation

# Statuses worth retrying: the same request may succeed once the provider recovers.
_RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})


class OpenAICompatibleProvider:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        api_key: str,
        model: str,
        temperature: float = 0.4,
        timeout_seconds: float = 120.0,
    ) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._api_key = api_key
        self._model = model
        self._temperature = temperature
        self._timeout = timeout_seconds

    async def generate(self, *, system: str, user: str, context: dict[str, Any]) -> Generation:
        payload = {
            "model": self._model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "temperature": self._temperature,
        }
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        try:
            response = await self._client.post(
                self._url, json=payload, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException as exc:
            raise ProviderError(
                "provider_timeout", "the LLM request timed out", retryable=True, detail=repr(exc)
            ) from exc
        except httpx.TransportError as exc:
            raise ProviderError(
                "provider_unavailable",
                "the LLM provider is unreachable",
                retryable=True,
                detail=repr(exc),
            ) from exc
        _raise_for_status(response)
        return self._parse(response)

    def _parse(self, response: httpx.Response) -> Generation:
        try:
            body = response.json()
            text = body["choices"][0]["message"]["content"]
            usage = body.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError(
                "provider_bad_response",
                "the LLM answer has an unexpected shape",
                retryable=True,
                detail=repr(exc),
            ) from exc
        if not isinstance(text, str) or not text.strip():
            raise ProviderError(
                "provider_empty_response", "the LLM returned no text", retryable=True
            )
        return Generation(
            text=text,
            model=str(body.get("model") or self._model),
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
        )


def _raise_for_status(response: httpx.Response) -> None:
    """Our own words in the message; the provider's body, which may hold anything, in detail."""
    status = response.status_code
    if status < 400:
        return
    detail = f"HTTP {status}: {response.text[:300]}"
    if status == 429:
        raise ProviderError(
            "provider_rate_limited",
            "the LLM provider is rate limiting",
            retryable=True,
            detail=detail,
        )
    if status >= 500 or status in _RETRYABLE_STATUSES:
        raise ProviderError(
            "provider_error",
            f"the LLM provider failed (HTTP {status})",
            retryable=True,
            detail=detail,
        )
    if status in (401, 403):
        raise ProviderError(
            "provider_auth_failed",
            f"the LLM provider rejected the credentials (HTTP {status})",
            retryable=False,
            detail=detail,
        )
    raise ProviderError(
        "provider_rejected",
        f"the LLM provider rejected the request (HTTP {status})",
        retryable=False,
        detail=detail,
    )
