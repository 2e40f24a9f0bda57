"""The port every LLM provider implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Generation:
    text: str
    model: str
    input_tokens: int
    output_tokens: int


class LLMProvider(Protocol):
    async def generate(self, *, system: str, user: str, context: dict[str, Any]) -> Generation:
        """Writes the plan. `context` carries the structured input for providers that use it."""
        ...
