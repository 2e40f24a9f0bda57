"""Issue 6, point 5: malformed requests to the LLM service get a 4xx, one log line, no traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from llm_service.routes import MAX_BODY_BYTES, MAX_OLDER_THAN_DAYS

DEEP = b'{"job_ids": ' + b"[" * 5000 + b"]" * 5000 + b"}"

CASES: dict[str, tuple[str, str, bytes, int, str]] = {
    "older_than_days past year 1": (
        "POST",
        "/api/v1/jobs/cleanup",
        b'{"older_than_days": 1000000000}',
        422,
        f"older_than_days must be an integer from 0 to {MAX_OLDER_THAN_DAYS}",
    ),
    "older_than_days 10**400": (
        "POST",
        "/api/v1/jobs/cleanup",
        b'{"older_than_days": 1' + b"0" * 400 + b"}",
        422,
        "older_than_days must be an integer",
    ),
    "statuses holding a list": (
        "POST",
        "/api/v1/jobs/cleanup",
        b'{"statuses": [["completed"]]}',
        422,
        "statuses must be among",
    ),
    "statuses holding an object": (
        "POST",
        "/api/v1/jobs/cleanup",
        b'{"statuses": [{"a": 1}]}',
        422,
        "statuses must be among",
    ),
    "statuses a string": (
        "POST",
        "/api/v1/jobs/cleanup",
        b'{"statuses": "completed"}',
        422,
        "statuses must be of type list",
    ),
    "deep JSON": ("DELETE", "/api/v1/jobs/bulk", DEEP, 422, "nested too deeply"),
    "deep JSON on submit": ("POST", "/api/v1/workflow", DEEP, 422, "nested too deeply"),
    "not UTF-8": ("POST", "/api/v1/jobs/cleanup", b'{"statuses": "\xff"}', 422, "not valid JSON"),
    "a JSON string": ("POST", "/api/v1/jobs/cleanup", b'"hi"', 422, "body must be a JSON object"),
    "an unknown workflow": (
        "POST",
        "/api/v1/workflow",
        b'{"workflow_name": "no_such_workflow", "input_data": {}}',
        404,
        "workflow_not_found",
    ),
    "an unknown job": ("GET", "/api/v1/jobs/no-such-job", b"", 404, "job_not_found"),
    "over the body cap": (
        "POST",
        "/api/v1/workflow",
        b'{"workflow_name": "' + b"x" * MAX_BODY_BYTES + b'"}',
        413,
        "body_too_large",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_malformed_requests_get_a_4xx_without_traceback(
    start_service: Callable[..., Any], case: str, caplog: pytest.LogCaptureFixture
) -> None:
    method, path, body, status, detail = CASES[case]
    caplog.set_level(logging.INFO)
    async with start_service() as service:
        caplog.clear()
        response = await service.client.request(
            method, path, content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == status, response.text
        assert detail in response.text
        assert refusal_lines(caplog) == [f"refused {method} {path}: {status}"]
        # Nothing was deleted or changed: the service still answers normally.
        cleanup = await service.client.post("/api/v1/jobs/cleanup", json={"dry_run": True})
        assert cleanup.json()["matched"] == cleanup.json()["deleted"] == 0
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


def refusal_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The routes' log lines, cut after the status (the rest is the error and its detail)."""
    lines = [r.getMessage() for r in caplog.records if r.name == "llm_service.routes"]
    return [line[: line.index(":") + 5] for line in lines]


async def test_a_wrong_api_secret_is_401_and_one_line(
    start_service: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with start_service() as service:
        caplog.clear()
        response = await service.client.get(
            "/api/v1/workflows/mission_generation", headers={"X-API-Secret": "wrong"}
        )
    assert response.status_code == 401
    assert refusal_lines(caplog) == ["refused GET /api/v1/workflows/mission_generation: 401"]
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


async def test_a_streamed_body_over_the_cap_is_413(start_service: Callable[..., Any]) -> None:
    async def chunks() -> Any:
        yield b'{"job_ids": ["'
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b"x" * 65536
        yield b'"]}'

    async with start_service() as service:
        response = await service.client.request(
            "DELETE",
            "/api/v1/jobs/bulk",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
