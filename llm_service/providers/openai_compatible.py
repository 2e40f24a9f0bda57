"""Any OpenAI-compatible chat completions API, streamed: OpenRouter, OpenAI, vLLM, Ollama.

The official `openai` SDK does the HTTP, the SSE parsing and the retries (with
backoff, honouring `Retry-After`); this module turns its chunks into `TextDelta`s
and one `Generation`, and its exceptions into `LLM_*` codes (openai_errors.py).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import AsyncGenerator
from typing import Any

import httpx2
import openai
import pydantic
from openai import AsyncOpenAI

from llm_service.providers.base import Generation, StreamItem, StreamOpened, TextDelta
from llm_service.providers.openai_errors import bad_output, provider_error
from llm_service.settings import LLMServiceSettings

log = logging.getLogger(__name__)

# The SDK raises these for a chunk that is not JSON or not shaped like one.
_MALFORMED = (json.JSONDecodeError, pydantic.ValidationError, TypeError, AttributeError)
# Keys only servers with no key check see (vLLM, Ollama, llama.cpp): the SDK insists on one.
_NO_KEY = "unused"
# A plan is some 20,000 characters; a server that keeps talking far past that is broken.
MAX_ANSWER_CHARS = 400_000


def build_client(
    settings: LLMServiceSettings, *, http_client: httpx2.AsyncClient | None = None
) -> AsyncOpenAI:
    """The SDK client `settings` describe; `http_client` is for tests (a custom transport)."""
    return AsyncOpenAI(
        base_url=settings.llm_api_base_url,
        api_key=settings.llm_api_key.get_secret_value() or _NO_KEY,
        max_retries=settings.llm_max_retries,
        # `read` bounds the silence between two chunks, so a stalled stream ends; the whole
        # step is bounded by LLM_STEP_TIMEOUT_SECONDS in the engine.
        timeout=httpx2.Timeout(
            settings.llm_read_timeout_seconds, connect=settings.llm_connect_timeout_seconds
        ),
        default_headers=attribution_headers(settings),
        http_client=http_client,
    )


def attribution_headers(settings: LLMServiceSettings) -> dict[str, str]:
    """OpenRouter's app attribution; other servers ignore the headers."""
    headers = {}
    if settings.llm_app_url:
        headers["HTTP-Referer"] = settings.llm_app_url
    if settings.llm_app_title:
        # X-Title is the documented name; X-OpenRouter-Title the newer one that replaces it.
        headers["X-Title"] = settings.llm_app_title
        headers["X-OpenRouter-Title"] = settings.llm_app_title
    return headers


class OpenAICompatibleProvider:
    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        model: str,
        temperature: float = 0.4,
        usage_accounting: bool = True,
    ) -> None:
        self._client = client
        self._model = model
        self._temperature = temperature
        self._usage_accounting = usage_accounting

    @classmethod
    def from_settings(
        cls, settings: LLMServiceSettings, *, http_client: httpx2.AsyncClient | None = None
    ) -> OpenAICompatibleProvider:
        return cls(
            build_client(settings, http_client=http_client),
            model=settings.llm_model,
            temperature=settings.llm_temperature,
            usage_accounting=settings.llm_usage_accounting,
        )

    @property
    def model(self) -> str:
        """The model asked for: what a call that ends before its usage chunk is priced as."""
        return self._model

    async def aclose(self) -> None:
        await self._client.close()

    async def stream(
        self, *, system: str, user: str, context: dict[str, Any]
    ) -> AsyncGenerator[StreamItem, None]:
        try:
            chunks = await self._client.chat.completions.create(
                model=self._model,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                ],
                temperature=self._temperature,
                stream=True,
                stream_options={"include_usage": True},
                # OpenRouter's usage accounting: the last chunk's usage then carries `cost`.
                extra_body={"usage": {"include": True}} if self._usage_accounting else None,
            )
        except openai.OpenAIError as exc:
            raise provider_error(exc) from exc
        # The server answered 200 and streams: the call is paid for from here on.
        yield StreamOpened()
        answer = _Answer(self._model)
        # `async with` closes the response however this ends: done, failed, cancelled
        # (CancelledError lands at the `async for`), or closed early by the consumer.
        async with chunks:
            try:
                async for chunk in chunks:
                    text = answer.add(chunk)
                    if text:
                        yield TextDelta(text)
            except openai.OpenAIError as exc:
                raise provider_error(exc) from exc
            except _MALFORMED as exc:
                raise bad_output(
                    "the model sent a chunk that could not be read", repr(exc)
                ) from exc
        yield answer.generation()


class _Answer:
    """What the chunks said so far: the text, and the model and usage the last one carries."""

    def __init__(self, requested_model: str) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._model = requested_model
        self._usage: Any = None
        self._finish_reason: str | None = None

    def add(self, chunk: Any) -> str:
        """The text this chunk appends (often ""); raises for a chunk of the wrong shape."""
        if isinstance(chunk.model, str) and chunk.model:
            self._model = chunk.model
        if chunk.usage is not None:
            self._usage = chunk.usage
        choices = chunk.choices
        if not isinstance(choices, list):
            raise TypeError(f"choices is a {type(choices).__name__}")
        text = ""
        for choice in choices:
            if getattr(choice, "index", 0) != 0:
                continue  # we ask for one completion; a second would be someone else's text
            content = choice.delta.content
            if content is not None and not isinstance(content, str):
                raise TypeError(f"delta.content is a {type(content).__name__}")
            text += content or ""
            if isinstance(choice.finish_reason, str):
                self._finish_reason = choice.finish_reason
        self._length += len(text)
        if self._length > MAX_ANSWER_CHARS:
            raise bad_output(f"the model's answer is longer than {MAX_ANSWER_CHARS} characters")
        self._parts.append(text)
        return text

    def generation(self) -> Generation:
        text = "".join(self._parts)
        if not text.strip():
            raise bad_output(
                "the model sent an empty answer", f"finish_reason={self._finish_reason}"
            )
        if self._finish_reason == "length":
            log.warning("the model stopped at its output limit; the plan may be cut short")
        usage = self._usage
        return Generation(
            text=text,
            model=self._model,
            input_tokens=_count(getattr(usage, "prompt_tokens", None)),
            output_tokens=_count(getattr(usage, "completion_tokens", None)),
            cost_usd=_cost(getattr(usage, "cost", None)),
            usage_reported=usage is not None,
        )


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _cost(value: object) -> float | None:
    """OpenRouter's `usage.cost` (its credits are US dollars); None unless a sane number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    cost = float(value)
    return cost if math.isfinite(cost) and cost >= 0 else None
