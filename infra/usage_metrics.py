"""Prometheus counters of what generations used, by model (served on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter

from domain.usage import AttemptUsage

TOKENS = Counter(
    "mission_planner_llm_tokens",
    "Tokens the LLM used, per stored attempt (retried and cancelled ones included).",
    ["model", "kind"],
)
COST = Counter(
    "mission_planner_llm_cost_usd",
    "US dollars the LLM cost, per stored attempt (provider-reported, else the price table).",
    ["model"],
)
ESTIMATED_TOKENS = Counter(
    "mission_planner_llm_estimated_tokens",
    "Of mission_planner_llm_tokens, those estimated: calls that ended before the "
    "provider reported their usage (cancelled, dropped, stalled, worker died).",
    ["model", "kind"],
)
# Each label value is a time series kept forever: past this many models, "other".
MAX_MODEL_LABELS = 50
OTHER_MODEL = "other"


class PrometheusUsageMeter:
    def __init__(self) -> None:
        self._models: set[str] = set()

    def count(self, usage: AttemptUsage) -> None:
        for step in usage.steps:
            model = self._label(step.model)
            TOKENS.labels(model=model, kind="input").inc(step.input_tokens)
            TOKENS.labels(model=model, kind="output").inc(step.output_tokens)
            COST.labels(model=model).inc(step.cost_usd or 0.0)
            if step.estimated:
                ESTIMATED_TOKENS.labels(model=model, kind="input").inc(step.input_tokens)
                ESTIMATED_TOKENS.labels(model=model, kind="output").inc(step.output_tokens)

    def _label(self, model: str) -> str:
        if model in self._models:
            return model
        if len(self._models) >= MAX_MODEL_LABELS:
            return OTHER_MODEL
        self._models.add(model)
        return model
