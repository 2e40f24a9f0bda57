"""The ASGI app: `uvicorn graph.app:app` serves GraphQL, webhooks, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from domain.operations import Dependencies
from domain.rate_limit import SubmissionRateLimit
from domain.reconciliation import sweep_stale_reports
from graph.context import AppState
from graph.view import build_view
from graph.webhook_route import llm_callback
from infra.auth import TokenAuthenticator
from infra.bus import EventBus
from infra.clock import SystemClock, new_uuid
from infra.db.engine import Engines, create_engines
from infra.db.migrate import upgrade_to_head
from infra.db.queries import ReadQueries, SqlBundleCatalog
from infra.db.uow import SqlUnitOfWorkFactory
from infra.llm_client import HttpLLMService
from infra.publisher import BusEventPublisher
from infra.settings import Settings
from infra.webhook_signing import WebhookVerifier

if TYPE_CHECKING:  # the LLM service is imported only when embedded
    from llm_service.providers import LLMProvider

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/webhooks/llm-callback"
# Host names used only inside the process when the LLM service is embedded.
EMBEDDED_API_BASE = "http://mission-planner.internal"
EMBEDDED_LLM_BASE = "http://llm-service.internal"


def create_app(
    settings: Settings | None = None, *, llm_provider: LLMProvider | None = None
) -> Starlette:
    """`llm_provider` replaces the embedded LLM service's model (tests at the network edge)."""
    settings = settings or Settings()
    view = build_view(lambda: app.state.mission_planner, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            engines = create_engines(settings.resolved_database_url)
            stack.push_async_callback(engines.dispose)
            await upgrade_to_head(engines.writer)
            bus = EventBus.from_url(
                settings.broadcast_url,
                queue_size=settings.subscriber_queue_size,
                heartbeat_seconds=settings.bus_heartbeat_seconds,
            )
            await bus.connect()
            stack.push_async_callback(bus.disconnect)
            llm_client, webhook_url = await _llm_client(settings, app, engines, stack, llm_provider)
            state = _state(settings, engines, bus, llm_client, webhook_url)
            app.state.mission_planner = state
            sweeper = asyncio.create_task(_sweep_forever(state), name="stale-report-sweeper")
            stack.push_async_callback(_cancel, sweeper)
            # Startup objects live as long as the process: moving them out of the
            # collector's view shortens the full collections that set p99 latency.
            gc.collect()
            gc.freeze()
            yield

    app = Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),
            Route(WEBHOOK_PATH, llm_callback, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    return app


async def _llm_client(
    settings: Settings,
    api: Starlette,
    engines: Engines,
    stack: contextlib.AsyncExitStack,
    provider: LLMProvider | None = None,
) -> tuple[httpx.AsyncClient, str]:
    timeout = httpx.Timeout(settings.llm_timeout_seconds)
    if not settings.embedded_llm_service:
        client = httpx.AsyncClient(base_url=settings.llm_service_url or "", timeout=timeout)
        stack.push_async_callback(client.aclose)
        return client, settings.public_base_url.rstrip("/") + WEBHOOK_PATH

    from llm_service.app import create_app as create_llm_app
    from llm_service.settings import LLMServiceSettings

    # Embedded: the same HTTP client and the same signed webhook route as in remote
    # mode, only over in-process ASGI transports instead of sockets.
    webhook_client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url=EMBEDDED_API_BASE, timeout=timeout
    )
    stack.push_async_callback(webhook_client.aclose)
    llm_settings = LLMServiceSettings(
        api_secret=settings.service_api_secret,
        webhook_secret=settings.webhook_secrets[0],
        data_dir=settings.data_dir,
        offline_step_delay_ms=settings.offline_step_delay_ms,
    )
    llm_app = create_llm_app(
        llm_settings, engine=engines.writer, webhook_client=webhook_client, provider=provider
    )
    await stack.enter_async_context(llm_app.router.lifespan_context(llm_app))
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=llm_app), base_url=EMBEDDED_LLM_BASE, timeout=timeout
    )
    stack.push_async_callback(client.aclose)
    return client, EMBEDDED_API_BASE + WEBHOOK_PATH


def _state(
    settings: Settings,
    engines: Engines,
    bus: EventBus,
    llm_client: httpx.AsyncClient,
    webhook_url: str,
) -> AppState:
    queries = ReadQueries(engines.reader)
    llm = HttpLLMService(llm_client, settings.service_api_secret, webhook_url)
    catalog = SqlBundleCatalog(queries)
    deps = Dependencies(
        uow=SqlUnitOfWorkFactory(engines.writer),
        llm=llm,
        publisher=BusEventPublisher(bus),
        catalog=catalog,
        clock=SystemClock(),
        new_id=new_uuid,
        max_active_jobs=settings.max_active_jobs_per_user,
        submission_rate_limit=SubmissionRateLimit(
            settings.submission_rate_limit,
            timedelta(seconds=settings.submission_rate_window_seconds),
        ),
    )
    authenticator = TokenAuthenticator(
        settings.jwt_secret, audience=settings.auth_jwt_audience, issuer=settings.auth_jwt_issuer
    )
    return AppState(
        settings=settings,
        deps=deps,
        queries=queries,
        authenticator=authenticator,
        bus=bus,
        llm=llm,
        webhook_verifier=WebhookVerifier(settings.webhook_secrets),
        catalog=catalog,
    )


async def _sweep_forever(state: AppState) -> None:
    stale_after = timedelta(seconds=state.settings.reconcile_after_seconds)
    while True:
        await asyncio.sleep(state.settings.sweep_interval_seconds)
        try:
            changed = await sweep_stale_reports(state.deps, stale_after)
            if changed:
                log.info("sweeper reconciled %d stale reports", changed)
        except Exception:
            log.exception("stale-report sweep failed")


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def metrics(request: Request) -> Response:
    settings: Settings = request.app.state.mission_planner.settings
    if settings.metrics_token:
        offered = request.headers.get("authorization", "").encode()
        expected = f"Bearer {settings.metrics_token}".encode()
        if not hmac.compare_digest(offered, expected):
            return JSONResponse(
                {"error": "unauthorized"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    elif settings.is_production:
        # No token configured: in production the metrics are not published at all.
        return JSONResponse({"error": "not_found"}, status_code=404)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


app = create_app()
