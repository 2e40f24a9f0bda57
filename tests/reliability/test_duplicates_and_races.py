"""Duplicates and races: webhooks applied once, idempotent submission, cancelled stays cancelled."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.webhook_signing import sign
from tests.conftest import migrated_postgres_url
from tests.e2e.client import SUBMIT, WIZARD
from tests.e2e.server import RunningServer
from tests.integration.harness import WEBHOOK_SECRET, ApiHarness, running_api, settings_for
from tests.support.job_events import completed_event


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    settings = settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000)
    async with running_api(settings) as harness:
        yield harness


async def submit(api: ApiHarness, user: str, key: str | None = None) -> dict[str, Any]:
    body = await api.graphql(SUBMIT, {"input": WIZARD, "key": key}, user=user)
    return body["data"]["submitMissionPlan"]


async def test_the_same_webhook_twenty_times_at_once_applies_once(api: ApiHarness) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    report = (await submit(api, user))["report"]
    body = completed_event(report)
    responses = await asyncio.gather(*(api.webhook(body, webhook_id="msg_same") for _ in range(20)))
    assert all(r.status_code == 200 for r in responses)
    assert [r.json()["status"] for r in responses].count("applied") == 1
    events = await api.state.queries.events_after(report["id"], 0)
    assert [e.type.value for e in events] == ["progress", "completed", "notification"]
    notes = await api.state.queries.notifications(user, include_dismissed=True)
    assert len(notes) == 1


async def test_concurrent_submissions_with_one_idempotency_key_make_one_report(
    api: ApiHarness,
) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    results = await asyncio.gather(*(submit(api, user, key="same-click") for _ in range(10)))
    assert {r["__typename"] for r in results} == {"SubmitMissionPlanSuccess"}
    assert len({r["report"]["id"] for r in results}) == 1
    listed = await api.graphql("{ missionReports { nodes { id } } }", user=user)
    assert len(listed["data"]["missionReports"]["nodes"]) == 1


async def test_a_key_is_free_again_after_cancel(api: ApiHarness) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    first = (await submit(api, user, key="k"))["report"]
    cancel = "mutation($id: ID!) { cancelMissionPlan(reportId: $id) { __typename } }"
    await api.graphql(cancel, {"id": first["id"]}, user=user)
    second = (await submit(api, user, key="k"))["report"]
    assert second["id"] != first["id"]


async def test_a_late_completion_does_not_resurrect_a_cancelled_report(api: ApiHarness) -> None:
    user = f"user-{uuid.uuid4().hex[:8]}"
    report = (await submit(api, user))["report"]
    cancel = "mutation($id: ID!) { cancelMissionPlan(reportId: $id) { __typename } }"
    body = await api.graphql(cancel, {"id": report["id"]}, user=user)
    assert body["data"]["cancelMissionPlan"]["__typename"] == "CancelMissionPlanSuccess"
    response = await api.webhook(completed_event(report))
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert await api.state.queries.report(report["id"]) is None
    assert await api.state.queries.notifications(user, include_dismissed=True) == []
    again = await api.graphql(cancel, {"id": report["id"]}, user=user)
    assert again["data"]["cancelMissionPlan"]["__typename"] == "CancelMissionPlanSuccess"


@pytest.mark.postgres
async def test_duplicates_across_two_api_processes_apply_once(
    postgres_url: str, tmp_path: Path
) -> None:
    url = await migrated_postgres_url(postgres_url)
    env = {
        "DATABASE_URL": url,
        "LLM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LLM_SERVICE_API_SECRET": "two-process-secret",
        "OFFLINE_STEP_DELAY_MS": "600000",
    }
    servers = [RunningServer(tmp_path / name, env_overrides=env) for name in ("a", "b")]
    for server in servers:
        server.data_dir.mkdir()
        server.start()
    try:
        user = f"user-{uuid.uuid4().hex[:8]}"
        async with httpx.AsyncClient(timeout=30) as client:
            created = await client.post(
                servers[0].base_url + "/graphql",
                json={"query": SUBMIT, "variables": {"input": WIZARD}},
                headers={"Authorization": f"Bearer {servers[0].token(user)}"},
            )
            report = created.json()["data"]["submitMissionPlan"]["report"]
            raw = json.dumps(completed_event(report)).encode()
            headers = sign(WEBHOOK_SECRET, "msg_two_processes", int(time.time()), raw)
            responses = await asyncio.gather(
                *(
                    client.post(
                        s.base_url + "/api/webhooks/llm-callback", content=raw, headers=headers
                    )
                    for s in servers
                    for _ in range(10)
                )
            )
            assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
            assert [r.json()["status"] for r in responses].count("applied") == 1
            events = await client.post(
                servers[1].base_url + "/graphql",
                json={
                    "query": "query($id: ID!) { missionReport(id: $id) { status } }",
                    "variables": {"id": report["id"]},
                },
                headers={"Authorization": f"Bearer {servers[1].token(user)}"},
            )
            assert events.json()["data"]["missionReport"]["status"] == "COMPLETED"
    finally:
        for server in servers:
            server.stop()
