"""Configuration of the LLM service, read from the environment (names are part of the contract)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from llm_service.db import async_driver_url
from llm_service.plan_request import BUDGET_TIERS

# Dollars a household of each budget tier spends on recommended bundles.
DEFAULT_BUDGET_TIER_USD: Mapping[str, Decimal] = {
    "ESSENTIAL": Decimal("250.00"),
    "STANDARD": Decimal("600.00"),
    "ENHANCED": Decimal("1500.00"),
    "PREMIUM": Decimal("5000.00"),
}
_MAX_BUDGET_USD = Decimal("1000000")


class LLMServiceSettings(BaseSettings):
    """Every field can be passed by name (`LLMServiceSettings(api_secret=...)`) or by env var."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    api_secret: str = Field(default="", validation_alias="LLM_SERVICE_API_SECRET")
    webhook_secret: str = Field(default="", validation_alias="LLM_WEBHOOK_SECRET")
    data_dir: Path = Field(default=Path(".data"), validation_alias="DATA_DIR")
    # Empty means "a SQLite file in data_dir"; filled in by the validator below.
    database_url: str = Field(default="", validation_alias="LLM_DATABASE_URL")

    # "auto": the OpenAI-compatible API when LLM_API_KEY is set, else the offline planner.
    # "openai" forces the API even without a key (vLLM, Ollama and llama.cpp need none).
    llm_provider: Literal["auto", "offline", "openai"] = Field(
        default="auto", validation_alias="LLM_PROVIDER"
    )
    llm_api_base_url: str = Field(
        default="https://openrouter.ai/api/v1", validation_alias="LLM_API_BASE_URL"
    )
    llm_api_key: SecretStr = Field(default=SecretStr(""), validation_alias="LLM_API_KEY")
    llm_model: str = Field(default="anthropic/claude-sonnet-4", validation_alias="LLM_MODEL")
    llm_temperature: float = Field(default=0.4, ge=0, le=2, validation_alias="LLM_TEMPERATURE")
    llm_connect_timeout_seconds: float = Field(
        default=10.0, gt=0, validation_alias="LLM_CONNECT_TIMEOUT_SECONDS"
    )
    # The longest silence allowed between two streamed chunks (and before the first).
    llm_read_timeout_seconds: float = Field(
        default=60.0, gt=0, validation_alias="LLM_READ_TIMEOUT_SECONDS"
    )
    # Retries of one request by the SDK (connection errors, 408, 409, 429, 5xx), with
    # exponential backoff or the server's Retry-After; a stream that broke is not replayed.
    llm_max_retries: int = Field(default=2, ge=0, le=10, validation_alias="LLM_MAX_RETRIES")
    # OpenRouter's app attribution headers (HTTP-Referer, X-Title); empty sends none.
    llm_app_url: str = Field(default="", validation_alias="LLM_APP_URL")
    llm_app_title: str = Field(default="Mission Planner", validation_alias="LLM_APP_TITLE")
    # OpenRouter's usage accounting (`usage: {include: true}`), so the final chunk carries
    # the cost (OpenRouter now reports it unasked and ignores the field; older gateways
    # need it). Turn off for a server that rejects unknown request fields (api.openai.com).
    llm_usage_accounting: bool = Field(default=True, validation_alias="LLM_USAGE_ACCOUNTING")
    offline_step_delay_ms: int = Field(default=300, ge=0, validation_alias="OFFLINE_STEP_DELAY_MS")
    # The offline planner's pause between streamed chunks of its plan (about 120 characters
    # each): 40 ms writes a plan in some 2 s, so its text visibly streams; 0 streams at once.
    offline_chunk_delay_ms: int = Field(
        default=40, ge=0, le=60_000, validation_alias="OFFLINE_CHUNK_DELAY_MS"
    )
    # While the model writes the plan, its text goes out as `workflow.progress` events at
    # most this often (each is a write here and in the API): 0 sends every delta.
    draft_interval_ms: int = Field(
        default=250, ge=0, le=60_000, validation_alias="LLM_DRAFT_INTERVAL_MS"
    )
    # The plan length the progress inside the generation step is measured against: the bar
    # reaches 90% of the step there, then slows, and only the step's end reaches 100%.
    expected_plan_chars: int = Field(
        default=6000, ge=100, le=200_000, validation_alias="LLM_EXPECTED_PLAN_CHARS"
    )
    # The offline planner fails (LLM_UNAVAILABLE, retryable) every plan whose notes
    # contain this text; empty never fails. Shows and tests the failure path without a
    # model: the web client's "failed plan retried" journey sets it. A test and demo
    # knob, off by default; never set it in production.
    offline_fail_when_notes_contain: str = Field(
        default="", max_length=200, validation_alias="OFFLINE_FAIL_WHEN_NOTES_CONTAIN"
    )
    # With the marker: 0 fails every attempt of a marked plan; N fails only each plan's
    # first N attempts (counted per process), so its Retry then succeeds.
    offline_fail_first_attempts: int = Field(
        default=0, ge=0, le=1000, validation_alias="OFFLINE_FAIL_FIRST_ATTEMPTS"
    )

    # "ESSENTIAL=250,STANDARD=600" (or a JSON object); tiers left out keep their default.
    budget_tier_usd: Annotated[dict[str, Decimal], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_BUDGET_TIER_USD), validation_alias="BUDGET_TIER_USD"
    )

    max_concurrent_jobs: int = Field(default=8, ge=1, validation_alias="LLM_MAX_CONCURRENT_JOBS")
    step_timeout_seconds: float = Field(
        default=180.0, gt=0, validation_alias="LLM_STEP_TIMEOUT_SECONDS"
    )
    # A job whose runner stopped heart-beating for this long is taken over by another runner.
    job_lease_seconds: float = Field(default=15.0, gt=0, validation_alias="LLM_JOB_LEASE_SECONDS")
    # Runs of one job (the first plus takeovers after a crash) before it fails for good.
    max_job_attempts: int = Field(default=3, ge=1, validation_alias="LLM_MAX_JOB_ATTEMPTS")

    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, validation_alias="LLM_WEBHOOK_TIMEOUT_SECONDS"
    )
    webhook_retry_base_seconds: float = Field(
        default=0.2, gt=0, validation_alias="LLM_WEBHOOK_RETRY_BASE_SECONDS"
    )
    webhook_retry_max_seconds: float = Field(
        default=600.0, gt=0, validation_alias="LLM_WEBHOOK_RETRY_MAX_SECONDS"
    )
    # Counted from the event's creation; past it a failing delivery is dead, not retried.
    webhook_retry_window_seconds: float = Field(
        default=86_400.0, gt=0, validation_alias="LLM_WEBHOOK_RETRY_WINDOW_SECONDS"
    )
    # Fallback poll for rows written by other instances; local writes wake the sender at once.
    webhook_poll_seconds: float = Field(
        default=2.0, gt=0, validation_alias="LLM_WEBHOOK_POLL_SECONDS"
    )

    @field_validator("budget_tier_usd", mode="before")
    @classmethod
    def _parse_budgets(cls, value: Any) -> dict[str, Decimal]:
        return parse_budget_tiers(value)

    @model_validator(mode="after")
    def _default_database_url(self) -> LLMServiceSettings:
        if not self.database_url:
            path = (self.data_dir / "llm_service.db").resolve()
            self.database_url = f"sqlite+aiosqlite:///{path}"
        self.database_url = async_driver_url(self.database_url)
        return self

    @property
    def uses_remote_model(self) -> bool:
        """Whether plans come from the OpenAI-compatible API rather than the offline planner."""
        if self.llm_provider == "auto":
            return bool(self.llm_api_key.get_secret_value())
        return self.llm_provider == "openai"

    @property
    def step_delay_seconds(self) -> float:
        """The offline planner's visible pause per step; a real LLM is slow enough by itself."""
        if self.uses_remote_model:
            return 0.0
        return self.offline_step_delay_ms / 1000


def parse_budget_tiers(value: Any) -> dict[str, Decimal]:
    """Every tier's budget: the defaults overridden by `value` ("TIER=USD,..." or a mapping)."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value, parse_float=Decimal)
        except ValueError:
            raise ValueError("BUDGET_TIER_USD is not valid JSON") from None
    if isinstance(value, str):
        pairs = [item.partition("=") for item in value.split(",") if item.strip()]
        if any(not sep for _, sep, _ in pairs):
            raise ValueError("BUDGET_TIER_USD must look like ESSENTIAL=250,STANDARD=600")
        value = {tier: amount for tier, _, amount in pairs}
    if not isinstance(value, Mapping):
        raise ValueError("BUDGET_TIER_USD must map budget tiers to dollar amounts")
    budgets = dict(DEFAULT_BUDGET_TIER_USD)
    for tier, amount in value.items():
        name = str(tier).strip().upper()
        if name not in BUDGET_TIERS:
            raise ValueError(f"unknown budget tier {tier!r}; expected one of {BUDGET_TIERS}")
        budgets[name] = _dollars(amount, name)
    return budgets


def _dollars(amount: Any, tier: str) -> Decimal:
    try:
        dollars = Decimal(str(amount).strip())
    except InvalidOperation:
        raise ValueError(f"the {tier} budget {amount!r} is not a dollar amount") from None
    if not (dollars.is_finite() and 0 < dollars <= _MAX_BUDGET_USD):
        raise ValueError(f"the {tier} budget must be more than 0 and at most {_MAX_BUDGET_USD}")
    return dollars.quantize(Decimal("0.01"))
