"""Fixtures: a tmp SQLite database, a webhook receiver and a running service app."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook
from starlette.applications import Starlette

from llm_service.app import create_app
from llm_service.db import create_db_engine
from llm_service.providers import LLMProvider
from llm_service.settings import LLMServiceSettings
from llm_service.tables import metadata
from tests.support.waiting import wait_until

API_SECRET = "test-api-secret"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
WEBHOOK_URL = "http://api.test/api/webhooks/llm-callback"

# Decides the status code for each webhook request; gets the request and its parsed body.
Responder = Callable[[httpx.Request, dict[str, Any]], int]


@dataclass
class WebhookReceiver:
    """The API side of the webhooks: verifies each request and records it."""

    responder: Responder = lambda _request, _body: 204
    requests: list[tuple[httpx.Request, dict[str, Any], int]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = Webhook(WEBHOOK_SECRET).verify(request.content, dict(request.headers))
        status = self.responder(request, body)
        self.requests.append((request, body, status))
        return httpx.Response(status)

    def delivered(self, job_id: str | None = None) -> list[dict[str, Any]]:
        """Bodies answered with a 2xx, in arrival order; one per webhook id."""
        seen: dict[str, dict[str, Any]] = {}
        for request, body, status in self.requests:
            if 200 <= status < 300 and (job_id is None or body["job_id"] == job_id):
                seen.setdefault(request.headers["webhook-id"], body)
        return list(seen.values())

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))


def make_settings(tmp_path: Path, **overrides: Any) -> LLMServiceSettings:
    values: dict[str, Any] = {
        "api_secret": API_SECRET,
        "webhook_secret": WEBHOOK_SECRET,
        "data_dir": tmp_path,
        "offline_step_delay_ms": 0,
        "offline_chunk_delay_ms": 0,
        "webhook_retry_base_seconds": 0.01,
        # Long poll on purpose: deliveries in tests only happen if the sender is woken.
        "webhook_poll_seconds": 30,
        **overrides,
    }
    return LLMServiceSettings(**values)


def wizard(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "location": {"city": "Miami", "state": "FL", "country": "US", "postal_code": "33101"},
        "scenarios": ["HURRICANE", "POWER_GRID_FAILURE"],
        "family_members": [
            {"name": "Ana", "age": 38, "medical_needs": []},
            {"name": "Luis", "age": 2, "medical_needs": []},
        ],
        "mobility_plan": {"strategy": "SHELTER_IN_PLACE", "has_vehicle": True},
        "budget_tier": "STANDARD",
        "duration_days": 14,
        "pet_count": 0,
        "notes": None,
    }
    data.update(overrides)
    return data


CATALOG: list[dict[str, Any]] = [
    {
        "id": "go-bag-72h",
        "name": "72-Hour Family Go-Bag",
        "description": "Grab-and-go essentials for three days.",
        "price_usd": "149.00",
        "scenarios": ["HURRICANE", "FLOOD", "WILDFIRE", "EARTHQUAKE"],
        "budget_tier": "ESSENTIAL",
        "items": ["water pouches", "emergency radio", "first aid kit"],
    },
    {
        "id": "water-storage-kit",
        "name": "Water Storage Kit",
        "description": "Barrels and purification for two weeks.",
        "price_usd": "89.00",
        "scenarios": ["HURRICANE", "EARTHQUAKE", "POWER_GRID_FAILURE", "FLOOD"],
        "budget_tier": "ESSENTIAL",
        "items": ["55-gallon drum", "siphon pump"],
    },
    {
        "id": "solar-generator",
        "name": "Solar Generator 2000",
        "description": "Battery power station with panels.",
        "price_usd": "1899.00",
        "scenarios": ["POWER_GRID_FAILURE", "HURRICANE", "WINTER_STORM", "EXTREME_HEAT"],
        "budget_tier": "PREMIUM",
        "items": ["2 kWh battery", "two 200 W panels"],
    },
    {
        "id": "pandemic-kit",
        "name": "Pandemic Home Kit",
        "description": "Masks, thermometer and sick-room supplies.",
        "price_usd": "79.00",
        "scenarios": ["PANDEMIC"],
        "budget_tier": "ESSENTIAL",
        "items": ["N95 masks", "thermometer"],
    },
    {
        "id": "winter-warmth",
        "name": "Winter Warmth Kit",
        "description": "Heat without power.",
        "price_usd": "219.00",
        "scenarios": ["WINTER_STORM", "POWER_GRID_FAILURE"],
        "budget_tier": "STANDARD",
        "items": ["indoor-safe heater", "sleeping bags"],
    },
    {
        "id": "trauma-first-aid",
        "name": "Trauma First Aid Kit",
        "description": "Bleeding control and splints.",
        "price_usd": "129.00",
        "scenarios": [],
        "budget_tier": "STANDARD",
        "items": ["tourniquet", "splint"],
    },
]


def workflow_body(**input_overrides: Any) -> dict[str, Any]:
    return {
        "workflow_name": "mission_generation",
        "input_data": {"wizard": wizard(**input_overrides), "bundles": CATALOG},
        "webhook_url": WEBHOOK_URL,
        "metadata": {"report_id": "report-1", "user_id": "user-1", "attempt": 1},
    }


@dataclass
class RunningService:
    app: Starlette
    client: httpx.AsyncClient
    receiver: WebhookReceiver

    async def submit(self, **input_overrides: Any) -> str:
        response = await self.client.post("/api/v1/workflow", json=workflow_body(**input_overrides))
        assert response.status_code == 202, response.text
        return str(response.json()["job_id"])

    async def job(self, job_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def wait_for_status(self, job_id: str, *statuses: str) -> dict[str, Any]:
        async def reached() -> bool:
            return (await self.job(job_id))["status"] in statuses

        await wait_until(reached)
        return await self.job(job_id)

    async def wait_for_event(self, job_id: str, event_type: str) -> list[dict[str, Any]]:
        await wait_until(
            lambda: any(e["type"] == event_type for e in self.receiver.delivered(job_id))
        )
        return self.receiver.delivered(job_id)


@pytest.fixture
async def db_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A fresh SQLite file, or the database named by LLM_TEST_DATABASE_URL (e.g. PostgreSQL)."""
    url = os.environ.get("LLM_TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path / 'llm.db'}"
    engine = create_db_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    yield engine
    if engine.dialect.name != "sqlite":  # a SQLite file goes away with tmp_path
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
    await engine.dispose()


@pytest.fixture
def receiver() -> WebhookReceiver:
    return WebhookReceiver()


@pytest.fixture
def start_service(
    tmp_path: Path, db_engine: AsyncEngine, receiver: WebhookReceiver
) -> Callable[..., Any]:
    """`async with start_service(provider=..., **settings) as service:` runs one app instance."""

    @asynccontextmanager
    async def start(
        *, provider: LLMProvider | None = None, **overrides: Any
    ) -> AsyncIterator[RunningService]:
        settings = make_settings(tmp_path, **overrides)
        async with receiver.client() as webhook_client:
            app = create_app(
                settings, engine=db_engine, webhook_client=webhook_client, provider=provider
            )
            async with app.router.lifespan_context(app):
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app),
                    base_url="http://llm.test",
                    headers={"X-API-Secret": API_SECRET},
                ) as client:
                    yield RunningService(app=app, client=client, receiver=receiver)

    return start


def event_types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def is_draft_event(event: dict[str, Any]) -> bool:
    """A `workflow.progress` sent while the plan streams (it carries `draft_length`)."""
    return event["type"] == "workflow.progress" and "draft_length" in event["data"]


def step_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of the steps themselves: the streamed plan's progress events left out."""
    return [event for event in events if not is_draft_event(event)]


def draft_text(events: list[dict[str, Any]]) -> str:
    """The streamed plan: the deltas of the draft events, joined."""
    return "".join(event["data"]["delta"] for event in events if is_draft_event(event))


def is_whole_job(events: list[dict[str, Any]]) -> bool:
    """Every event of a completed mission_generation job, once each, in sequence order."""
    return (
        [event["sequence"] for event in events] == list(range(1, len(events) + 1))
        and bool(events)
        and events[-1]["type"] == "workflow.completed"
        and len(step_events(events)) == STEP_EVENTS
    )


# Events of one mission_generation job besides its draft events: started, the two of
# each of the six steps, completed.
STEP_EVENTS = 14
