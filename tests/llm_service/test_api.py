"""The HTTP contract of docs/llm-service-api.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.llm_service.conftest import workflow_body
from tests.support.workflow_steps import FORMAT_BUNDLES

PROTECTED: list[tuple[str, str, Any]] = [
    ("POST", "/api/v1/workflow", workflow_body()),
    ("GET", "/api/v1/jobs/some-id", None),
    ("DELETE", "/api/v1/jobs/bulk", {"job_ids": []}),
    ("POST", "/api/v1/jobs/cleanup", {}),
    ("GET", "/api/v1/workflows/mission_generation", None),
]


@pytest.mark.parametrize("secret", [None, "", "wrong", "test-api-secret-but-longer"])
async def test_every_route_requires_the_api_secret(
    start_service: Callable[..., Any], secret: str | None
) -> None:
    async with start_service() as service:
        headers = {} if secret is None else {"X-API-Secret": secret}
        for method, path, body in PROTECTED:
            service.client.headers.pop("X-API-Secret", None)
            response = await service.client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (method, path)
            assert response.json() == {"error": "unauthorized"}


async def test_submit_returns_202_and_the_job_is_readable(
    start_service: Callable[..., Any],
) -> None:
    async with start_service() as service:
        response = await service.client.post("/api/v1/workflow", json=workflow_body())
        job_id = response.json()["job_id"]
        job = await service.wait_for_status(job_id, "completed")

    assert response.status_code == 202
    assert response.json() == {"job_id": job_id, "status": "queued"}
    assert job["workflow_name"] == "mission_generation"
    assert job["metadata"] == {"report_id": "report-1", "user_id": "user-1", "attempt": 1}
    assert job["steps"][0] == {
        "id": FORMAT_BUNDLES,
        "display_name": "Formatting Bundles",
        "description": job["steps"][0]["description"],
        "weight": 5,
        "status": "completed",
    }
    assert job["error"] is None and job["created_at"].endswith("+00:00")


async def test_unknown_job_is_404(start_service: Callable[..., Any]) -> None:
    async with start_service() as service:
        response = await service.client.get("/api/v1/jobs/8d6f0c1e-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json() == {"error": "job_not_found"}


async def test_unknown_workflow_is_404(start_service: Callable[..., Any]) -> None:
    async with start_service() as service:
        submitted = await service.client.post(
            "/api/v1/workflow", json={**workflow_body(), "workflow_name": "nope"}
        )
        described = await service.client.get("/api/v1/workflows/../../etc")
    assert submitted.status_code == 404
    assert submitted.json() == {"error": "workflow_not_found"}
    assert described.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"input_data": {}},
        {"workflow_name": "mission_generation"},
        {"workflow_name": "mission_generation", "input_data": []},
        {"workflow_name": "mission_generation", "input_data": {}, "webhook_url": "ftp://x"},
        {"workflow_name": "mission_generation", "input_data": {}, "metadata": "x"},
    ],
)
async def test_malformed_submission_is_422(
    start_service: Callable[..., Any], body: dict[str, Any]
) -> None:
    async with start_service() as service:
        response = await service.client.post("/api/v1/workflow", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request" and response.json()["detail"]


async def test_body_that_is_not_json_is_422(start_service: Callable[..., Any]) -> None:
    async with start_service() as service:
        response = await service.client.post("/api/v1/workflow", content=b"{not json")
    assert response.status_code == 422


async def test_workflow_definition_has_display_names(start_service: Callable[..., Any]) -> None:
    async with start_service() as service:
        response = await service.client.get("/api/v1/workflows/mission_generation")
    definition = response.json()
    assert definition["name"] == "mission_generation" and definition["version"] == 1
    assert [s["display_name"] for s in definition["steps"]] == [
        "Formatting Bundles",
        "Joining Bundles",
        "Building Scenario List",
        "Building User Message",
        "Generating Mission Plan",
        "Parsing Sections",
    ]


async def test_healthz_needs_no_secret(start_service: Callable[..., Any]) -> None:
    async with start_service() as service:
        response = await service.client.get("/healthz", headers={"X-API-Secret": ""})
    assert response.json() == {"status": "ok"}
