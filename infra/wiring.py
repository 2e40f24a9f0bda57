"""How the API's collaborators are built: shared by the ASGI app and the CLI.

The LLM service is either remote (`LLM_SERVICE_URL`) or embedded in this process;
either way callers get the same `HttpLLMService`, only the transport differs.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
from starlette.types import ASGIApp

from domain.operations import Dependencies
from domain.ports import BundleCatalog, EventPublisher
from domain.rate_limit import SubmissionRateLimit
from infra.clock import SystemClock, new_uuid
from infra.db.engine import Engines
from infra.db.uow import SqlUnitOfWorkFactory
from infra.llm_client import HttpLLMService
from infra.pricing import load_price_table
from infra.settings import Settings
from infra.usage_metrics import PrometheusUsageMeter

if TYPE_CHECKING:  # the LLM service is imported only when embedded
    from llm_service.providers import LLMProvider

WEBHOOK_PATH = "/api/webhooks/llm-callback"
# Host names used only inside the process when the LLM service is embedded.
EMBEDDED_API_BASE = "http://mission-planner.internal"
EMBEDDED_LLM_BASE = "http://llm-service.internal"


async def open_llm_service(
    settings: Settings,
    engines: Engines,
    stack: contextlib.AsyncExitStack,
    *,
    webhook_app: ASGIApp | None,
    provider: LLMProvider | None = None,
) -> HttpLLMService:
    """The LLM service's client, open until `stack` closes.

    Embedded, `webhook_app` is the API that receives the webhooks in-process, and
    the service runs its jobs here; without one (a CLI command) it only answers
    requests: it neither runs jobs nor sends webhooks. `provider` replaces the
    embedded service's model (tests at the network edge).
    """
    secret = settings.service_api_secret
    timeout = httpx.Timeout(settings.llm_timeout_seconds)
    if not settings.embedded_llm_service:
        client = httpx.AsyncClient(base_url=settings.llm_service_url or "", timeout=timeout)
        stack.push_async_callback(client.aclose)
        return HttpLLMService(client, secret, settings.public_base_url.rstrip("/") + WEBHOOK_PATH)

    from llm_service.app import create_app as create_llm_app
    from llm_service.settings import LLMServiceSettings

    # Embedded: the same HTTP client and the same signed webhook route as in remote
    # mode, only over in-process ASGI transports instead of sockets.
    webhook_client = None
    if webhook_app is not None:
        webhook_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=webhook_app),
            base_url=EMBEDDED_API_BASE,
            timeout=timeout,
        )
        stack.push_async_callback(webhook_client.aclose)
    llm_settings = LLMServiceSettings(
        api_secret=secret,
        webhook_secret=settings.webhook_secrets[0],
        data_dir=settings.data_dir,
        offline_step_delay_ms=settings.offline_step_delay_ms,
        offline_chunk_delay_ms=settings.offline_chunk_delay_ms,
        offline_fail_when_notes_contain=settings.offline_fail_when_notes_contain,
        offline_fail_first_attempts=settings.offline_fail_first_attempts,
    )
    llm_app = create_llm_app(
        llm_settings,
        engine=engines.writer,
        webhook_client=webhook_client,
        run_jobs=webhook_app is not None,
        # The service's own tree, after the API's, on the shared database. A CLI command
        # (no webhook_app) never migrates by surprise: it checks the revisions instead.
        migrate_schema=webhook_app is not None,
        provider=provider,
    )
    await stack.enter_async_context(llm_app.router.lifespan_context(llm_app))
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=llm_app), base_url=EMBEDDED_LLM_BASE, timeout=timeout
    )
    stack.push_async_callback(client.aclose)
    return HttpLLMService(client, secret, EMBEDDED_API_BASE + WEBHOOK_PATH)


def build_dependencies(
    settings: Settings,
    engines: Engines,
    llm: HttpLLMService,
    publisher: EventPublisher,
    catalog: BundleCatalog,
) -> Dependencies:
    return Dependencies(
        uow=SqlUnitOfWorkFactory(engines.writer),
        llm=llm,
        publisher=publisher,
        catalog=catalog,
        clock=SystemClock(),
        new_id=new_uuid,
        max_active_jobs=settings.max_active_jobs_per_user,
        submission_rate_limit=SubmissionRateLimit(
            settings.submission_rate_limit,
            timedelta(seconds=settings.submission_rate_window_seconds),
        ),
        prices=load_price_table(settings.llm_prices_file),
        usage_meter=USAGE_METER,
    )


# One per process: the counters it feeds are the process's own.
USAGE_METER = PrometheusUsageMeter()
