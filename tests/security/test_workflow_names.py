"""Issue 6, point 2: a client's workflow name neither grows memory nor walks the LLM
service's paths. Names are checked against the known workflows, every URL path part is
percent-encoded, and the definition cache is bounded."""

from __future__ import annotations

import gc
import logging
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from infra.llm_client import MAX_CACHED_DEFINITIONS, HttpLLMService
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.support.workflow_steps import FORMAT_BUNDLES
from tests.unit.fakes import MISSION_GENERATION_STEPS

STEPS = "query($w: String!) { workflowSteps(workflow: $w) { id displayName } }"
DEFAULT_STEPS = "{ workflowSteps { id } }"


class RecordingLLMService:
    """An httpx.MockTransport standing in for the LLM service: records every URL asked."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.raw_path.decode())
        if request.url.path.startswith("/api/v1/workflows/"):
            name = request.url.path.removeprefix("/api/v1/workflows/")
            steps = [
                {"id": step_id, "display_name": display, "weight": weight}
                for step_id, display, weight in MISSION_GENERATION_STEPS
            ]
            return httpx.Response(200, json={"name": name, "version": 1, "steps": steps})
        return httpx.Response(404, json={"error": "not_found"})

    def client(self) -> HttpLLMService:
        transport = httpx.MockTransport(self.handle)
        http = httpx.AsyncClient(transport=transport, base_url="http://llm.test")
        return HttpLLMService(http, "the-api-secret", "http://api.test/webhook")


@pytest.fixture
async def sqlite_api(tmp_path: Path) -> AsyncIterator[ApiHarness]:
    settings = settings_for(f"sqlite+aiosqlite:///{tmp_path / 'api.db'}", tmp_path)
    async with running_api(settings) as harness:
        yield harness


@pytest.fixture
def llm(sqlite_api: ApiHarness) -> RecordingLLMService:
    recording = RecordingLLMService()
    sqlite_api.state.llm = recording.client()
    return recording


async def test_the_known_workflow_still_answers(
    sqlite_api: ApiHarness, llm: RecordingLLMService
) -> None:
    body = await sqlite_api.graphql(DEFAULT_STEPS)
    assert body["data"]["workflowSteps"][0]["id"] == FORMAT_BUNDLES
    assert llm.paths == ["/api/v1/workflows/mission_generation"]


@pytest.mark.parametrize(
    "name",
    ["../jobs/{job}", "..%2Fjobs%2F{job}", "mission_generation/../../jobs/{job}", "..", ""],
)
async def test_a_path_walking_name_never_reaches_the_llm_service(
    sqlite_api: ApiHarness, llm: RecordingLLMService, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="graph.errors")
    body = await sqlite_api.graphql(STEPS, {"w": name.format(job=uuid.uuid4().hex)})
    # One line for the operator, no traceback: a client's mistake is not a crash.
    assert [r.exc_info for r in caplog.records if r.name == "graph.errors"] == [None]
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        "workflow: unknown workflow name; known workflows: mission_generation."
    ]
    assert llm.paths == []


async def test_many_distinct_names_leave_memory_where_it_was(
    sqlite_api: ApiHarness, llm: RecordingLLMService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.CRITICAL)  # pytest keeps every captured record
    for index in range(200):  # warm up parser and validation caches
        await sqlite_api.graphql(STEPS, {"w": f"warm-{index}"})
    tracemalloc.start()
    try:
        gc.collect()
        before, _ = tracemalloc.get_traced_memory()
        for index in range(1500):
            await sqlite_api.graphql(STEPS, {"w": f"name-{index}-{'x' * 200}"})
        gc.collect()  # what is garbage is not growth
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Before the fix 3,000 names grew the process by 23 MB (about 8 KB each).
    assert after - before < 300_000
    assert llm.paths == []


async def test_url_path_parts_are_percent_encoded() -> None:
    recording = RecordingLLMService()
    service = recording.client()
    assert await service.get_job("../workflows/mission_generation") is None
    assert await service.get_job("..") is None
    await service.get_workflow("a/../../jobs/x")
    assert recording.paths == [
        "/api/v1/jobs/%2E%2E%2Fworkflows%2Fmission_generation",
        "/api/v1/jobs/%2E%2E",
        "/api/v1/workflows/a%2F%2E%2E%2F%2E%2E%2Fjobs%2Fx",
    ]


async def test_the_definition_cache_is_bounded() -> None:
    recording = RecordingLLMService()
    service = recording.client()
    for index in range(MAX_CACHED_DEFINITIONS * 4):
        await service.get_workflow(f"workflow_{index}")
    assert service.cached_definitions() <= MAX_CACHED_DEFINITIONS
    # The newest stays cached: asking again sends nothing.
    asked = len(recording.paths)
    await service.get_workflow(f"workflow_{MAX_CACHED_DEFINITIONS * 4 - 1}")
    assert len(recording.paths) == asked
