"""SIGTERM: in-flight requests finish with 200, then the process exits 0 in its window."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from graph.serve import GRACEFUL_SHUTDOWN_SECONDS
from llm_service.workflows import load_workflow
from tests.conftest import free_port
from tests.e2e.client import REPORT, graphql
from tests.faults.conftest import (
    MISSION_EVENTS_QUERY,
    MY_EVENTS_QUERY,
    Collector,
    StartServer,
    assert_ends_with_the_completion,
    assert_in_order_without_gaps,
    log_tail,
    new_user,
    poll,
    submit_plan,
)

pytestmark = pytest.mark.e2e

SLOW_SUBMIT_SECONDS = 3.0
IN_FLIGHT_SUBMITS = 3


class SlowLLMService:
    """A remote LLM service that takes its time to accept a job (in a thread of its own)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received = 0
        app = Starlette(
            routes=[
                Route("/api/v1/workflow", self._submit, methods=["POST"]),
                Route("/api/v1/workflows/{name}", self._workflow, methods=["GET"]),
                Route("/api/v1/jobs/{job_id}", self._job, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _submit(self, request: Request) -> JSONResponse:
        self.received += 1
        await asyncio.sleep(SLOW_SUBMIT_SECONDS)
        return JSONResponse({"job_id": str(uuid.uuid4()), "status": "queued"}, status_code=202)

    async def _workflow(self, request: Request) -> JSONResponse:
        return JSONResponse(load_workflow(request.path_params["name"]).to_dict())

    async def _job(self, request: Request) -> JSONResponse:
        return JSONResponse({"error": "job_not_found"}, status_code=404)

    def __enter__(self) -> SlowLLMService:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            assert time.monotonic() < deadline, "the fake LLM service did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


@pytest.fixture
def slow_llm() -> Iterator[SlowLLMService]:
    with SlowLLMService() as service:
        yield service


async def test_sigterm_lets_in_flight_requests_finish_then_exits_zero(
    start_server: StartServer, slow_llm: SlowLLMService, tmp_path: Path
) -> None:
    data_dir = tmp_path / "api"
    server = start_server(data_dir=data_dir, LLM_SERVICE_URL=slow_llm.url)
    token = server.token(new_user())
    idle = Collector(server, token, MY_EVENTS_QUERY)  # an open subscription must not hold it up

    submits = [asyncio.create_task(submit_plan(server, token)) for _ in range(IN_FLIGHT_SUBMITS)]
    await poll(
        lambda: slow_llm.received == IN_FLIGHT_SUBMITS,
        timeout=30,
        interval=0.02,
        what="every submit waiting on the LLM service",
    )
    assert not any(task.done() for task in submits), "the submits were not in flight"

    assert server.process is not None
    sigterm_at = time.monotonic()
    server.process.send_signal(signal.SIGTERM)

    # Each in-flight request completes: a 200 with the report (submit_plan asserts both).
    report_ids = await asyncio.wait_for(asyncio.gather(*submits), GRACEFUL_SHUTDOWN_SECONDS)
    assert len(set(report_ids)) == IN_FLIGHT_SUBMITS

    code = await asyncio.to_thread(server.process.wait, GRACEFUL_SHUTDOWN_SECONDS + 10)
    took = time.monotonic() - sigterm_at
    assert code == 0, f"exit code {code}\n{log_tail(server)}"
    assert took < GRACEFUL_SHUTDOWN_SECONDS, f"shutdown took {took:.1f}s\n{log_tail(server)}"
    assert "timeout graceful shutdown exceeded" not in server.log_text()
    await idle.finished(timeout=10)  # the server closed the idle subscription
    with pytest.raises(httpx.ConnectError):
        await graphql(server, token, "{ viewer { id } }")

    # What the requests committed is all there after a restart, job ids included.
    again = start_server(data_dir=data_dir, port=server.port, LLM_SERVICE_URL=slow_llm.url)
    for report_id in report_ids:
        body = await graphql(
            again, token, "query($id: ID!) { missionReport(id: $id) { jobId } }", {"id": report_id}
        )
        assert body["data"]["missionReport"]["jobId"], body


async def test_sigterm_mid_job_hands_the_job_over_to_the_next_start(
    start_server: StartServer, tmp_path: Path
) -> None:
    """The embedded runner releases its jobs on shutdown: the next process resumes them at
    once instead of waiting for their lease to go stale."""
    data_dir = tmp_path / "api"
    server = start_server(data_dir=data_dir, OFFLINE_STEP_DELAY_MS="400")
    token = server.token(new_user())
    report_id = await submit_plan(server, token)
    watcher = Collector(server, token, MISSION_EVENTS_QUERY, id=report_id)
    await poll(lambda: len(watcher.events) >= 3, timeout=30, interval=0.02, what="mid-job")
    assert server.process is not None
    server.process.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(server.process.wait, GRACEFUL_SHUTDOWN_SECONDS + 10)
    assert code == 0, f"exit code {code}\n{log_tail(server)}"
    await watcher.finished(timeout=10)
    seen = list(watcher.events)
    assert seen[-1]["__typename"] == "MissionProgressEvent", "the job ended before SIGTERM"
    with sqlite3.connect(data_dir / "mission_planner.db") as db:
        jobs = db.execute(
            "SELECT status, runner_id, heartbeat_at FROM llm_workflow_jobs"
        ).fetchall()
    assert jobs == [("running", None, None)], f"not handed back: {jobs}"

    again = start_server(data_dir=data_dir, port=server.port, OFFLINE_STEP_DELAY_MS="400")
    after = Collector(again, token, MISSION_EVENTS_QUERY, id=report_id, after=seen[-1]["sequence"])
    resumed = await after.finished(timeout=60)
    assert_ends_with_the_completion(resumed)
    assert_in_order_without_gaps(seen + resumed)
    body = await graphql(again, token, REPORT, {"id": report_id})
    assert body["data"]["missionReport"]["status"] == "COMPLETED"
