"""The OpenAI-compatible provider against httpx.MockTransport (never the network)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from llm_service.errors import ProviderError
from llm_service.providers import OpenAICompatibleProvider, build_provider
from llm_service.settings import LLMServiceSettings


def provider_with(handler: Callable[[httpx.Request], httpx.Response]) -> OpenAICompatibleProvider:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return OpenAICompatibleProvider(
        client, base_url="https://llm.test/v1/", api_key="sk-test", model="test-model"
    )


async def test_posts_chat_completion_and_reads_usage() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "model": "test-model-2025",
                "choices": [{"message": {"role": "assistant", "content": "## Executive Summary"}}],
                "usage": {"prompt_tokens": 120, "completion_tokens": 340},
            },
        )

    generation = await provider_with(handler).generate(system="sys", user="usr", context={})

    request = seen[0]
    assert str(request.url) == "https://llm.test/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    body = json.loads(request.content)
    assert body["model"] == "test-model" and body["temperature"] == 0.4
    assert body["messages"] == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "usr"},
    ]
    assert generation.text == "## Executive Summary"
    assert (generation.model, generation.input_tokens, generation.output_tokens) == (
        "test-model-2025",
        120,
        340,
    )


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (429, "provider_rate_limited", True),
        (500, "provider_error", True),
        (503, "provider_error", True),
        (408, "provider_error", True),
        (401, "provider_auth_failed", False),
        (400, "provider_rejected", False),
        (404, "provider_rejected", False),
    ],
)
async def test_http_errors_are_classified(status: int, code: str, retryable: bool) -> None:
    provider = provider_with(lambda _request: httpx.Response(status, text="nope"))
    with pytest.raises(ProviderError) as caught:
        await provider.generate(system="s", user="u", context={})
    assert (caught.value.code, caught.value.retryable) == (code, retryable)


@pytest.mark.parametrize("status", [400, 401, 429, 500])
async def test_the_providers_body_stays_out_of_the_message(status: int) -> None:
    body = "upstream db postgresql://llm:S3cr3t@10.0.0.7/prod is down"
    provider = provider_with(lambda _request: httpx.Response(status, text=body))
    with pytest.raises(ProviderError) as caught:
        await provider.generate(system="s", user="u", context={})
    # Our words for the job's error; the provider's, for the log only.
    assert "S3cr3t" not in caught.value.message and "postgresql" not in caught.value.message
    assert "S3cr3t" not in str(caught.value.to_dict())
    assert body in caught.value.detail


async def test_timeouts_and_connection_errors_are_retryable() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    for handler, code in ((timeout, "provider_timeout"), (refused, "provider_unavailable")):
        with pytest.raises(ProviderError) as caught:
            await provider_with(handler).generate(system="s", user="u", context={})
        assert (caught.value.code, caught.value.retryable) == (code, True)


@pytest.mark.parametrize(
    "body",
    [{"choices": []}, {"choices": [{"message": {"content": ""}}]}, {"unexpected": True}],
)
async def test_malformed_responses_are_retryable(body: dict[str, object]) -> None:
    provider = provider_with(lambda _request: httpx.Response(200, json=body))
    with pytest.raises(ProviderError) as caught:
        await provider.generate(system="s", user="u", context={})
    assert caught.value.retryable is True


async def test_settings_select_the_provider() -> None:
    async with httpx.AsyncClient() as client:
        openai = build_provider(LLMServiceSettings(llm_provider="openai"), client)
        offline = build_provider(LLMServiceSettings(), None)
    assert isinstance(openai, OpenAICompatibleProvider)
    assert type(offline).__name__ == "OfflinePlanner"
