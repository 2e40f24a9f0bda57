"""Cost of a generation from the model's published per-million-token prices."""

from __future__ import annotations

from domain.jobs import LLMUsage

# USD per million tokens (input, output). Unknown models get no cost rather than a guess.
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "offline-planner-v1": (0.0, 0.0),
    "openai/gpt-4o-mini": (0.15, 0.60),
    "gpt-4o-mini": (0.15, 0.60),
    "openai/gpt-4o": (2.50, 10.00),
    "gpt-4o": (2.50, 10.00),
    "anthropic/claude-3.5-sonnet": (3.00, 15.00),
    "anthropic/claude-3.5-haiku": (0.80, 4.00),
    "google/gemini-flash-1.5": (0.075, 0.30),
    "meta-llama/llama-3.1-70b-instruct": (0.35, 0.40),
}


def cost_usd(usage: LLMUsage) -> float | None:
    prices = PRICES_PER_MILLION.get(usage.model)
    if prices is None:
        return None
    input_price, output_price = prices
    cost = (usage.input_tokens * input_price + usage.output_tokens * output_price) / 1_000_000
    return round(cost, 6)
