"""The `openai` SDK's exceptions as the stable `LLM_*` codes a report shows.

The SDK has already retried what is worth retrying (connection errors, 408, 409,
429 and 5xx, honouring `Retry-After` and `retry-after-ms`) by the time one of these
reaches us, so `retryable` says whether a later attempt of the job may succeed, not
whether to retry now. The provider's own text goes to `detail` (the log) only.
"""

from __future__ import annotations

import openai

from domain.failures import MissionErrorCode as Code
from llm_service.errors import ProviderError

# How OpenAI, OpenRouter, vLLM, llama.cpp and Ollama say the prompt does not fit.
_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
_CONTEXT_PHRASES = ("context length", "context_length", "context window", "too many tokens")
_DETAIL_LIMIT = 500


def provider_error(exc: openai.OpenAIError) -> ProviderError:
    """The job's error for an SDK exception raised by the request or while streaming."""
    detail = _detail(exc)
    if isinstance(exc, openai.APITimeoutError):  # before APIConnectionError: a subclass
        return ProviderError(
            Code.LLM_TIMEOUT, "the model stopped answering", retryable=True, detail=detail
        )
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError(
            Code.LLM_UNAVAILABLE, "the model could not be reached", retryable=True, detail=detail
        )
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc, detail)
    if isinstance(exc, openai.APIError):
        # An error event inside a 200 stream (OpenRouter sends these when the upstream dies).
        return ProviderError(
            Code.LLM_UNAVAILABLE, "the model failed while answering", retryable=True, detail=detail
        )
    return ProviderError(
        Code.LLM_BAD_OUTPUT, "the model's answer could not be read", retryable=True, detail=detail
    )


def bad_output(message: str, detail: str = "") -> ProviderError:
    """A stream that arrived but is no answer: retrying may well get a good one."""
    return ProviderError(
        Code.LLM_BAD_OUTPUT, message, retryable=True, detail=detail[:_DETAIL_LIMIT]
    )


def _status_error(exc: openai.APIStatusError, detail: str) -> ProviderError:
    status = exc.status_code
    if isinstance(exc, openai.RateLimitError):
        return ProviderError(
            Code.LLM_RATE_LIMITED, "the model is rate limiting us", retryable=True, detail=detail
        )
    # 402 is OpenRouter's "out of credits": the operators' account, like a bad key.
    if status in (401, 402, 403):
        return ProviderError(
            Code.LLM_AUTH_FAILED,
            f"the model's API refused our credentials (HTTP {status})",
            retryable=False,
            detail=detail,
        )
    if status == 413 or (status in (400, 422) and _is_context_overflow(exc)):
        return ProviderError(
            Code.LLM_CONTEXT_TOO_LONG,
            "the prompt is longer than the model accepts",
            retryable=False,
            detail=detail,
        )
    if status == 408:
        return ProviderError(Code.LLM_TIMEOUT, "the model timed out", retryable=True, detail=detail)
    if status >= 500 or status == 409:
        return ProviderError(
            Code.LLM_UNAVAILABLE,
            f"the model's API failed (HTTP {status})",
            retryable=True,
            detail=detail,
        )
    return ProviderError(
        Code.LLM_REJECTED,
        f"the model's API rejected the request (HTTP {status})",
        retryable=False,
        detail=detail,
    )


def _is_context_overflow(exc: openai.APIStatusError) -> bool:
    if exc.code in _CONTEXT_CODES:
        return True
    text = f"{exc.message} {exc.body}".lower()
    return any(phrase in text for phrase in _CONTEXT_PHRASES)


def _detail(exc: openai.OpenAIError) -> str:
    """For the log: the exception, its HTTP status and body, and the cause (e.g. ReadTimeout)."""
    parts = [f"{type(exc).__name__}: {exc}"]
    if isinstance(exc, openai.APIStatusError):
        parts.append(f"HTTP {exc.status_code} body={exc.body!r}")
    if exc.__cause__ is not None:
        parts.append(f"cause={exc.__cause__!r}")
    return " ".join(parts)[:_DETAIL_LIMIT]
