"""The port every LLM provider implements: the plan's text as it streams, then its usage."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Protocol

from domain.failures import MissionErrorCode
from llm_service.errors import ProviderError


@dataclass(frozen=True)
class StreamOpened:
    """The provider accepted the request and started answering: from here on the call
    costs (its prompt, then its text), even if it never gets to its usage report."""


@dataclass(frozen=True)
class TextDelta:
    """Text the model appended since the previous delta."""

    text: str


@dataclass(frozen=True)
class Generation:
    """The whole answer: `text` is every delta joined, in order."""

    text: str
    model: str
    input_tokens: int
    output_tokens: int
    # What the provider says the call cost (OpenRouter's usage accounting); None when it
    # did not say, so a price table can fill it in later instead of a guess here.
    cost_usd: float | None = None
    # False when the stream carried no usage (a server that does not send it): the
    # tokens are then counted by estimate (llm_service.usage) rather than as zero.
    usage_reported: bool = True


StreamItem = StreamOpened | TextDelta | Generation


class LLMProvider(Protocol):
    # Providers name the model they ask for in a `model` attribute (see `model_of`): a
    # call that ends before the provider says which model answered is priced as that.
    def stream(
        self, *, system: str, user: str, context: dict[str, Any]
    ) -> AsyncGenerator[StreamItem, None]:
        """Writes the plan: `StreamOpened` once the request is accepted (a provider may
        leave it out), zero or more `TextDelta`s as text arrives, then one `Generation`.

        `context` carries the structured input for providers that use it. Failures raise
        `ProviderError` with a stable `LLM_*` code. Closing the iterator (`aclose()`, or
        cancelling the task that iterates it) releases the connection at once.
        """
        ...


def model_of(provider: object) -> str:
    """The model `provider` asks for; "unknown" for one that does not say."""
    model = getattr(provider, "model", None)
    return model if isinstance(model, str) and model else "unknown"


async def generate(
    provider: LLMProvider,
    *,
    system: str,
    user: str,
    context: dict[str, Any],
    on_text: Callable[[str], Awaitable[None]] | None = None,
    on_open: Callable[[], Awaitable[None]] | None = None,
) -> Generation:
    """The final `Generation` of `provider.stream`; `on_text` gets each delta's text first,
    `on_open` hears of `StreamOpened`."""
    async with aclosing(provider.stream(system=system, user=user, context=context)) as items:
        async for item in items:
            if isinstance(item, Generation):
                return item
            if isinstance(item, StreamOpened):
                if on_open is not None:
                    await on_open()
            elif on_text is not None:
                await on_text(item.text)
    raise ProviderError(
        MissionErrorCode.LLM_BAD_OUTPUT,
        "the provider's stream ended without a result",
        retryable=True,
    )
