"""The dashboard benchmark's baseline: bare Starlette returning the same 20 rows as JSON.

No GraphQL and no domain objects: authenticate the bearer token (the same JWT
check as the API, since a real endpoint must know whose rows to return), select
the columns the dashboard shows, shape them like the GraphQL response.

    DATABASE_URL=... AUTH_JWT_SECRET=... uvicorn benchmarks.baseline_dashboard:app
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from infra.auth import AuthError, TokenAuthenticator
from infra.db.tables import mission_reports

PAGE_SIZE = 20
_t = mission_reports.c
_columns = (_t.id, _t.status, _t.input, _t.created_at, _t.progress)

engine: AsyncEngine | None = None
authenticator = TokenAuthenticator(os.environ.get("AUTH_JWT_SECRET", ""))


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global engine
    # The API's pool size; no pre-ping: a bare endpoint would not pay a round trip for it.
    engine = create_async_engine(os.environ["DATABASE_URL"], pool_size=10, max_overflow=20)
    try:
        yield
    finally:
        await engine.dispose()


def _node(row: Any) -> dict[str, Any]:
    location = row.input["location"]
    return {
        "id": row.id,
        "status": row.status,
        "location": {"city": location["city"], "state": location["state"]},
        "scenarios": row.input["scenarios"],
        "createdAt": row.created_at.isoformat(),
        "progress": {
            "stepName": row.progress["step_name"],
            "percentage": row.progress["percentage"],
        },
    }


async def mission_reports_page(request: Request) -> JSONResponse:
    json.loads(await request.body() or b"{}")  # read the GraphQL body as the API does
    try:
        viewer = authenticator.viewer_from_header(request.headers.get("authorization"))
    except AuthError:
        return JSONResponse({"error": "unauthenticated"}, status_code=401)
    query = (
        select(*_columns)
        .where(_t.user_id == viewer.user_id)
        .order_by(_t.created_at.desc(), _t.id.desc())
        .limit(PAGE_SIZE + 1)  # as the API: one more row tells whether a next page exists
    )
    assert engine is not None
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    nodes = [_node(row) for row in rows[:PAGE_SIZE]]
    return JSONResponse({"data": {"missionReports": {"nodes": nodes}}})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/reports", mission_reports_page, methods=["GET", "POST"]),
        Route("/healthz", healthz),
    ],
    lifespan=lifespan,
)
