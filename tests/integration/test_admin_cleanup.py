"""cleanupOldJobs over GraphQL on SQLite and PostgreSQL, embedded LLM service included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db.engine import create_engines
from tests.conftest import free_port
from tests.e2e.client import REPORT
from tests.integration.cleanup_data import (
    CLEANUP,
    CleanupScene,
    cleanup_scene,
    deliveries_of,
    events_of,
    job_exists,
    receipts_of,
)
from tests.integration.harness import ApiHarness, running_api, settings_for

ADMIN = "admin-ops"


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    async with running_api(
        settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=0)
    ) as harness:
        yield harness


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engines = create_engines(database_url)
    yield engines.writer
    await engines.dispose()


@pytest.fixture
async def scene(api: ApiHarness, engine: AsyncEngine) -> CleanupScene:
    # The PostgreSQL test database is shared by the session: start from nothing old.
    await cleanup(api, ADMIN, days=7, dry=False)
    return await cleanup_scene(api, engine)


async def cleanup(api: ApiHarness, user: str, *, days: int, dry: bool) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api.token(user, admin=user == ADMIN)}"}
    response = await api.client.post(
        "/graphql",
        json={"query": CLEANUP, "variables": {"days": days, "dry": dry}},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["cleanupOldJobs"]


async def assert_nothing_deleted(engine: AsyncEngine, scene: CleanupScene) -> None:
    for job_id in (scene.old_job, scene.new_job, *scene.active_jobs):
        assert await job_exists(engine, job_id), job_id
    assert await receipts_of(engine, scene.old_job) == scene.old_receipts > 0
    assert await deliveries_of(engine, scene.old_job) == scene.old_deliveries > 0


async def test_an_admin_dry_run_shows_what_matches_and_deletes_nothing(
    api: ApiHarness, engine: AsyncEngine, scene: CleanupScene
) -> None:
    started = datetime.now(UTC)
    result = await cleanup(api, ADMIN, days=7, dry=True)

    assert result == {
        "__typename": "CleanupOldJobsSuccess",
        "matched": 1,
        "deleted": 0,
        "dryRun": True,
        "cutoff": result["cutoff"],
        "deliveriesMatched": scene.old_deliveries,
        "deliveriesDeleted": 0,
        "receiptsMatched": scene.old_receipts,
        "receiptsDeleted": 0,
    }
    cutoff = datetime.fromisoformat(result["cutoff"])
    assert started - timedelta(days=7) <= cutoff <= datetime.now(UTC) - timedelta(days=7)
    await assert_nothing_deleted(engine, scene)


async def test_an_admin_run_deletes_old_finished_jobs_and_receipts_only_and_is_idempotent(
    api: ApiHarness, engine: AsyncEngine, scene: CleanupScene
) -> None:
    old_events = await events_of(engine, scene.old_report)
    new_receipts = await receipts_of(engine, scene.new_job)

    first = await cleanup(api, ADMIN, days=7, dry=False)
    second = await cleanup(api, ADMIN, days=7, dry=False)

    assert first["__typename"] == "CleanupOldJobsSuccess" and first["dryRun"] is False
    assert (first["matched"], first["deleted"]) == (1, 1)
    assert first["deliveriesDeleted"] == scene.old_deliveries
    assert first["receiptsDeleted"] == first["receiptsMatched"] == scene.old_receipts
    assert (second["matched"], second["deleted"], second["receiptsDeleted"]) == (0, 0, 0)
    assert second["deliveriesDeleted"] == 0
    # The old job and what recorded its webhooks are gone...
    assert not await job_exists(engine, scene.old_job)
    assert await deliveries_of(engine, scene.old_job) == 0
    assert await receipts_of(engine, scene.old_job) == 0
    assert await api.state.llm.get_job(scene.old_job) is None
    # ...never an active or a recent job, nor the user's reports, plans and events.
    for job_id in (scene.new_job, *scene.active_jobs):
        assert await job_exists(engine, job_id), job_id
    assert await receipts_of(engine, scene.new_job) == new_receipts > 0
    assert await events_of(engine, scene.old_report) == old_events > 0
    for report_id in (scene.old_report, scene.new_report):
        body = await api.graphql(REPORT, {"id": report_id}, user=scene.user)
        report = body["data"]["missionReport"]
        assert report["status"] == "COMPLETED" and report["plan"]["content"].startswith("# ")
    listed = await api.graphql("{ missionReports { nodes { id } } }", user=scene.user)
    assert len(listed["data"]["missionReports"]["nodes"]) == 2


async def test_a_non_admin_is_denied_and_nothing_is_deleted(
    api: ApiHarness, engine: AsyncEngine, scene: CleanupScene
) -> None:
    for dry in (False, True):
        result = await cleanup(api, scene.user, days=7, dry=dry)
        assert result == {
            "__typename": "PermissionDeniedError",
            "message": "Only an administrator can clean up old jobs.",
        }
    await assert_nothing_deleted(engine, scene)


async def test_an_anonymous_caller_must_authenticate(api: ApiHarness) -> None:
    body = await api.graphql("mutation { cleanupOldJobs { __typename } }")
    assert body["data"] is None
    assert body["errors"][0]["message"].startswith("Authentication required")


@pytest.mark.parametrize("days", [-1, 3651])
async def test_older_than_days_outside_0_to_3650_is_a_validation_error(
    api: ApiHarness, engine: AsyncEngine, scene: CleanupScene, days: int
) -> None:
    result = await cleanup(api, ADMIN, days=days, dry=False)

    assert result == {
        "__typename": "ValidationError",
        "message": "olderThanDays: must be between 0 and 3650 days",
        "field": "olderThanDays",
        "errors": [{"field": "olderThanDays", "code": "OUT_OF_RANGE"}],
    }
    await assert_nothing_deleted(engine, scene)


async def test_an_unreachable_llm_service_is_a_typed_error(
    database_url: str, tmp_path: Path
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = settings_for(database_url, tmp_path, LLM_SERVICE_URL=closed)
    async with running_api(settings) as remote:
        result = await cleanup(remote, ADMIN, days=7, dry=True)

    assert result["__typename"] == "ServiceUnavailableError"
    assert result["message"].startswith("The plan generator is unavailable right now")
