"""Hand-written providers for the engine tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from llm_service.errors import ProviderError
from llm_service.providers import Generation, OfflinePlanner, StreamItem, TextDelta, generate


class OneShotProvider:
    """A fake whose answer comes in one piece: `stream` yields `generate`'s text, then it."""

    async def generate(self, *, system: str, user: str, context: dict[str, Any]) -> Generation:
        raise NotImplementedError

    async def stream(
        self, *, system: str, user: str, context: dict[str, Any]
    ) -> AsyncGenerator[StreamItem, None]:
        generation = await self.generate(system=system, user=user, context=context)
        yield TextDelta(generation.text)
        yield generation


class GatedProvider(OneShotProvider):
    """Blocks in `generate` until released, so a test can act while a job is mid-run."""

    def __init__(self) -> None:
        self.calls = 0
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.cancelled = 0

    async def generate(self, *, system: str, user: str, context: dict[str, Any]) -> Generation:
        self.calls += 1
        self.entered.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return await generate(OfflinePlanner(), system=system, user=user, context=context)


class FailingProvider(OneShotProvider):
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def generate(self, *, system: str, user: str, context: dict[str, Any]) -> Generation:
        raise self.error


class FixedTextProvider(OneShotProvider):
    def __init__(self, text: str) -> None:
        self.text = text

    async def generate(self, *, system: str, user: str, context: dict[str, Any]) -> Generation:
        return Generation(text=self.text, model="fixed", input_tokens=1, output_tokens=1)


class SlowProvider(OneShotProvider):
    async def generate(self, *, system: str, user: str, context: dict[str, Any]) -> Generation:
        await asyncio.sleep(5)
        raise AssertionError("the step timeout should have fired first")


def rate_limited() -> ProviderError:
    return ProviderError("LLM_RATE_LIMITED", "slow down", retryable=True)
