"""Several LLM-service processes share one job table: each job runs once, and a crashed
worker's job is taken over by another within its lease.

Two `mission-planner llm-service serve` processes on one scratch PostgreSQL database
(LLM_DATABASE_URL), the offline planner, webhooks to a sink in this process.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import llm_workers
from benchmarks.common import Server, settle
from tests.conftest import require_server, scratch_postgres_database

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

# The crash test's lease: short, so the takeover comes soon.
LEASE_SECONDS = 2.0
# Where no worker dies: long enough that a worker starved of CPU on a loaded machine
# (heartbeats every third of it) keeps its jobs; with 2 s a stall of 1.4 s handed a
# running job to the other worker, and it ran twice.
LIVE_LEASE_SECONDS = 15.0


@pytest.fixture
def llm_database() -> Iterator[str]:
    require_server("PostgreSQL", "127.0.0.1", 5432)
    url, drop = scratch_postgres_database("mp_e2e_workers")
    yield url
    drop()


@pytest.fixture
async def sink() -> AsyncIterator[tuple[llm_workers.WebhookSink, str]]:
    receiver = llm_workers.WebhookSink()
    async with llm_workers.serving(receiver.app) as url:
        yield receiver, url + "/hook"


def start_workers(
    root: Path, database: str, step_delay_ms: int, lease_seconds: float
) -> list[Server]:
    env = {
        "OFFLINE_STEP_DELAY_MS": str(step_delay_ms),
        "LLM_JOB_LEASE_SECONDS": str(lease_seconds),
        "LLM_MAX_CONCURRENT_JOBS": "4",
        "LLM_WEBHOOK_POLL_SECONDS": "0.5",
    }
    workers = [llm_workers.worker(root, database, **env) for _ in range(2)]
    for w in workers:  # one after the other: each migrates the database at start
        w.start()
    return workers


async def runners_of(database: str, job_ids: list[str]) -> dict[str, tuple[int, str]]:
    engine = create_async_engine(database)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT id, attempts, status FROM llm_workflow_jobs WHERE id = ANY(:ids)"),
                {"ids": job_ids},
            )
            return {r[0]: (int(r[1]), str(r[2])) for r in rows}
    finally:
        await engine.dispose()


@pytest.mark.timeout(120)
async def test_jobs_submitted_to_two_workers_each_run_once(
    tmp_path: Path, llm_database: str, sink: tuple[llm_workers.WebhookSink, str]
) -> None:
    receiver, hook = sink
    workers = start_workers(
        tmp_path, llm_database, step_delay_ms=20, lease_seconds=LIVE_LEASE_SECONDS
    )
    try:
        job_ids = await llm_workers.submit_jobs(workers, 10, hook)
        await receiver.wait_completed(job_ids, limit_seconds=60)
    finally:
        for w in workers:
            w.stop()
    assert {receiver.events[j]["workflow.completed"] for j in job_ids} == {1}
    assert all(receiver.events[j]["workflow.failed"] == 0 for j in job_ids)
    stored = await runners_of(llm_database, job_ids)
    assert set(stored.values()) == {(1, "completed")}, stored


@pytest.mark.timeout(120)
async def test_a_crashed_workers_job_is_taken_over_within_its_lease(
    tmp_path: Path, llm_database: str, sink: tuple[llm_workers.WebhookSink, str]
) -> None:
    receiver, hook = sink
    workers = start_workers(tmp_path, llm_database, step_delay_ms=600, lease_seconds=LEASE_SECONDS)
    doomed, survivor = workers
    try:
        [job_id] = await llm_workers.submit_jobs([doomed], 1, hook)
        await _until(lambda: receiver.events.get(job_id, Counter())["workflow.step_started"] >= 1)
        assert doomed.process is not None
        doomed.process.send_signal(signal.SIGKILL)
        doomed.process.wait(10)
        killed_at = time.monotonic()
        # The takeover as the job table records it (a second run started). Not the first
        # webhook after the kill: one the dead worker had claimed holds the job's later
        # ones back until its claim expires (the webhook timeout + 5 s), a wait of its own.
        while (await runners_of(llm_database, [job_id]))[job_id][0] < 2:
            assert time.monotonic() - killed_at < 30, "no takeover in 30 s"
            await asyncio.sleep(0.1)
        taken_over_after = time.monotonic() - killed_at
        await receiver.wait_completed([job_id], limit_seconds=60)
    finally:
        survivor.stop()
        doomed.stop()
    # Stale after one lease; the survivor looks every lease/3; plus slack for a loaded
    # machine: still well under the default lease (15 s), so it is the configured lease
    # that was waited out.
    assert taken_over_after < LEASE_SECONDS * 4 / 3 + 6.0, taken_over_after
    assert receiver.events[job_id]["workflow.completed"] == 1
    stored = await runners_of(llm_database, [job_id])
    assert stored[job_id] == (2, "completed"), stored


async def _until(done: Callable[[], bool]) -> None:
    if not await settle(done, 30.0):
        raise AssertionError("condition not met in 30 s")
