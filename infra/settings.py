"""Settings from the environment (names are part of the deployment contract)."""

from __future__ import annotations

import base64
import os
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.db.engine import DEFAULT_MAX_OVERFLOW, DEFAULT_POOL_SIZE
from llm_service.db import async_driver_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    environment: str = Field("development", validation_alias="ENVIRONMENT")
    data_dir: Path = Field(Path(".data"), validation_alias="DATA_DIR")
    database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    broadcast_url: str = Field("memory://", validation_alias="BROADCAST_URL")
    public_base_url: str = Field("http://127.0.0.1:8000", validation_alias="PUBLIC_BASE_URL")

    llm_service_url: str | None = Field(None, validation_alias="LLM_SERVICE_URL")
    llm_service_api_secret: str | None = Field(None, validation_alias="LLM_SERVICE_API_SECRET")
    # Comma-separated: several secrets verify at once while one is being rotated.
    llm_webhook_secret: str | None = Field(None, validation_alias="LLM_WEBHOOK_SECRET")
    offline_step_delay_ms: int = Field(300, ge=0, validation_alias="OFFLINE_STEP_DELAY_MS")
    # Passed to the embedded LLM service: the offline planner's pause between the chunks
    # of its streamed plan (llm_service/settings.py).
    offline_chunk_delay_ms: int = Field(
        40, ge=0, le=60_000, validation_alias="OFFLINE_CHUNK_DELAY_MS"
    )
    # Passed to the embedded LLM service (see llm_service/settings.py): the offline
    # planner fails plans whose notes contain this text. For demos and tests of failures:
    # refused in production (see _no_fault_knobs_in_production).
    offline_fail_when_notes_contain: str = Field(
        "", validation_alias="OFFLINE_FAIL_WHEN_NOTES_CONTAIN"
    )
    # ...only each marked plan's first N attempts (0: every attempt), so a Retry succeeds.
    offline_fail_first_attempts: int = Field(
        0, ge=0, le=1000, validation_alias="OFFLINE_FAIL_FIRST_ATTEMPTS"
    )
    llm_timeout_seconds: float = Field(10.0, validation_alias="LLM_TIMEOUT_SECONDS")
    # USD per million tokens by model (JSON), for providers that report no cost; unset:
    # the table shipped in infra/catalog/llm_prices.json.
    llm_prices_file: Path | None = Field(None, validation_alias="LLM_PRICES_FILE")

    auth_jwt_secret: str | None = Field(None, validation_alias="AUTH_JWT_SECRET")
    auth_jwt_audience: str | None = Field(None, validation_alias="AUTH_JWT_AUDIENCE")
    auth_jwt_issuer: str | None = Field(None, validation_alias="AUTH_JWT_ISSUER")

    max_active_jobs_per_user: int = Field(
        3, validation_alias=AliasChoices("MAX_ACTIVE_JOBS_PER_USER", "MAX_ACTIVE_JOBS")
    )
    # Per user: at most this many plans started (submits and retries, cancelled ones
    # included) in any window of SUBMISSION_RATE_WINDOW_SECONDS; 0 turns the limit off.
    submission_rate_limit: int = Field(10, ge=0, validation_alias="SUBMISSION_RATE_LIMIT")
    submission_rate_window_seconds: int = Field(
        60, ge=1, validation_alias="SUBMISSION_RATE_WINDOW_SECONDS"
    )
    reconcile_after_seconds: float = Field(60.0, validation_alias="RECONCILE_AFTER_SECONDS")
    sweep_interval_seconds: float = Field(30.0, validation_alias="SWEEP_INTERVAL_SECONDS")
    webhook_max_body_bytes: int = Field(2_000_000, validation_alias="WEBHOOK_MAX_BODY_BYTES")
    # Webhooks that arrive together share one transaction, at most this many (group
    # commit, domain/job_update_batches.py); 1 applies each in its own.
    webhook_batch_max: int = Field(32, ge=1, le=1000, validation_alias="WEBHOOK_BATCH_MAX")
    # Comma-separated browser origins allowed to call the API: HTTP CORS on /graphql and the
    # websocket handshake read this one list. Empty: same-origin only.
    allowed_origins: str = Field("", validation_alias="ALLOWED_ORIGINS")
    connection_init_wait_seconds: float = Field(5.0, validation_alias="WS_INIT_TIMEOUT_SECONDS")
    max_subscriptions_per_connection: int = Field(20, validation_alias="WS_MAX_SUBSCRIPTIONS")
    # Connections one user may hold at once, acknowledged websockets and SSE/multipart
    # subscription streams together, counted per process (graph.ws_protocol).
    ws_max_connections_per_user: int = Field(
        10, ge=1, validation_alias="WS_MAX_CONNECTIONS_PER_USER"
    )
    # An acknowledged socket with no operation running this long is closed (4408).
    ws_idle_timeout_seconds: float = Field(300.0, gt=0, validation_alias="WS_IDLE_TIMEOUT_SECONDS")
    max_page_size: int = Field(100, validation_alias="MAX_PAGE_SIZE")
    subscriber_queue_size: int = Field(100, validation_alias="SUBSCRIBER_QUEUE_SIZE")
    bus_heartbeat_seconds: float = Field(5.0, gt=0, validation_alias="BUS_HEARTBEAT_SECONDS")
    # While a report generates, a quiet subscription re-reads the log this often.
    subscription_poll_seconds: float = Field(
        30.0, gt=0, validation_alias="SUBSCRIPTION_POLL_SECONDS"
    )
    # Deepest GraphQL operation accepted (introspection is bounded separately).
    graphql_max_depth: int = Field(10, ge=1, validation_alias="GRAPHQL_MAX_DEPTH")
    # Most values an operation may ask for, list sizes multiplied out (graph.cost).
    graphql_max_cost: int = Field(5000, ge=1, validation_alias="GRAPHQL_MAX_COST")

    # Unset: on in development, off in production (ENVIRONMENT=production).
    graphql_introspection: bool | None = Field(None, validation_alias="GRAPHQL_INTROSPECTION")
    graphiql: bool | None = Field(None, validation_alias="GRAPHIQL")
    # POST /api/dev/token mints a token for any user name (graph/dev_token_route.py).
    # Unset: on only in development (ENVIRONMENT=development, the default), so a
    # staging or production server hands out no tokens unless told to.
    dev_sign_in: bool | None = Field(None, validation_alias="DEV_SIGN_IN")
    # Bearer token /metrics asks for. Unset: /metrics is open in development and
    # answers 404 in production.
    metrics_token: str | None = Field(None, validation_alias="METRICS_TOKEN")

    # The server (`python -m graph.serve`): against slowloris and connection floods.
    # A request's line and headers must arrive within this many seconds of its first byte.
    http_header_timeout_seconds: float = Field(
        10.0, gt=0, validation_alias="HTTP_HEADER_TIMEOUT_SECONDS"
    )
    # A connection (websockets included) whose client has read nothing for this many
    # seconds while the server had more to send is dropped, as if the client hung up
    # (graph/write_stall.py): uvicorn would wait for it for ever.
    http_write_stall_seconds: float = Field(60.0, gt=0, validation_alias="HTTP_WRITE_STALL_SECONDS")
    # An idle keep-alive connection is closed after this many seconds.
    http_keep_alive_seconds: int = Field(5, ge=1, validation_alias="HTTP_KEEP_ALIVE_SECONDS")
    # Open connections (websockets included) above which new requests answer 503. Above
    # the 10,000 idle subscriptions one process is meant to hold.
    http_max_concurrency: int = Field(20_000, ge=1, validation_alias="HTTP_MAX_CONCURRENCY")
    # The request line and headers together (h11's incomplete-event cap): larger is 400.
    http_max_header_bytes: int = Field(16 * 1024, ge=1024, validation_alias="HTTP_MAX_HEADER_BYTES")
    # The server pings every open websocket this often and closes one whose pong has not
    # come within WS_PING_TIMEOUT_SECONDS (a peer gone without a FIN). With uvicorn's 20 s
    # the pings were most of the idle CPU of 10,000 sockets (6.6-7.3% of a core against
    # 4.7-4.8% at 45 s: benchmarks/README.md); 45 s stays under the 60 s idle timeouts of
    # common proxies and load balancers, so the pings still keep idle sockets open there.
    ws_ping_seconds: float = Field(45.0, ge=5, le=600, validation_alias="WS_PING_SECONDS")
    ws_ping_timeout_seconds: float = Field(
        20.0, ge=1, le=600, validation_alias="WS_PING_TIMEOUT_SECONDS"
    )
    # When set, long-lived objects are moved out of the garbage collector's view this
    # often, and collected all at once at most GC_FULL_COLLECT_SECONDS apart
    # (infra/gc_steward.py). Off by default: it shortens the full collections, but its
    # early collection of everything when 10,000 subscriptions opened doubled their idle
    # CPU (benchmarks/README.md, "Collector pauses"); 0 leaves the collector as CPython
    # runs it.
    gc_freeze_seconds: float = Field(0.0, ge=0, le=3600, validation_alias="GC_FREEZE_SECONDS")
    gc_full_collect_seconds: float = Field(
        900.0, ge=60, le=86_400, validation_alias="GC_FULL_COLLECT_SECONDS"
    )
    # PostgreSQL connections each API process keeps open, and how many more a burst may
    # open (infra/db/engine.py says why these defaults).
    database_pool_size: int = Field(
        DEFAULT_POOL_SIZE, ge=1, le=500, validation_alias="DATABASE_POOL_SIZE"
    )
    database_max_overflow: int = Field(
        DEFAULT_MAX_OVERFLOW, ge=0, le=500, validation_alias="DATABASE_MAX_OVERFLOW"
    )

    @model_validator(mode="after")
    def _no_fault_knobs_in_production(self) -> Settings:
        # Failing real families' plans on purpose is never what a deployment wants.
        if self.is_production and self.offline_fail_when_notes_contain:
            raise ValueError(
                "OFFLINE_FAIL_WHEN_NOTES_CONTAIN is a test and demo setting: unset it in production"
            )
        return self

    @property
    def introspection_enabled(self) -> bool:
        return self._on_outside_production(self.graphql_introspection)

    @property
    def graphiql_enabled(self) -> bool:
        return self._on_outside_production(self.graphiql)

    @property
    def dev_sign_in_enabled(self) -> bool:
        return self.dev_sign_in if self.dev_sign_in is not None else self.is_development

    def _on_outside_production(self, setting: bool | None) -> bool:
        return setting if setting is not None else not self.is_production

    @property
    def allowed_origin_list(self) -> list[str]:
        return [o.strip() for o in self.allowed_origins.split(",") if o.strip()]

    @property
    def is_production(self) -> bool:
        return self.environment.lower() == "production"

    @property
    def is_development(self) -> bool:
        return self.environment.lower() == "development"

    @property
    def embedded_llm_service(self) -> bool:
        return not self.llm_service_url

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return async_driver_url(self.database_url)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'mission_planner.db').resolve()}"

    @cached_property
    def jwt_secret(self) -> str:
        return self.auth_jwt_secret or _generated_secret(self.data_dir, "jwt_secret", raw=True)

    @cached_property
    def webhook_secrets(self) -> list[str]:
        if self.llm_webhook_secret:
            return [s.strip() for s in self.llm_webhook_secret.split(",") if s.strip()]
        return [_generated_secret(self.data_dir, "webhook_secret", raw=False)]

    @cached_property
    def service_api_secret(self) -> str:
        return self.llm_service_api_secret or _generated_secret(
            self.data_dir, "llm_service_api_secret", raw=True
        )


def _generated_secret(data_dir: Path, name: str, *, raw: bool) -> str:
    """A secret made on first run and kept in the data dir, so restarts agree on it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"{name}.txt"
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    if not raw:
        value = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    # O_EXCL: two processes starting at once keep whichever was written first.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
