"""Webhook delivery: signed, retried with a stable id, in order per job."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook

from llm_service.app import create_app
from llm_service.tables import outbox_table
from tests.llm_service.conftest import (
    API_SECRET,
    WEBHOOK_SECRET,
    WebhookReceiver,
    is_whole_job,
    make_settings,
    workflow_body,
)
from tests.support.waiting import wait_until


async def test_retries_until_2xx_with_a_stable_id(
    start_service: Callable[..., Any], receiver: WebhookReceiver
) -> None:
    calls = {"n": 0}

    def fail_twice(_request: httpx.Request, _body: dict[str, Any]) -> int:
        calls["n"] += 1
        return 503 if calls["n"] <= 2 else 200

    receiver.responder = fail_twice
    async with start_service() as service:
        job_id = await service.submit()
        await service.wait_for_event(job_id, "workflow.completed")

    first_three = receiver.requests[:3]
    assert [status for _, _, status in first_three] == [503, 503, 200]
    ids = {request.headers["webhook-id"] for request, _, _ in first_three}
    assert len(ids) == 1
    bodies = {request.content for request, _, _ in first_three}
    assert len(bodies) == 1  # the same bytes each time, re-signed
    for request, _, _ in receiver.requests:
        Webhook(WEBHOOK_SECRET).verify(request.content, dict(request.headers))
        assert request.headers["content-type"] == "application/json"
    assert is_whole_job(receiver.delivered(job_id))


async def test_each_job_is_delivered_in_sequence_order(
    start_service: Callable[..., Any], receiver: WebhookReceiver
) -> None:
    attempts: dict[str, int] = defaultdict(int)

    def flaky(request: httpx.Request, body: dict[str, Any]) -> int:
        attempts[request.headers["webhook-id"]] += 1
        # Every third event fails twice, so later events are ready before it goes through.
        if body["sequence"] % 3 == 0 and attempts[request.headers["webhook-id"]] <= 2:
            return 500
        return 204

    receiver.responder = flaky
    async with start_service() as service:
        job_ids = [await service.submit() for _ in range(3)]
        for job_id in job_ids:
            await service.wait_for_event(job_id, "workflow.completed")

    for job_id in job_ids:
        attempted = [b["sequence"] for _, b, _ in receiver.requests if b["job_id"] == job_id]
        assert attempted == sorted(attempted), attempted
        assert is_whole_job(receiver.delivered(job_id))


async def test_gives_up_after_five_client_errors_and_moves_on(
    start_service: Callable[..., Any], receiver: WebhookReceiver, db_engine: AsyncEngine
) -> None:
    def reject_first(_request: httpx.Request, body: dict[str, Any]) -> int:
        return 400 if body["sequence"] == 1 else 204

    receiver.responder = reject_first
    async with start_service() as service:
        job_id = await service.submit()
        await service.wait_for_event(job_id, "workflow.completed")

    first = [status for _, body, status in receiver.requests if body["sequence"] == 1]
    assert first == [400] * 5
    async with db_engine.connect() as conn:
        row = (await conn.execute(select(outbox_table).where(outbox_table.c.sequence == 1))).one()
    assert row.delivered_at is None and row.next_attempt_at is None
    assert (row.status, row.last_error) == ("dead", "HTTP 400")


async def test_rate_limited_deliveries_keep_retrying(
    start_service: Callable[..., Any], receiver: WebhookReceiver
) -> None:
    calls = {"n": 0}

    def rate_limit_six_times(_request: httpx.Request, _body: dict[str, Any]) -> int:
        calls["n"] += 1
        return 429 if calls["n"] <= 6 else 204

    receiver.responder = rate_limit_six_times
    async with start_service(webhook_retry_max_seconds=0.05) as service:
        job_id = await service.submit()
        await service.wait_for_event(job_id, "workflow.completed")
    assert is_whole_job(receiver.delivered(job_id))


async def test_undelivered_webhooks_survive_a_restart(
    start_service: Callable[..., Any], receiver: WebhookReceiver
) -> None:
    receiver.responder = lambda _request, _body: 503
    fast_retries = {"webhook_retry_max_seconds": 0.05}
    async with start_service(**fast_retries) as service:
        job_id = await service.submit()
        await service.wait_for_status(job_id, "completed")
        await wait_until(lambda: len(receiver.requests) >= 2)

    receiver.responder = lambda _request, _body: 204
    async with start_service(**fast_retries):
        await wait_until(lambda: is_whole_job(receiver.delivered(job_id)))


async def test_delivery_cut_short_by_shutdown_is_resent_at_next_start(
    tmp_path: Path, db_engine: AsyncEngine, receiver: WebhookReceiver
) -> None:
    hanging = asyncio.Event()

    async def never_answers(_request: httpx.Request) -> httpx.Response:
        hanging.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    settings = make_settings(tmp_path)
    async with httpx.AsyncClient(transport=httpx.MockTransport(never_answers)) as stuck:
        app = create_app(settings, engine=db_engine, webhook_client=stuck)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app),
                base_url="http://llm.test",
                headers={"X-API-Secret": API_SECRET},
            ) as client:
                response = await client.post("/api/v1/workflow", json=workflow_body())
                job_id = response.json()["job_id"]
                await hanging.wait()

    # The claim lease (timeout + 5 s) would outlast wait_until's 5 s if it were not released.
    async with receiver.client() as webhook_client:
        app = create_app(settings, engine=db_engine, webhook_client=webhook_client)
        async with app.router.lifespan_context(app):
            await wait_until(
                lambda: "workflow.completed" in [e["type"] for e in receiver.delivered(job_id)],
                timeout=5,
            )

    # The job may have been interrupted too and restarted: its sequence just goes on.
    sequences = [e["sequence"] for e in receiver.delivered(job_id)]
    assert sequences == list(range(1, len(sequences) + 1))
