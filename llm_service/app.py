"""The LLM service as a Starlette app.

Embedded: the API calls `create_app(settings, engine=its_engine, webhook_client=...,
migrate_schema=True)` and runs `app.router.lifespan_context(app)` inside its own
lifespan, after its own migrations. Standalone (`mission-planner llm-service serve`,
or `uvicorn llm_service.app:app`): the app reads the environment and migrates its
own database (LLM_DATABASE_URL) with its own tree (llm_service/migrations).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import cache
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError
from starlette.applications import Starlette

from llm_service.db import create_db_engine
from llm_service.job_runner import JobRunner
from llm_service.job_store import JobStore
from llm_service.migrate import upgrade_to_head
from llm_service.outbox import OutboxStore
from llm_service.providers import LLMProvider, OpenAICompatibleProvider, build_provider
from llm_service.routes import ServiceState, routes
from llm_service.settings import LLMServiceSettings
from llm_service.steps import build_step_registry
from llm_service.webhooks import DeliveryPolicy, WebhookSender
from llm_service.workflows import load_workflow

__all__ = ["LLMServiceSettings", "create_app"]


def create_app(
    settings: LLMServiceSettings,
    *,
    engine: AsyncEngine | None = None,
    webhook_client: httpx.AsyncClient | None = None,
    provider: LLMProvider | None = None,
    migrate_schema: bool = False,
    run_jobs: bool = True,
) -> Starlette:
    """The service app; resources are opened by its lifespan and closed when it ends.

    `engine` and `webhook_client` are borrowed (never closed here); without them
    the lifespan creates its own. `provider` overrides the one settings choose (tests).
    `migrate_schema` upgrades the database with the service's own migration tree at start.
    `run_jobs=False` serves the HTTP API over the database without running jobs or
    sending webhooks: for a one-shot admin tool, which must not take over jobs.
    """
    _check_settings(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            db = engine if engine is not None else _owned_engine(settings, stack)
            if migrate_schema:
                await upgrade_to_head(db)
            client = webhook_client
            if client is None:
                client = await stack.enter_async_context(httpx.AsyncClient(follow_redirects=False))
            llm = provider if provider is not None else await _owned_provider(settings, stack)
            outbox = OutboxStore(db)
            sender = WebhookSender(
                outbox, client, settings.webhook_secret, policy=_policy(settings)
            )
            store = JobStore(db, on_outbox_write=sender.wake)
            runner = JobRunner(
                store,
                build_step_registry(llm, settings.budget_tier_usd),
                max_concurrent_jobs=settings.max_concurrent_jobs,
                step_timeout_seconds=settings.step_timeout_seconds,
                step_delay_seconds=settings.step_delay_seconds,
                lease_seconds=settings.job_lease_seconds,
                max_attempts=settings.max_job_attempts,
                draft_interval_seconds=settings.draft_interval_ms / 1000,
                expected_plan_chars=settings.expected_plan_chars,
            )
            if run_jobs:
                sender.start()
                stack.push_async_callback(sender.stop)
                await runner.start()
                # Unwound first: jobs stop before the sender, the client and the engine go.
                stack.push_async_callback(runner.stop)
            app.state.llm_service = ServiceState(
                api_secret=settings.api_secret, store=store, runner=runner, outbox=outbox
            )
            try:
                yield
            finally:
                del app.state.llm_service

    return Starlette(routes=routes, lifespan=lifespan)


def _check_settings(settings: LLMServiceSettings) -> None:
    if not settings.api_secret:
        raise ValueError("LLM_SERVICE_API_SECRET (api_secret) must be set")
    if not settings.webhook_secret:
        raise ValueError("LLM_WEBHOOK_SECRET (webhook_secret) must be set, as whsec_<base64>")
    try:
        Webhook(settings.webhook_secret)  # fail now on a malformed secret, not at the first send
    except (ValueError, EmptyWebhookSecretError) as exc:
        raise ValueError(f"LLM_WEBHOOK_SECRET is not a valid whsec_<base64> secret: {exc}") from exc
    load_workflow("mission_generation")  # a broken definition file fails at start-up


def _owned_engine(settings: LLMServiceSettings, stack: AsyncExitStack) -> AsyncEngine:
    engine = create_db_engine(settings.database_url)
    stack.push_async_callback(engine.dispose)
    return engine


async def _owned_provider(settings: LLMServiceSettings, stack: AsyncExitStack) -> LLMProvider:
    provider = build_provider(settings)
    if isinstance(provider, OpenAICompatibleProvider):
        stack.push_async_callback(provider.aclose)
    return provider


def _policy(settings: LLMServiceSettings) -> DeliveryPolicy:
    return DeliveryPolicy(
        timeout_seconds=settings.webhook_timeout_seconds,
        retry_base_seconds=settings.webhook_retry_base_seconds,
        retry_max_seconds=settings.webhook_retry_max_seconds,
        retry_window_seconds=settings.webhook_retry_window_seconds,
        poll_seconds=settings.webhook_poll_seconds,
    )


@cache
def _standalone_app() -> Starlette:
    return create_app(LLMServiceSettings(), migrate_schema=True)


def __getattr__(name: str) -> Any:
    # `uvicorn llm_service.app:app` gets an app built from the environment, but only when
    # asked: importing create_app from here must not read settings or fail without them.
    if name == "app":
        return _standalone_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
