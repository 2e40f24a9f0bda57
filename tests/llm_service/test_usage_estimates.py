"""Every model call that used tokens is counted, answered or not.

Against the fake OpenAI-compatible server: a stream cancelled, dropped or stalled
before its usage chunk is counted by estimate, and so is the call of a run whose
worker died mid-stream, once, when another runner takes the job over.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from llm_service.db import utcnow
from llm_service.job_store import JobStore
from llm_service.providers import OpenAICompatibleProvider
from llm_service.settings import LLMServiceSettings
from llm_service.tables import jobs_table
from llm_service.usage import CHARS_PER_TOKEN, estimate_tokens
from tests.llm_service.conftest import CATALOG, WEBHOOK_URL, is_draft_event, wizard
from tests.support.fake_openai import MODEL, USAGE, FakeOpenAI, Reply, running_fake_openai
from tests.support.waiting import wait_until
from tests.support.workflow_steps import GENERATE_MISSION_PLAN, STEP_IDS

# A long answer, streamed slowly: some 20 s, far longer than any test waits.
SLOW_PARTS = tuple(f"Step {n}: store water and check the radio. " for n in range(400))
SLOW = Reply(parts=SLOW_PARTS, interval=0.05)


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with running_fake_openai() as server:
        yield server


def provider_for(fake: FakeOpenAI, **overrides: Any) -> OpenAICompatibleProvider:
    values: dict[str, Any] = {
        "llm_api_base_url": fake.base_url,
        "llm_api_key": "sk-or-test",
        "llm_model": MODEL,
        "llm_max_retries": 0,
        **overrides,
    }
    return OpenAICompatibleProvider.from_settings(LLMServiceSettings(**values))


def calls_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    return list(event["data"]["usage"]["steps_usage"])


def assert_estimated(call: dict[str, Any], *, min_output_tokens: int = 1) -> None:
    """An estimated call of the plan's step: the prompt counted, and the text received."""
    assert call["estimated"] is True
    assert call["step_id"] == GENERATE_MISSION_PLAN
    assert call["model"] == MODEL  # what the price table prices it as
    assert call["cost_usd"] is None  # left to the price table
    assert call["input_tokens"] > 100  # the prompt: household, scenarios, bundles
    assert call["output_tokens"] >= min_output_tokens


async def test_a_stream_cancelled_mid_way_is_counted_by_estimate(
    fake: FakeOpenAI, start_service: Callable[..., Any]
) -> None:
    fake.default = SLOW
    provider = provider_for(fake)
    async with start_service(provider=provider) as service:
        job_id = await service.submit()
        await wait_until(
            lambda: any(is_draft_event(e) for e in service.receiver.delivered(job_id)),
            timeout=20,
        )
        await service.client.request("DELETE", "/api/v1/jobs/bulk", json={"job_ids": [job_id]})
        events = await service.wait_for_event(job_id, "workflow.cancelled")
    await provider.aclose()

    received = sum(len(e["data"]["delta"]) for e in events if is_draft_event(e))
    (call,) = calls_of(events[-1])
    assert_estimated(call, min_output_tokens=estimate_tokens(received))
    assert events[-1]["data"]["usage"]["estimated"] is True
    # Only what was received counts: the 400 parts were never all sent.
    assert call["output_tokens"] < estimate_tokens(len("".join(SLOW_PARTS)))


async def test_a_connection_dropped_mid_stream_is_counted_by_estimate(
    fake: FakeOpenAI, start_service: Callable[..., Any]
) -> None:
    fake.default = Reply(drop_after=3)
    provider = provider_for(fake)
    async with start_service(provider=provider) as service:
        job_id = await service.submit()
        events = await service.wait_for_event(job_id, "workflow.failed")
        job = await service.job(job_id)
    await provider.aclose()

    assert events[-1]["data"]["error"]["code"] == "LLM_UNAVAILABLE"
    (call,) = calls_of(events[-1])
    assert_estimated(call)
    assert job["usage"] == events[-1]["data"]["usage"]
    assert job["usage"]["total_tokens"] == call["input_tokens"] + call["output_tokens"]


async def test_a_stream_that_stalls_is_counted_by_estimate(
    fake: FakeOpenAI, start_service: Callable[..., Any]
) -> None:
    fake.default = Reply(stall_after=3, stall_seconds=30)
    provider = provider_for(fake, llm_read_timeout_seconds=0.5)
    async with start_service(provider=provider) as service:
        job_id = await service.submit()
        events = await service.wait_for_event(job_id, "workflow.failed")
    await provider.aclose()

    assert events[-1]["data"]["error"]["code"] == "LLM_TIMEOUT"
    (call,) = calls_of(events[-1])
    assert_estimated(call)


async def test_a_completed_stream_without_a_usage_chunk_is_counted_by_estimate(
    fake: FakeOpenAI, start_service: Callable[..., Any]
) -> None:
    fake.default = Reply(usage=None)
    provider = provider_for(fake)
    async with start_service(provider=provider) as service:
        job = await service.wait_for_status(await service.submit(), "completed", "failed")
    await provider.aclose()

    (call,) = job["usage"]["steps_usage"]
    assert call["estimated"] is True and call["input_tokens"] > 100
    # The whole answer, at CHARS_PER_TOKEN characters a token.
    answer = "".join(Reply().parts)
    assert call["output_tokens"] == -(-len(answer) // CHARS_PER_TOKEN)


async def test_a_refused_request_counts_nothing(
    fake: FakeOpenAI, start_service: Callable[..., Any]
) -> None:
    fake.default = Reply.http_error(429, "slow down")
    provider = provider_for(fake)
    async with start_service(provider=provider) as service:
        job_id = await service.submit()
        events = await service.wait_for_event(job_id, "workflow.failed")
    await provider.aclose()

    assert events[-1]["data"]["error"]["code"] == "LLM_RATE_LIMITED"
    assert "usage" not in events[-1]["data"]  # the provider took nothing: nothing spent


async def test_a_run_whose_worker_died_mid_stream_counts_when_the_job_is_taken_over(
    fake: FakeOpenAI, start_service: Callable[..., Any], db_engine: AsyncEngine
) -> None:
    fake.replies = [SLOW]  # the first run streams slowly; the second answers at once
    provider = provider_for(fake)
    async with start_service(provider=provider) as service:
        job_id = await service.submit()

        async def checkpointed() -> dict[str, Any] | None:
            live = (await _row(db_engine, job_id))["live_usage"]
            return live if live and live["output_tokens"] > 0 else None

        checkpoint = await wait_until(checkpointed, timeout=20, interval=0.05)
    # The worker died there: its row as it was at the checkpoint (a shutdown would have
    # saved the usage and released the job), its lease long expired.
    await _abandon(db_engine, job_id, live_usage=checkpoint, usage=None)

    async with start_service(provider=provider) as service:
        events = await service.wait_for_event(job_id, "workflow.completed")
        job = await service.job(job_id)
    await provider.aclose()

    dead, answered = calls_of(events[-1])
    assert dead == checkpoint and dead["output_tokens"] > 0
    assert_estimated(dead)
    assert answered["estimated"] is False
    assert (answered["input_tokens"], answered["cost_usd"]) == (
        USAGE["prompt_tokens"],
        USAGE["cost"],
    )
    assert dead["call_id"] != answered["call_id"]
    # The takeover's first event already tells the receiver of the dead run's call.
    restarted = [e for e in events if e["type"] == "workflow.started"][-1]
    assert calls_of(restarted) == [dead]
    assert job["usage"]["steps_usage"] == [dead, answered]
    assert job["usage"]["input_tokens"] == dead["input_tokens"] + answered["input_tokens"]


async def test_a_dead_runs_call_is_counted_once_however_often_the_job_is_taken_over(
    db_engine: AsyncEngine,
) -> None:
    store = JobStore(db_engine, on_outbox_write=lambda: None)
    live = {
        "step_id": GENERATE_MISSION_PLAN,
        "call_id": "20250101T000000000000-abcdef/generate_mission_plan",
        "model": MODEL,
        "input_tokens": 900,
        "output_tokens": 120,
        "duration_ms": 4000,
        "cost_usd": None,
        "estimated": True,
    }
    job_id = await _insert_stale_job(db_engine, live_usage=live)

    # Two runners see the stale lease at once: one takes the job.
    claims = await asyncio.gather(
        *(store.claim_stale_jobs(runner_id=f"r{n}", stale_before=utcnow()) for n in range(2))
    )
    # Its runner dies before its first write; the next takeover finds no checkpoint.
    await _abandon(db_engine, job_id)
    again = await store.claim_stale_jobs(runner_id="r3", stale_before=utcnow())
    job = await store.get_job(job_id)

    assert sorted(len(claimed) for claimed in claims) == [0, 1] and again == [job_id]
    assert job is not None and job.live_usage is None and job.attempts == 3
    assert job.usage is not None and job.usage["steps_usage"] == [live]
    assert (job.usage["input_tokens"], job.usage["output_tokens"]) == (900, 120)


async def _row(engine: AsyncEngine, job_id: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = (await conn.execute(select(jobs_table).where(jobs_table.c.id == job_id))).one()
    return dict(row._mapping)


async def _abandon(engine: AsyncEngine, job_id: str, **changes: Any) -> None:
    """The job as a dead runner leaves it: running, its lease an hour old."""
    async with engine.begin() as conn:
        await conn.execute(
            update(jobs_table)
            .where(jobs_table.c.id == job_id)
            .values(
                status="running",
                runner_id="runner-of-a-dead-process",
                heartbeat_at=utcnow() - timedelta(hours=1),
                **changes,
            )
        )


async def _insert_stale_job(engine: AsyncEngine, **values: Any) -> str:
    job_id = "00000000-0000-0000-0000-00000000cafe"
    long_ago = utcnow() - timedelta(hours=1)
    async with engine.begin() as conn:
        await conn.execute(
            insert(jobs_table).values(
                id=job_id,
                workflow_name="mission_generation",
                status="running",
                current_step_id=GENERATE_MISSION_PLAN,
                steps=dict.fromkeys(STEP_IDS, "pending"),
                progress=20.0,
                input_data={"wizard": wizard(), "bundles": CATALOG},
                job_metadata={"report_id": "r"},
                webhook_url=WEBHOOK_URL,
                last_sequence=10,
                runner_id="runner-of-a-dead-process",
                heartbeat_at=long_ago,
                created_at=long_ago,
                updated_at=long_ago,
                **values,
            )
        )
    return job_id
