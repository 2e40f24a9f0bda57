"""Configuration of the LLM service, read from the environment names of DESIGN.md."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class LLMServiceSettings(BaseSettings):
    """Every field can be passed by name (`LLMServiceSettings(api_secret=...)`) or by env var."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    api_secret: str = Field(default="", validation_alias="LLM_SERVICE_API_SECRET")
    webhook_secret: str = Field(default="", validation_alias="LLM_WEBHOOK_SECRET")
    data_dir: Path = Field(default=Path(".data"), validation_alias="DATA_DIR")
    # Empty means "a SQLite file in data_dir"; filled in by the validator below.
    database_url: str = Field(default="", validation_alias="LLM_DATABASE_URL")

    llm_provider: Literal["offline", "openai"] = Field(
        default="offline", validation_alias="LLM_PROVIDER"
    )
    llm_api_base_url: str = Field(
        default="https://openrouter.ai/api/v1", validation_alias="LLM_API_BASE_URL"
    )
    llm_api_key: str = Field(default="", validation_alias="LLM_API_KEY")
    llm_model: str = Field(default="openai/gpt-4o-mini", validation_alias="LLM_MODEL")
    llm_temperature: float = Field(default=0.4, validation_alias="LLM_TEMPERATURE")
    llm_request_timeout_seconds: float = Field(
        default=120.0, validation_alias="LLM_REQUEST_TIMEOUT_SECONDS"
    )
    offline_step_delay_ms: int = Field(default=300, ge=0, validation_alias="OFFLINE_STEP_DELAY_MS")

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

    @model_validator(mode="after")
    def _default_database_url(self) -> LLMServiceSettings:
        if not self.database_url:
            path = (self.data_dir / "llm_service.db").resolve()
            self.database_url = f"sqlite+aiosqlite:///{path}"
        return self

    @property
    def step_delay_seconds(self) -> float:
        """The offline planner's visible pause per step; a real LLM is slow enough by itself."""
        if self.llm_provider != "offline":
            return 0.0
        return self.offline_step_delay_ms / 1000
