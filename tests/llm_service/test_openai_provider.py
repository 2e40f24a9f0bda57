"""The OpenAI-compatible provider (the official SDK) against a fake server on a loopback socket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from llm_service.errors import ProviderError
from llm_service.providers import (
    Generation,
    OfflinePlanner,
    OpenAICompatibleProvider,
    TextDelta,
    build_provider,
    generate,
)
from llm_service.settings import LLMServiceSettings
from tests.support.fake_openai import MODEL, PARTS, SERVED_MODEL, USAGE, FakeOpenAI, Reply
from tests.support.fake_openai import running_fake_openai as running_fake
from tests.support.waiting import wait_until

SYSTEM, USER = "You write mission plans.", "A family of four in Miami."
SECRET_BODY = "upstream db postgresql://llm:S3cr3t@10.0.0.7/prod is down"


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with running_fake() as server:
        yield server


def provider_for(fake: FakeOpenAI, **overrides: Any) -> OpenAICompatibleProvider:
    values: dict[str, Any] = {
        "llm_api_base_url": fake.base_url,
        "llm_api_key": "sk-or-test",
        "llm_model": MODEL,
        "llm_max_retries": 2,
        "llm_read_timeout_seconds": 5.0,
        "llm_app_url": "https://planner.example",
        "llm_app_title": "Mission Planner",
        **overrides,
    }
    return OpenAICompatibleProvider.from_settings(LLMServiceSettings(**values))


async def streamed(provider: OpenAICompatibleProvider) -> tuple[list[str], Generation]:
    deltas: list[str] = []
    try:
        async for item in provider.stream(system=SYSTEM, user=USER, context={}):
            if isinstance(item, TextDelta):
                deltas.append(item.text)
            elif isinstance(item, Generation):
                return deltas, item
    finally:
        await provider.aclose()
    raise AssertionError("the stream ended without a Generation")


async def failure(provider: OpenAICompatibleProvider) -> tuple[ProviderError, list[str]]:
    deltas: list[str] = []
    with pytest.raises(ProviderError) as caught:
        try:
            async for item in provider.stream(system=SYSTEM, user=USER, context={}):
                if isinstance(item, TextDelta):
                    deltas.append(item.text)
        finally:
            await provider.aclose()
    return caught.value, deltas


# --- a good stream -----------------------------------------------------------------


async def test_streams_the_deltas_then_the_generation_with_usage_and_cost(
    fake: FakeOpenAI,
) -> None:
    deltas, generation = await streamed(provider_for(fake))

    assert deltas == list(PARTS)
    assert generation.text == "".join(deltas)
    assert (generation.model, generation.input_tokens, generation.output_tokens) == (
        SERVED_MODEL,
        USAGE["prompt_tokens"],
        USAGE["completion_tokens"],
    )
    assert generation.cost_usd == USAGE["cost"]


async def test_the_request_asks_for_a_stream_with_usage_and_carries_attribution(
    fake: FakeOpenAI,
) -> None:
    await streamed(provider_for(fake))

    [request] = fake.requests
    assert request.headers["authorization"] == "Bearer sk-or-test"
    assert request.headers["http-referer"] == "https://planner.example"
    assert request.headers["x-title"] == "Mission Planner"
    body = request.body
    assert body["model"] == MODEL and body["temperature"] == 0.4
    assert body["messages"] == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": USER},
    ]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["usage"] == {"include": True}  # OpenRouter's usage accounting


async def test_without_usage_accounting_the_body_has_no_usage_field(fake: FakeOpenAI) -> None:
    await streamed(provider_for(fake, llm_usage_accounting=False, llm_app_url=""))

    [request] = fake.requests
    assert "usage" not in request.body
    assert "http-referer" not in request.headers


async def test_a_usage_chunk_without_cost_gives_no_cost(fake: FakeOpenAI) -> None:
    fake.default = Reply(usage={"prompt_tokens": 7, "completion_tokens": 9})
    _, generation = await streamed(provider_for(fake))
    assert (generation.input_tokens, generation.output_tokens, generation.cost_usd) == (7, 9, None)


async def test_a_stream_without_a_usage_chunk_counts_zero_tokens(fake: FakeOpenAI) -> None:
    fake.default = Reply(usage=None)
    _, generation = await streamed(provider_for(fake))
    assert generation.text == "".join(PARTS)
    assert (generation.input_tokens, generation.output_tokens, generation.cost_usd) == (0, 0, None)


# --- rate limits and retries -------------------------------------------------------


async def test_a_429_is_retried_after_the_servers_retry_after(fake: FakeOpenAI) -> None:
    fake.replies = [Reply.http_error(429, "slow down", headers={"Retry-After": "1"})]

    _, generation = await streamed(provider_for(fake))

    first, second = fake.requests
    assert second.at - first.at >= 0.95  # the SDK waited the second it was told to
    assert generation.text == "".join(PARTS)


async def test_429s_past_the_retries_fail_as_rate_limited_and_retryable(
    fake: FakeOpenAI,
) -> None:
    limited = Reply.http_error(429, SECRET_BODY, headers={"retry-after-ms": "100"})
    fake.replies = [limited] * 3

    error, _ = await failure(provider_for(fake, llm_max_retries=2))

    assert (error.code, error.retryable) == ("LLM_RATE_LIMITED", True)
    assert len(fake.requests) == 3  # the first try and two retries
    gaps = [b.at - a.at for a, b in zip(fake.requests, fake.requests[1:], strict=False)]
    assert min(gaps) >= 0.09
    # Our words for the job's error; the provider's, for the log only.
    assert "S3cr3t" not in error.message and "S3cr3t" not in str(error.to_dict())
    assert "S3cr3t" in error.detail


async def test_a_503_is_retried_and_then_succeeds(fake: FakeOpenAI) -> None:
    fake.replies = [Reply.http_error(503, headers={"retry-after-ms": "10"})]
    _, generation = await streamed(provider_for(fake, llm_max_retries=1))
    assert len(fake.requests) == 2 and generation.text == "".join(PARTS)


# --- HTTP errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "code", "retryable"),
    [
        (Reply.http_error(401, "invalid api key"), "LLM_AUTH_FAILED", False),
        (Reply.http_error(403, "forbidden"), "LLM_AUTH_FAILED", False),
        (Reply.http_error(402, "insufficient credits"), "LLM_AUTH_FAILED", False),
        (
            Reply.http_error(400, "too long", code="context_length_exceeded"),
            "LLM_CONTEXT_TOO_LONG",
            False,
        ),
        (  # vLLM and OpenRouter say it in words only
            Reply.http_error(400, "This model's maximum context length is 8192 tokens."),
            "LLM_CONTEXT_TOO_LONG",
            False,
        ),
        (Reply.http_error(400, "unknown field"), "LLM_REJECTED", False),
        (Reply.http_error(404, "no such model"), "LLM_REJECTED", False),
        (Reply.http_error(500, SECRET_BODY), "LLM_UNAVAILABLE", True),
        (Reply.http_error(503, "overloaded"), "LLM_UNAVAILABLE", True),
    ],
)
async def test_http_errors_become_stable_codes(
    fake: FakeOpenAI, reply: Reply, code: str, retryable: bool
) -> None:
    fake.default = reply

    error, _ = await failure(provider_for(fake, llm_max_retries=0))

    assert (error.code, error.retryable) == (code, retryable)
    assert "S3cr3t" not in error.message and "postgresql" not in error.message


async def test_an_auth_failure_is_not_retried(fake: FakeOpenAI) -> None:
    fake.default = Reply.http_error(401, "invalid api key")
    error, _ = await failure(provider_for(fake, llm_max_retries=2))
    assert error.code == "LLM_AUTH_FAILED" and len(fake.requests) == 1


async def test_an_unreachable_server_is_unavailable_and_retryable(fake: FakeOpenAI) -> None:
    closed_port = fake.base_url.replace("/v1", "").rsplit(":", 1)[0] + ":9/v1"
    provider = provider_for(fake, llm_api_base_url=closed_port, llm_max_retries=0)
    error, _ = await failure(provider)
    assert (error.code, error.retryable) == ("LLM_UNAVAILABLE", True)


# --- a stream that goes wrong midway -----------------------------------------------


async def test_a_stream_that_stalls_past_the_read_timeout_is_a_timeout(fake: FakeOpenAI) -> None:
    fake.default = Reply(stall_after=2)

    started = time.monotonic()
    error, deltas = await failure(provider_for(fake, llm_read_timeout_seconds=0.5))

    assert (error.code, error.retryable) == ("LLM_TIMEOUT", True)
    assert deltas == list(PARTS[:2])  # what came before the stall was passed on
    assert time.monotonic() - started < 5
    assert len(fake.requests) == 1  # a broken stream is never replayed
    await _wait_for_disconnect(fake)


async def test_a_dropped_connection_is_unavailable_and_retryable(fake: FakeOpenAI) -> None:
    fake.default = Reply(drop_after=2)

    error, deltas = await failure(provider_for(fake))

    assert (error.code, error.retryable) == ("LLM_UNAVAILABLE", True)
    assert deltas == list(PARTS[:2])


@pytest.mark.parametrize(
    "raw",
    [
        '{"choices": [{"delta": {"content": "unterminated',  # not JSON
        '{"choices": "not a list"}',
        '{"choices": [{"index": 0, "delta": {"content": 42}}]}',
    ],
)
async def test_a_malformed_chunk_is_bad_output(fake: FakeOpenAI, raw: str) -> None:
    fake.default = Reply(raw_after=1, raw=raw)
    error, _ = await failure(provider_for(fake))
    assert (error.code, error.retryable) == ("LLM_BAD_OUTPUT", True)


async def test_an_error_event_inside_the_stream_is_unavailable(fake: FakeOpenAI) -> None:
    # OpenRouter reports an upstream failure after the 200 as a chunk with `error`.
    fake.default = Reply(raw_after=1, raw='{"error": {"message": "upstream died", "code": 502}}')
    error, _ = await failure(provider_for(fake))
    assert (error.code, error.retryable) == ("LLM_UNAVAILABLE", True)


@pytest.mark.parametrize("parts", [(), ("", "  \n")])
async def test_an_empty_completion_is_bad_output(fake: FakeOpenAI, parts: tuple[str, ...]) -> None:
    fake.default = Reply(parts=parts)
    error, _ = await failure(provider_for(fake))
    assert (error.code, error.retryable) == ("LLM_BAD_OUTPUT", True)


# --- cancel ------------------------------------------------------------------------


async def test_cancelling_the_consumer_closes_the_connection_within_a_second(
    fake: FakeOpenAI,
) -> None:
    fake.default = Reply(parts=tuple(f"word{n} " for n in range(400)), interval=0.05)
    provider = provider_for(fake)
    first_delta = asyncio.Event()

    async def consume() -> None:
        async for item in provider.stream(system=SYSTEM, user=USER, context={}):
            if isinstance(item, TextDelta):
                first_delta.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_delta.wait(), timeout=10)
    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    await _wait_for_disconnect(fake)
    assert fake.disconnects[0] - cancelled_at < 1.0
    await provider.aclose()


async def test_generate_closes_the_stream_it_reads(fake: FakeOpenAI) -> None:
    provider = provider_for(fake)
    generation = await generate(provider, system=SYSTEM, user=USER, context={})
    await provider.aclose()
    assert generation.text == "".join(PARTS) and generation.cost_usd == USAGE["cost"]


async def _wait_for_disconnect(fake: FakeOpenAI) -> None:
    await wait_until(
        lambda: fake.disconnects, timeout=1.0, what="the fake server to see the stream closed"
    )


# --- inside the service -----------------------------------------------------------


async def test_the_service_writes_the_plan_with_the_configured_api(
    fake: FakeOpenAI, start_service: Callable[..., Any]
) -> None:
    settings = {"llm_api_base_url": fake.base_url, "llm_api_key": "sk-or-test"}
    async with start_service(**settings) as service:
        job = await service.wait_for_status(await service.submit(), "completed")

    output = job["result"]
    assert output["mission_plan"] == "".join(PARTS)
    usage = output["llm_usage"]
    assert (usage["model"], usage["input_tokens"], usage["output_tokens"]) == (
        SERVED_MODEL,
        USAGE["prompt_tokens"],
        USAGE["completion_tokens"],
    )
    assert usage["cost_usd"] == USAGE["cost"]
    assert fake.requests[0].body["model"] == MODEL


async def test_a_refused_key_fails_the_job_with_a_code_and_no_retry(
    fake: FakeOpenAI, start_service: Callable[..., Any]
) -> None:
    fake.default = Reply.http_error(401, SECRET_BODY)
    settings = {"llm_api_base_url": fake.base_url, "llm_api_key": "sk-or-revoked"}
    async with start_service(**settings) as service:
        job = await service.wait_for_status(await service.submit(), "failed")

    assert job["error"]["code"] == "LLM_AUTH_FAILED" and job["error"]["retryable"] is False
    assert "S3cr3t" not in str(job)


# --- which provider ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, OfflinePlanner),
        ({"llm_api_key": "sk-or-1"}, OpenAICompatibleProvider),
        ({"llm_provider": "openai"}, OpenAICompatibleProvider),  # a local server needs no key
        ({"llm_provider": "offline", "llm_api_key": "sk-or-1"}, OfflinePlanner),
    ],
)
async def test_settings_select_the_provider(settings: dict[str, Any], expected: type) -> None:
    provider = build_provider(LLMServiceSettings(**settings))
    assert isinstance(provider, expected)
    if isinstance(provider, OpenAICompatibleProvider):
        await provider.aclose()


def test_the_api_key_stays_out_of_the_settings_repr() -> None:
    assert "sk-or-secret" not in repr(LLMServiceSettings(llm_api_key="sk-or-secret"))
