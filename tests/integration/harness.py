"""The whole API in-process (embedded LLM service included) behind an httpx client."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from strawberry.types import ExecutionResult

from graph.app import create_app
from graph.context import AppState, Context
from graph.schema import schema
from infra.auth import TokenAuthenticator
from infra.settings import Settings
from infra.webhook_signing import sign
from infra.wiring import WEBHOOK_PATH

JWT_SECRET = "integration-secret-0123456789-0123456789"
WEBHOOK_SECRET = "whsec_" + "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI="


class ApiHarness:
    def __init__(self, client: httpx.AsyncClient, state: AppState) -> None:
        self.client = client
        self.state = state
        self._auth = TokenAuthenticator(JWT_SECRET)

    def token(self, user_id: str, **kwargs: Any) -> str:
        return self._auth.mint(user_id, **kwargs)

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, user: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token(user)}"} if user else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, *, user: str
    ) -> AsyncIterator[dict[str, Any]]:
        """A subscription run through the schema as a websocket would; yields each `data`."""
        viewer = self.state.authenticator.viewer_from_header(f"Bearer {self.token(user)}")
        context = Context(self.state, request=None, response=None, viewer=viewer)
        results = await schema.subscribe(query, variables, context_value=context)
        if isinstance(results, ExecutionResult):
            raise AssertionError(f"subscription refused: {results.errors}")
        async for result in results:
            assert not result.errors, result.errors
            assert result.data is not None
            yield result.data

    async def webhook(
        self,
        body: dict[str, Any] | bytes,
        *,
        webhook_id: str | None = None,
        secret: str = WEBHOOK_SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        signed = sign(
            secret, webhook_id or f"msg_{uuid.uuid4().hex}", timestamp or int(time.time()), raw
        )
        signed.update(headers or {})
        return await self.client.post(WEBHOOK_PATH, content=raw, headers=signed)


def settings_for(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "AUTH_JWT_SECRET": JWT_SECRET,
        "LLM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LLM_SERVICE_API_SECRET": "integration-api-secret",
        "SWEEP_INTERVAL_SECONDS": 3600,
        # Plans at once: a test that watches the text stream asks for a pace.
        "OFFLINE_CHUNK_DELAY_MS": 0,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running_api(settings: Settings, llm_provider: Any = None) -> AsyncIterator[ApiHarness]:
    """`llm_provider` stands in for the embedded LLM service's model."""
    app = create_app(settings, llm_provider=llm_provider)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield ApiHarness(client, app.state.mission_planner)
