"""The API and the LLM service as two processes, each on its own PostgreSQL database.

`mission-planner llm-service serve` runs the service (its own migrations, its own
database); the API reaches it over HTTP (LLM_SERVICE_URL) and gets its webhooks
over HTTP at PUBLIC_BASE_URL. Plans are written by a real streaming provider
(the fake OpenAI-compatible server, in a thread of this process), so a cancel can
be seen closing the provider's stream.
"""

from __future__ import annotations

import asyncio
import base64
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import require_server, scratch_postgres_database
from tests.e2e.client import REPORT, SUBMIT, WIZARD, graphql
from tests.e2e.server import RunningServer
from tests.support.fake_openai import FakeOpenAI, Reply, running_fake_openai
from tests.support.job_events import PLAN
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

API_SECRET = "e2e-llm-service-api-secret-0123456789"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"e2e-webhook-secret-32-bytes-long").decode()
PLAN_PARTS = tuple(line + "\n" for line in PLAN.splitlines())
CANCEL = "mutation($id: ID!) { cancelMissionPlan(reportId: $id) { __typename } }"
RETRY = """mutation($id: ID!) { retryMissionPlan(reportId: $id) {
  __typename ... on RetryMissionPlanSuccess { report { id attempt jobId status } } } }"""


def slow_stream(seconds: float) -> Reply:
    """A plan streamed one line every 0.25 s, for about `seconds`."""
    count = int(seconds / 0.25)
    return Reply(parts=("Thinking... ",) * count + PLAN_PARTS, interval=0.25)


class FakeOpenAIThread:
    """The fake provider on its own event loop, so the processes reach it while a test waits."""

    def __init__(self) -> None:
        self.fake: FakeOpenAI | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with running_fake_openai(default=Reply(parts=PLAN_PARTS)) as fake:
            self.fake = fake
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        assert self._ready.wait(10), "the fake provider did not start"
        assert self.fake is not None
        return self.fake

    def __exit__(self, *_: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


class Deployment:
    def __init__(
        self, api: RunningServer, llm: RunningServer, fake: FakeOpenAI, urls: dict[str, str]
    ):
        self.api, self.llm, self.fake, self.urls = api, llm, fake, urls


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    require_server("PostgreSQL", "127.0.0.1", 5432)
    api_db, drop_api_db = scratch_postgres_database("mp_e2e_api")
    llm_db, drop_llm_db = scratch_postgres_database("mp_e2e_llm")
    root = Path(tmp_path_factory.mktemp("two-processes"))
    (root / "api").mkdir()
    (root / "llm").mkdir()
    secrets = {"LLM_SERVICE_API_SECRET": API_SECRET, "LLM_WEBHOOK_SECRET": WEBHOOK_SECRET}
    with FakeOpenAIThread() as fake:
        llm = RunningServer(root / "llm")
        llm.command = llm.llm_service_command()
        llm.env_overrides = {
            **secrets,
            "LLM_DATABASE_URL": llm_db,
            "LLM_PROVIDER": "openai",
            "LLM_API_BASE_URL": fake.base_url,
            "LLM_API_KEY": "sk-fake",
            "LLM_MAX_RETRIES": "0",
            # One job at a time, so a second one waits queued; a short lease, so a job
            # whose process died is taken over soon after the restart.
            "LLM_MAX_CONCURRENT_JOBS": "1",
            "LLM_JOB_LEASE_SECONDS": "1.5",
            "LLM_WEBHOOK_POLL_SECONDS": "0.5",
        }
        api = RunningServer(root / "api")
        api.env_overrides = {
            **secrets,
            "DATABASE_URL": api_db,
            "LLM_SERVICE_URL": llm.base_url,
            "PUBLIC_BASE_URL": api.base_url,
            "SUBMISSION_RATE_LIMIT": "0",
            "MAX_ACTIVE_JOBS_PER_USER": "10",
            # Only webhooks finish reports here: reconciliation would hide a lost one.
            "RECONCILE_AFTER_SECONDS": "3600",
            "SWEEP_INTERVAL_SECONDS": "3600",
        }
        try:
            llm.start()
            api.start()
            yield Deployment(api, llm, fake, {"api": api_db, "llm": llm_db})
        finally:
            api.stop()
            llm.stop()
            drop_api_db()
            drop_llm_db()


def user() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def submit(d: Deployment, token: str) -> dict[str, Any]:
    body = await graphql(d.api, token, SUBMIT, {"input": WIZARD})
    result = body["data"]["submitMissionPlan"]
    assert result["__typename"] == "SubmitMissionPlanSuccess", body
    return result["report"]


async def report_of(d: Deployment, token: str, report_id: str) -> dict[str, Any]:
    body = await graphql(d.api, token, REPORT, {"id": report_id})
    return body["data"]["missionReport"]


async def finished(
    d: Deployment, token: str, report_id: str, timeout: float = 30
) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        report = await report_of(d, token, report_id)
        return report if report["status"] != "GENERATING" else None

    return await wait_until(done, timeout=timeout, what=f"report {report_id} to finish")


async def fetch(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


async def tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def streams_started(d: Deployment, count: int) -> None:
    await wait_until(lambda: len(d.fake.requests) >= count, timeout=20, what="the model call")


async def test_a_plan_completes_across_two_processes_and_two_databases(
    deployment: Deployment,
) -> None:
    d = deployment
    token = d.api.token(user())
    report = await submit(d, token)
    done = await finished(d, token, report["id"])
    assert done["status"] == "COMPLETED", done
    assert done["plan"]["sections"]["bundles"][0]["bundleId"] == "go-bag-72h"
    assert done["usage"]["inputTokens"] == 120 and done["usage"]["outputTokens"] == 340
    # Each process has its own schema, in its own database, from its own migration tree.
    api_tables, llm_tables = await tables(d.urls["api"]), await tables(d.urls["llm"])
    assert "mission_reports" in api_tables and "llm_alembic_version" not in api_tables
    assert not {t for t in api_tables if t.startswith("llm_")}
    assert "llm_workflow_jobs" in llm_tables and "mission_reports" not in llm_tables
    jobs = await fetch(
        d.urls["llm"], "SELECT status FROM llm_workflow_jobs WHERE id = :id", id=report["jobId"]
    )
    assert jobs == [("completed",)]
    # The report was finished by webhooks over HTTP (the sweeper is off), each stored once.
    receipts = await fetch(
        d.urls["api"],
        "SELECT event_type FROM webhook_receipts WHERE job_id = :id",
        id=report["jobId"],
    )
    assert ("workflow.completed",) in receipts


async def test_cancel_closes_the_provider_stream_within_a_second(deployment: Deployment) -> None:
    d = deployment
    token = d.api.token(user())
    seen = len(d.fake.requests)
    d.fake.replies.append(slow_stream(20))
    report = await submit(d, token)
    await streams_started(d, seen + 1)
    await asyncio.sleep(0.5)  # well inside the stream
    closed_before = len(d.fake.disconnects)
    asked = time.monotonic()
    body = await graphql(d.api, token, CANCEL, {"id": report["id"]})
    assert body["data"]["cancelMissionPlan"]["__typename"] == "CancelMissionPlanSuccess"
    await wait_until(
        lambda: len(d.fake.disconnects) > closed_before, timeout=5, what="the stream to close"
    )
    closed_after = d.fake.disconnects[-1] - asked
    assert closed_after < 1.0, f"the provider stream stayed open {closed_after:.2f}s after cancel"
    # A cancelled plan is gone on both sides, and nothing the service still sends revives it.
    assert await report_of(d, token, report["id"]) is None
    job = "SELECT id FROM llm_workflow_jobs WHERE id = :id"
    assert await fetch(d.urls["llm"], job, id=report["jobId"]) == []
    await asyncio.sleep(1.0)
    assert await report_of(d, token, report["id"]) is None


async def test_a_failed_plan_is_retried_across_the_processes(deployment: Deployment) -> None:
    d = deployment
    token = d.api.token(user())
    d.fake.replies.append(Reply.http_error(503, "overloaded"))
    report = await submit(d, token)
    failed = await finished(d, token, report["id"])
    assert (failed["status"], failed["error"]["code"], failed["error"]["retryable"]) == (
        "FAILED",
        "LLM_UNAVAILABLE",
        True,
    )
    body = await graphql(d.api, token, RETRY, {"id": report["id"]})
    retried = body["data"]["retryMissionPlan"]
    assert retried["__typename"] == "RetryMissionPlanSuccess", body
    assert retried["report"]["attempt"] == 2 and retried["report"]["jobId"] != report["jobId"]
    done = await finished(d, token, report["id"])
    assert done["status"] == "COMPLETED", done


async def test_a_restart_of_the_service_loses_neither_the_running_nor_the_queued_job(
    deployment: Deployment,
) -> None:
    d = deployment
    token = d.api.token(user())
    seen = len(d.fake.requests)
    d.fake.replies.append(slow_stream(30))
    running = await submit(d, token)
    await streams_started(d, seen + 1)
    queued = await submit(d, token)  # one job at a time: this one waits its turn
    statuses = await fetch(
        d.urls["llm"],
        "SELECT id, status FROM llm_workflow_jobs WHERE id IN (:a, :b)",
        a=running["jobId"],
        b=queued["jobId"],
    )
    assert dict(statuses) == {running["jobId"]: "running", queued["jobId"]: "queued"}

    d.llm.stop(signal.SIGKILL)  # no graceful shutdown: the jobs keep their stale leases
    await asyncio.to_thread(d.llm.start)

    for report in (running, queued):
        done = await finished(d, token, report["id"], timeout=45)
        assert done["status"] == "COMPLETED", done
    attempts = await fetch(
        d.urls["llm"], "SELECT attempts FROM llm_workflow_jobs WHERE id = :id", id=running["jobId"]
    )
    assert attempts == [(2,)]  # the running job was taken over once, and finished
