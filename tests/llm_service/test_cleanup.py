"""POST /api/v1/jobs/cleanup: old finished jobs go with their outbox rows; nothing else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from llm_service.db import utcnow
from llm_service.tables import jobs_table, outbox_table
from tests.llm_service.conftest import RunningService, WebhookReceiver
from tests.support.waiting import wait_until

CLEANUP = "/api/v1/jobs/cleanup"


async def age_job(engine: AsyncEngine, job_id: str, days: float) -> None:
    """Makes the job, and the webhooks it queued, `days` old."""
    then = utcnow() - timedelta(days=days)
    async with engine.begin() as conn:
        await conn.execute(
            update(jobs_table).where(jobs_table.c.id == job_id).values(created_at=then)
        )
        await conn.execute(
            update(outbox_table).where(outbox_table.c.job_id == job_id).values(created_at=then)
        )


async def outbox_rows(engine: AsyncEngine, job_id: str) -> int:
    query = select(func.count()).where(outbox_table.c.job_id == job_id)
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def deliveries_settled(engine: AsyncEngine, job_id: str) -> None:
    pending = select(func.count()).where(
        outbox_table.c.job_id == job_id, outbox_table.c.delivered_at.is_(None)
    )

    async def settled() -> bool:
        async with engine.connect() as conn:
            return (await conn.execute(pending)).scalar_one() == 0

    await wait_until(settled)


async def finished_job(service: RunningService, engine: AsyncEngine) -> str:
    job_id = await service.submit()
    await service.wait_for_status(job_id, "completed")
    await deliveries_settled(engine, job_id)
    return job_id


async def cleanup(service: RunningService, **body: Any) -> dict[str, int]:
    response = await service.client.post(CLEANUP, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_old_finished_jobs_go_with_their_outbox_rows_in_one_run(
    start_service: Callable[..., Any], db_engine: AsyncEngine
) -> None:
    async with start_service() as service:
        old_id = await finished_job(service, db_engine)
        new_id = await finished_job(service, db_engine)
        await age_job(db_engine, old_id, days=8)
        old_rows, new_rows = (
            await outbox_rows(db_engine, old_id),
            await outbox_rows(db_engine, new_id),
        )

        dry = await cleanup(service, older_than_days=7, dry_run=True)
        assert await outbox_rows(db_engine, old_id) == old_rows  # a dry run deletes nothing
        real = await cleanup(service, older_than_days=7)
        again = await cleanup(service, older_than_days=7)
        old = await service.client.get(f"/api/v1/jobs/{old_id}")
        new = await service.client.get(f"/api/v1/jobs/{new_id}")

        assert old_rows > 0
        assert dry == {
            "matched": 1,
            "deleted": 0,
            "deliveries_matched": old_rows,
            "deliveries_deleted": 0,
        }
        assert real == {
            "matched": 1,
            "deleted": 1,
            "deliveries_matched": old_rows,
            "deliveries_deleted": old_rows,
        }
        assert again == {
            "matched": 0,
            "deleted": 0,
            "deliveries_matched": 0,
            "deliveries_deleted": 0,
        }
        assert old.status_code == 404 and new.status_code == 200
        assert await outbox_rows(db_engine, old_id) == 0
        assert await outbox_rows(db_engine, new_id) == new_rows


async def test_a_running_job_is_never_deleted_however_old(
    start_service: Callable[..., Any], db_engine: AsyncEngine
) -> None:
    async with start_service(offline_step_delay_ms=60_000) as service:
        job_id = await service.submit()
        await service.wait_for_status(job_id, "running")
        await age_job(db_engine, job_id, days=30)

        result = await cleanup(service, older_than_days=0)
        job = await service.job(job_id)

    assert result["matched"] == 0 and result["deleted"] == 0
    assert job["status"] == "running"


async def test_a_finished_job_whose_webhook_is_still_being_delivered_is_kept(
    start_service: Callable[..., Any], db_engine: AsyncEngine, receiver: WebhookReceiver
) -> None:
    receiver.responder = lambda _request, _body: 503  # the API is down: retried, not dead
    async with start_service() as service:
        job_id = await service.submit()
        await service.wait_for_status(job_id, "completed")
        await age_job(db_engine, job_id, days=8)
        rows = await outbox_rows(db_engine, job_id)

        result = await cleanup(service, older_than_days=7)
        job = await service.client.get(f"/api/v1/jobs/{job_id}")

    # Deleting it would leave its report never learning the outcome.
    assert result == {"matched": 0, "deleted": 0, "deliveries_matched": 0, "deliveries_deleted": 0}
    assert job.status_code == 200 and await outbox_rows(db_engine, job_id) == rows


async def test_settled_outbox_rows_of_a_cancelled_and_deleted_job_go_when_old(
    start_service: Callable[..., Any], db_engine: AsyncEngine
) -> None:
    async with start_service(offline_step_delay_ms=60_000) as service:
        job_id = await service.submit()
        await service.wait_for_status(job_id, "running")
        response = await service.client.request(
            "DELETE", "/api/v1/jobs/bulk", json={"job_ids": [job_id]}
        )
        assert response.json() == {"deleted": 1}
        await deliveries_settled(db_engine, job_id)
        await age_job(db_engine, job_id, days=8)
        rows = await outbox_rows(db_engine, job_id)

        result = await cleanup(service, older_than_days=7)

    assert rows > 0
    assert result == {
        "matched": 0,
        "deleted": 0,
        "deliveries_matched": rows,
        "deliveries_deleted": rows,
    }
    assert await outbox_rows(db_engine, job_id) == 0


async def test_created_before_is_the_exact_cutoff(
    start_service: Callable[..., Any], db_engine: AsyncEngine
) -> None:
    async with start_service() as service:
        job_id = await finished_job(service, db_engine)
        job = await service.job(job_id)
        created = job["created_at"]

        at_creation = await cleanup(service, created_before=created, dry_run=True)
        just_after = await cleanup(
            service, created_before=(utcnow() + timedelta(seconds=1)).isoformat(), dry_run=True
        )

    assert at_creation["matched"] == 0  # strictly before
    assert just_after["matched"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"older_than_days": -1},
        {"older_than_days": 3651},
        {"older_than_days": 10**30},
        {"older_than_days": True},
        {"statuses": ["running"]},
        {"statuses": [{}]},
        {"created_before": "yesterday"},
        {"created_before": "2026-01-01T00:00:00"},  # no offset: ambiguous
        {"created_before": "2026-01-01T00:00:00+00:00" + " " * 100},
    ],
)
async def test_a_malformed_cleanup_is_422_and_deletes_nothing(
    start_service: Callable[..., Any], db_engine: AsyncEngine, body: dict[str, Any]
) -> None:
    async with start_service() as service:
        job_id = await finished_job(service, db_engine)
        await age_job(db_engine, job_id, days=8)
        response = await service.client.post(CLEANUP, json=body)
        kept = await service.client.get(f"/api/v1/jobs/{job_id}")

    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request" and response.json()["detail"]
    assert kept.status_code == 200
