"""HttpLLMService.cleanup_finished_jobs at the network edge (httpx.MockTransport)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from domain.errors import LLMServiceUnavailable
from domain.jobs import JobCleanup
from infra.llm_client import HttpLLMService

CUTOFF = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def service(answer: httpx.Response, seen: list[httpx.Request]) -> HttpLLMService:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    client = httpx.AsyncClient(transport=httpx.MockTransport(handle), base_url="http://llm")
    return HttpLLMService(client, "secret", "http://api/webhook")


async def test_sends_the_exact_cutoff_and_only_finished_statuses() -> None:
    seen: list[httpx.Request] = []
    answer = {"matched": 3, "deleted": 3, "deliveries_matched": 9, "deliveries_deleted": 9}
    llm = service(httpx.Response(200, json=answer), seen)

    result = await llm.cleanup_finished_jobs(7, CUTOFF, dry_run=False)

    assert result == JobCleanup(3, 3, 9, 9)
    [request] = seen
    assert (request.method, request.url.path) == ("POST", "/api/v1/jobs/cleanup")
    assert request.headers["x-api-secret"] == "secret"
    assert json.loads(request.content) == {
        "older_than_days": 7,
        "created_before": "2026-11-22T09:00:00+00:00",
        "statuses": ["completed", "failed", "cancelled"],
        "dry_run": False,
    }


async def test_a_service_that_counts_no_deliveries_reads_as_zero() -> None:
    llm = service(httpx.Response(200, json={"matched": 2, "deleted": 0}), [])
    assert await llm.cleanup_finished_jobs(7, CUTOFF, dry_run=True) == JobCleanup(2, 0, 0, 0)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(503, json={"error": "not_started"}),
        httpx.Response(200, content=b"not json"),
        httpx.Response(200, json=["matched"]),
        httpx.Response(200, json={"matched": "many", "deleted": 0}),
    ],
)
async def test_an_error_or_unreadable_answer_is_unavailable(answer: httpx.Response) -> None:
    llm = service(answer, [])
    with pytest.raises(LLMServiceUnavailable):
        await llm.cleanup_finished_jobs(7, CUTOFF, dry_run=False)
