"""The ASGI app: `uvicorn graph.app:app` serves GraphQL, webhooks, health and metrics."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import logging
from collections.abc import AsyncIterator, Collection
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.job_update_batches import JobUpdateBatcher
from domain.reconciliation import sweep_stale_reports
from graph.context import AppState
from graph.dev_token_route import DEV_TOKEN_PATH, dev_token
from graph.graphiql import ASSETS_PATH, load_graphiql_page
from graph.graphql_endpoint import build_view
from graph.report_watch import ReportWatch
from graph.web_client_routes import web_client_routes
from graph.webhook_route import llm_callback
from infra.auth import TokenAuthenticator
from infra.bus import EventBus
from infra.db.engine import Engines, create_engines
from infra.db.migrate import upgrade_to_head
from infra.db.read_queries import ReadQueries, SqlBundleCatalog
from infra.gc_steward import CollectorSteward, measure_pauses
from infra.llm_client import HttpLLMService
from infra.publisher import BusEventPublisher
from infra.settings import Settings
from infra.webhook_signing import WebhookVerifier
from infra.wiring import WEBHOOK_PATH, build_dependencies, open_llm_service

if TYPE_CHECKING:  # the LLM service is imported only when embedded
    from llm_service.providers import LLMProvider

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, llm_provider: LLMProvider | None = None
) -> Starlette:
    """`llm_provider` replaces the embedded LLM service's model (tests at the network edge)."""
    settings = settings or Settings()
    graphiql = load_graphiql_page() if settings.graphiql_enabled else None
    view = build_view(lambda: app.state.mission_planner, settings, graphiql)
    graphiql_routes = [Route(f"{ASSETS_PATH}/{{asset:path}}", graphiql.asset)] if graphiql else []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            engines = create_engines(
                settings.resolved_database_url,
                pool_size=settings.database_pool_size,
                max_overflow=settings.database_max_overflow,
            )
            stack.push_async_callback(engines.dispose)
            await upgrade_to_head(engines.writer)
            bus = EventBus.from_url(
                settings.broadcast_url,
                queue_size=settings.subscriber_queue_size,
                heartbeat_seconds=settings.bus_heartbeat_seconds,
            )
            await bus.connect()
            stack.push_async_callback(bus.disconnect)
            llm = await open_llm_service(
                settings, engines, stack, webhook_app=app, provider=llm_provider
            )
            state = _state(settings, engines, bus, llm)
            app.state.mission_planner = state
            sweeper = asyncio.create_task(_sweep_forever(state), name="stale-report-sweeper")
            stack.push_async_callback(_cancel, sweeper)
            watch = asyncio.create_task(state.watch.run(), name="watched-reports")
            stack.push_async_callback(_cancel, watch)
            # Startup objects live as long as the process: moving them out of the
            # collector's view shortens the full collections that set p99 latency.
            gc.collect()
            gc.freeze()
            measure_pauses()
            if settings.gc_freeze_seconds:
                steward = CollectorSteward(
                    settings.gc_freeze_seconds, settings.gc_full_collect_seconds
                )
                collector = asyncio.create_task(steward.run(), name="collector-steward")
                stack.push_async_callback(_cancel, collector)
            yield

    app = WebhookFirst(
        llm_callback,
        routes=[
            # OPTIONS: CORS preflights, answered by the middleware before the view.
            Route(
                "/graphql",
                _with_cors(view, view.allowed_origins),
                methods=["GET", "POST", "OPTIONS"],
            ),
            WebSocketRoute("/graphql", view),
            *graphiql_routes,
            # POSTs go to it directly (WebhookFirst); other methods are answered 405 here.
            Route(WEBHOOK_PATH, llm_callback, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            *_browser_routes(),
        ],
        lifespan=lifespan,
    )
    return app


class WebhookFirst(Starlette):
    """Starlette, with each webhook delivery handed to its route directly.

    Deliveries are most of the API's requests. Starlette passes each request through
    its exception middleware (a Request and two wrappers per request) and tries the
    routes in turn; a delivery needs neither: its route raises no HTTPException, and the
    app registers no exception handlers (were one added, it would not see deliveries).
    A delivery that fails still gets Starlette's 500 answer and its error re-raised to
    the server (ServerErrorMiddleware, as every request). Behind a root_path the router
    decides, as for any request (benchmarks/README.md, "Branch h/routefast").
    """

    def __init__(self, webhook: ASGIApp, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._webhook = ServerErrorMiddleware(webhook, debug=self.debug)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == WEBHOOK_PATH
            and scope["method"] == "POST"
            and not scope.get("root_path")
        ):
            scope["app"] = self
            await self._webhook(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def _with_cors(view: ASGIApp, origins: Collection[str]) -> ASGIApp:
    """Pages on the ALLOWED_ORIGINS may call GraphQL over HTTP, as they may open its
    websocket: the view's own normalised list, so the two never disagree."""
    return CORSMiddleware(
        view,
        allow_origins=sorted(origins),
        allow_methods=["GET", "POST"],
        # Accept too: the multipart subscription type is not a CORS-safelisted value.
        allow_headers=["authorization", "content-type", "accept"],
        allow_credentials=True,
        max_age=600,
    )


def _browser_routes() -> list[BaseRoute]:
    """The web client's pages and assets, and its development sign-in."""
    return [
        *web_client_routes(),
        Route(DEV_TOKEN_PATH, dev_token, methods=["GET", "POST"]),
    ]


def _state(settings: Settings, engines: Engines, bus: EventBus, llm: HttpLLMService) -> AppState:
    queries = ReadQueries(engines.reader)
    catalog = SqlBundleCatalog(queries)
    deps = build_dependencies(settings, engines, llm, BusEventPublisher(bus), catalog)
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
        job_updates=JobUpdateBatcher(deps, settings.webhook_batch_max),
        watch=ReportWatch(queries, settings.subscription_poll_seconds),
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
