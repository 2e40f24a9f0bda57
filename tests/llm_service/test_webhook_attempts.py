"""Each webhook attempt is recorded; redirects are not followed; hangs time out; windows end."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from llm_service.app import create_app
from llm_service.db import utcnow
from llm_service.job_store import JobStore
from llm_service.outbox import OutboxStore
from llm_service.tables import TERMINAL_STATUSES, attempts_table, outbox_table
from tests.llm_service.conftest import (
    API_SECRET,
    RunningService,
    WebhookReceiver,
    make_settings,
    workflow_body,
)
from tests.support.local_server import serving
from tests.support.waiting import wait_until


async def events_of(service: RunningService, job_id: str) -> int | None:
    """How many events the job wrote, once it completed (its steps and its streamed plan)."""
    job = await service.job(job_id)
    return int(job["sequence"]) if job["status"] == "completed" else None


@asynccontextmanager
async def service_posting_to(
    tmp_path: Path,
    db_engine: AsyncEngine,
    webhook_url: str,
    client: httpx.AsyncClient | None = None,
    **settings: Any,
) -> AsyncIterator[tuple[RunningService, str]]:
    """The service with its own webhook client (a real socket unless `client` is given),
    and the id of a job it was given, whose webhooks go to `webhook_url`."""
    app = create_app(make_settings(tmp_path, **settings), engine=db_engine, webhook_client=client)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app),
            base_url="http://llm.test",
            headers={"X-API-Secret": API_SECRET},
        ) as api:
            service = RunningService(app=app, client=api, receiver=WebhookReceiver())
            body = {**workflow_body(), "webhook_url": webhook_url}
            response = await api.post("/api/v1/workflow", json=body)
            assert response.status_code == 202, response.text
            yield service, str(response.json()["job_id"])


async def first_delivery_id(db_engine: AsyncEngine, job_id: str) -> str:
    stmt = select(outbox_table.c.id).where(
        outbox_table.c.job_id == job_id, outbox_table.c.sequence == 1
    )
    async with db_engine.connect() as conn:
        return str((await conn.execute(stmt)).scalar_one())


async def statuses(db_engine: AsyncEngine, job_id: str) -> dict[int, str]:
    stmt = select(outbox_table.c.sequence, outbox_table.c.status).where(
        outbox_table.c.job_id == job_id
    )
    async with db_engine.connect() as conn:
        return {seq: status for seq, status in await conn.execute(stmt)}


async def test_attempts_are_recorded_with_status_code_and_duration(
    tmp_path: Path, db_engine: AsyncEngine
) -> None:
    calls = {"n": 0}

    async def slow_then_fine(_request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        await asyncio.sleep(0.05)
        return httpx.Response(503 if calls["n"] <= 2 else 204)

    client = httpx.AsyncClient(transport=httpx.MockTransport(slow_then_fine))
    async with (
        client,
        service_posting_to(tmp_path, db_engine, "http://api.test/hook", client) as (
            service,
            job_id,
        ),
    ):

        async def all_delivered() -> bool:
            delivered = (await service.job(job_id))["deliveries"]["delivered"]
            return bool(delivered == await events_of(service, job_id))

        await wait_until(all_delivered)
        summary = (await service.job(job_id))["deliveries"]
        total = await events_of(service, job_id)

    records = await OutboxStore(db_engine).attempts_of(await first_delivery_id(db_engine, job_id))
    assert [(r.attempt, r.status, r.status_code) for r in records] == [
        (1, "failed", 503),
        (2, "failed", 503),
        (3, "delivered", 204),
    ]
    assert all(r.duration_ms >= 50 for r in records), [r.duration_ms for r in records]
    assert [r.error_class for r in records] == ["server_error", "server_error", None]
    # A failed attempt says when the next one is due, and it is when the next one started.
    for failed, following in itertools.pairwise(records):
        assert failed.next_attempt_at is not None
        assert failed.started_at < failed.next_attempt_at <= following.started_at
    assert records[-1].next_attempt_at is None
    assert summary["pending"] == summary["dead"] == 0
    assert total is not None and summary["attempts"] == total + 2
    assert summary["last_attempt"]["status"] == "delivered"


async def test_a_redirect_is_not_followed(tmp_path: Path, db_engine: AsyncEngine) -> None:
    accepted: list[str] = []

    async def redirect(_request: Request) -> Response:
        return RedirectResponse("/accept", status_code=302)

    async def accept(request: Request) -> Response:
        accepted.append(request.url.path)
        return Response(status_code=204)

    receiver = Starlette(
        routes=[
            Route("/hook", redirect, methods=["POST"]),
            Route("/accept", accept, methods=["POST", "GET"]),
        ]
    )
    # A client that would follow redirects by default: the sender refuses per request.
    client = httpx.AsyncClient(follow_redirects=True)
    async with serving(receiver) as base_url, client:
        async with service_posting_to(
            tmp_path,
            db_engine,
            base_url + "/hook",
            client,
            webhook_retry_base_seconds=0.02,
            webhook_retry_max_seconds=0.05,
            webhook_retry_window_seconds=0.5,
        ) as (service, job_id):

            async def all_dead() -> bool:
                dead = (await service.job(job_id))["deliveries"]["dead"]
                return bool(dead == await events_of(service, job_id))

            await wait_until(all_dead)

    assert accepted == []
    records = await OutboxStore(db_engine).attempts_of(await first_delivery_id(db_engine, job_id))
    assert len(records) >= 2
    assert {(r.status, r.status_code, r.error_class) for r in records} == {
        ("failed", 302, "redirect")
    }


async def test_a_receiver_that_hangs_past_the_sender_timeout_is_a_timeout(
    tmp_path: Path, db_engine: AsyncEngine
) -> None:
    hung, release = asyncio.Event(), asyncio.Event()

    async def hang_once(_request: Request) -> Response:
        if not hung.is_set():
            hung.set()
            await asyncio.wait_for(release.wait(), timeout=30)
        return Response(status_code=204)

    receiver = Starlette(routes=[Route("/hook", hang_once, methods=["POST"])])
    async with serving(receiver) as base_url:
        async with service_posting_to(
            tmp_path,
            db_engine,
            base_url + "/hook",
            webhook_timeout_seconds=0.3,
            webhook_retry_base_seconds=0.02,
        ) as (service, job_id):

            async def all_delivered() -> bool:
                delivered = (await service.job(job_id))["deliveries"]["delivered"]
                return bool(delivered == await events_of(service, job_id))

            await wait_until(all_delivered)
        release.set()

    records = await OutboxStore(db_engine).attempts_of(await first_delivery_id(db_engine, job_id))
    first, second = records
    assert (first.status, first.status_code) == ("timeout", None)
    # httpx's read timeout or the sender's own bound on the whole request, whichever is first.
    assert first.error_class in {"ReadTimeout", "TimeoutError"}
    assert 300 <= first.duration_ms < 3000
    assert (second.status, second.status_code) == ("delivered", 204)


async def test_a_hang_on_an_in_process_transport_is_a_timeout_too(
    tmp_path: Path, db_engine: AsyncEngine
) -> None:
    # httpx's timeouts do not apply to in-process transports (the embedded API's ASGI one).
    async def never_answers(_request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    client = httpx.AsyncClient(transport=httpx.MockTransport(never_answers))
    async with (
        client,
        service_posting_to(
            tmp_path,
            db_engine,
            "http://api.test/hook",
            client,
            webhook_timeout_seconds=0.2,
            webhook_retry_max_seconds=0.05,
        ) as (service, job_id),
    ):

        async def attempted() -> int:
            return int((await service.job(job_id))["deliveries"]["attempts"])

        await wait_until(attempted)
        last = (await service.job(job_id))["deliveries"]["last_attempt"]
    assert (last["status"], last["error_class"]) == ("timeout", "TimeoutError")
    assert 200 <= last["duration_ms"] < 2000


async def test_past_the_window_a_failing_delivery_is_dead_and_later_events_still_go(
    tmp_path: Path, db_engine: AsyncEngine
) -> None:
    posted: list[int] = []

    def refuse_the_first_event(request: httpx.Request) -> httpx.Response:
        sequence = int(request.headers["webhook-id"].rsplit("_", 1)[1])
        posted.append(sequence)
        return httpx.Response(500 if sequence == 1 else 204)

    client = httpx.AsyncClient(transport=httpx.MockTransport(refuse_the_first_event))
    window = 0.4
    async with (
        client,
        service_posting_to(
            tmp_path,
            db_engine,
            "http://api.test/hook",
            client,
            webhook_retry_base_seconds=0.02,
            webhook_retry_max_seconds=0.05,
            webhook_retry_window_seconds=window,
        ) as (service, job_id),
    ):

        async def settled() -> bool:
            summary = (await service.job(job_id))["deliveries"]
            total = await events_of(service, job_id)
            return bool(summary["dead"] == 1 and total and summary["delivered"] == total - 1)

        await wait_until(settled)
        total = await events_of(service, job_id)
        assert total is not None
        first_count = posted.count(1)
        await asyncio.sleep(0.2)
        assert posted.count(1) == first_count  # dead: never tried again

    assert await statuses(db_engine, job_id) == {
        1: "dead",
        **{seq: "delivered" for seq in range(2, total + 1)},
    }
    # The order rule held until the head died: nothing behind it went out before.
    assert posted[:first_count] == [1] * first_count
    assert posted[first_count:] == list(range(2, total + 1))
    async with db_engine.connect() as conn:
        row = (await conn.execute(select(outbox_table).where(outbox_table.c.sequence == 1))).one()
    assert row.next_attempt_at is None and row.delivered_at is None
    assert row.last_error == "retry window expired; last: HTTP 500"
    records = await OutboxStore(db_engine).attempts_of(row.id)
    deadline = row.created_at.timestamp() + window
    # Every retry was scheduled inside the window (the sender may start one a little
    # after its time on a loaded machine; the window bounds the schedule, not the clock).
    retries = [r.next_attempt_at for r in records[:-1]]
    assert all(at is not None and at.timestamp() <= deadline for at in retries)
    assert records[-1].next_attempt_at is None


async def test_attempt_records_go_with_their_outbox_rows(
    start_service: Callable[..., Any], receiver: WebhookReceiver, db_engine: AsyncEngine
) -> None:
    calls = {"n": 0}

    def fail_once(_request: httpx.Request, _body: dict[str, Any]) -> int:
        calls["n"] += 1
        return 500 if calls["n"] == 1 else 204

    count = select(func.count()).select_from(attempts_table)

    async def attempts_stored(expected: int) -> bool:
        # Waited on in the database: the receiver answers before the sender stores.
        async with db_engine.connect() as conn:
            return int((await conn.execute(count)).scalar_one()) == expected

    receiver.responder = fail_once
    async with start_service() as service:
        job_id = await service.submit()
        await service.wait_for_status(job_id, "completed")
        total = await events_of(service, job_id)
        assert total is not None
        with_one_retry = total + 1
        await wait_until(lambda: attempts_stored(with_one_retry))
    assert len(receiver.delivered(job_id)) == total

    # The repository's cleanup deletes settled outbox rows: their attempts go by cascade.
    store = JobStore(db_engine, on_outbox_write=lambda: None)
    await store.cleanup(statuses=TERMINAL_STATUSES, older_than=utcnow(), dry_run=False)
    async with db_engine.connect() as conn:
        assert (await conn.execute(count)).scalar_one() == 0

    # And any other delete of outbox rows does the same.
    async with start_service() as service:
        job_id = await service.submit()
        await service.wait_for_status(job_id, "completed")
        total = await events_of(service, job_id)
        assert total is not None
        await wait_until(lambda: attempts_stored(total))
    async with db_engine.begin() as conn:
        await conn.execute(delete(outbox_table).where(outbox_table.c.job_id == job_id))
        assert (await conn.execute(count)).scalar_one() == 0
