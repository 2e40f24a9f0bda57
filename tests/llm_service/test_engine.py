"""The job runner: event order, failures, timeouts, cancellation, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest.mock import ANY

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from llm_service.db import utcnow
from llm_service.tables import jobs_table
from tests.llm_service.conftest import (
    CATALOG,
    STEP_EVENTS,
    WEBHOOK_URL,
    draft_text,
    event_types,
    step_events,
    wizard,
)
from tests.llm_service.fakes import (
    FailingProvider,
    FixedTextProvider,
    GatedProvider,
    SlowProvider,
    rate_limited,
)
from tests.support.waiting import wait_until
from tests.support.workflow_steps import (
    FORMAT_BUNDLES,
    GENERATE_MISSION_PLAN,
    PARSE_SECTIONS,
    STEP_IDS,
)


async def test_job_runs_to_completion_with_ordered_events(
    start_service: Callable[..., Any],
) -> None:
    async with start_service() as service:
        job_id = await service.submit()
        events = await service.wait_for_event(job_id, "workflow.completed")
        job = await service.job(job_id)

    assert event_types(step_events(events)) == [
        "workflow.started",
        *["workflow.step_started", "workflow.progress"] * 6,
        "workflow.completed",
    ]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    progress = [e["data"]["progress"] for e in events[1:]]
    assert progress == sorted(progress) and progress[-1] == 100
    # The plan streamed in between, in pieces that join into it.
    assert len(events) > STEP_EVENTS
    assert draft_text(events) == events[-1]["data"]["output"]["mission_plan"]
    started = [e["data"] for e in events if e["type"] == "workflow.step_started"]
    assert tuple(d["step_id"] for d in started) == STEP_IDS
    assert [d["step_index"] for d in started] == list(range(6))
    assert started[4]["display_name"] == "Generating Mission Plan"
    assert all(e["metadata"]["report_id"] == "report-1" for e in events)
    assert events[0]["data"] == {"step_count": 6, "resumed": False}

    output = events[-1]["data"]["output"]
    assert output["mission_plan"].startswith("# Mission Plan: Miami, FL")
    assert set(output["parsed_sections"]) >= {"executive_summary", "next_steps"}
    assert output["llm_usage"]["model"] == "offline-planner-v1"
    assert job["status"] == "completed" and job["progress"] == 100.0
    assert job["result"] == output
    # The job's usage: per step (only the generation uses a model) and summed.
    generation = {
        "step_id": "generate_mission_plan",
        **output["llm_usage"],
        "call_id": ANY,  # the run's id and the step: a receiver stores each call once
        "estimated": False,
    }
    assert job["usage"]["steps_usage"] == [generation]
    assert job["usage"]["steps_usage"][0]["call_id"].endswith("/generate_mission_plan")
    assert job["usage"]["total_tokens"] == generation["input_tokens"] + generation["output_tokens"]
    assert events[-1]["data"]["usage"] == job["usage"]
    assert [s["status"] for s in job["steps"]] == ["completed"] * 6
    assert job["sequence"] == len(events)


async def test_provider_error_fails_the_job_as_retryable(start_service: Callable[..., Any]) -> None:
    async with start_service(provider=FailingProvider(rate_limited())) as service:
        job_id = await service.submit()
        events = await service.wait_for_event(job_id, "workflow.failed")
        job = await service.job(job_id)

    failed = events[-1]["data"]
    assert failed == {
        "error": {"code": "LLM_RATE_LIMITED", "message": "slow down", "retryable": True},
        "step_id": GENERATE_MISSION_PLAN,
    }
    assert job["status"] == "failed" and job["error"]["retryable"] is True
    assert job["current_step_id"] == GENERATE_MISSION_PLAN
    statuses = [s["status"] for s in job["steps"]]
    assert statuses == ["completed"] * 4 + ["failed", "skipped"]


async def test_invalid_input_fails_without_retry(start_service: Callable[..., Any]) -> None:
    async with start_service() as service:
        job_id = await service.submit(scenarios=[])
        events = await service.wait_for_event(job_id, "workflow.failed")

    error = events[-1]["data"]["error"]
    assert error["code"] == "invalid_input" and error["retryable"] is False
    # The first step reads the wizard too: it keeps only the bundles the household needs.
    assert events[-1]["data"]["step_id"] == FORMAT_BUNDLES


async def test_unexpected_exception_is_an_internal_error(start_service: Callable[..., Any]) -> None:
    secret = "postgresql://app:hunter2@db.internal/prod"
    async with start_service(provider=FailingProvider(RuntimeError(secret))) as service:
        job_id = await service.submit()
        events = await service.wait_for_event(job_id, "workflow.failed")
        job = await service.job(job_id)

    # A stable code and our own words; the exception's text stays in the log.
    error = events[-1]["data"]["error"]
    assert error == {
        "code": "internal_error",
        "message": "the step failed unexpectedly",
        "retryable": True,
    }
    assert job["error"] == error
    assert "hunter2" not in str(events) and "RuntimeError" not in str(events)


async def test_plan_without_summary_is_unparseable(start_service: Callable[..., Any]) -> None:
    provider = FixedTextProvider("# Plan\n\nJust some words, no sections.")
    async with start_service(provider=provider) as service:
        job_id = await service.submit()
        events = await service.wait_for_event(job_id, "workflow.failed")

    assert events[-1]["data"]["error"]["code"] == "unparseable_plan"
    assert events[-1]["data"]["error"]["retryable"] is True
    assert events[-1]["data"]["step_id"] == PARSE_SECTIONS
    # The model answered before the plan was refused: what it used is reported.
    assert events[-1]["data"]["usage"]["steps_usage"] == [FIXED_GENERATION]


# What FixedTextProvider reports, as a step's usage (the offline run takes no time).
FIXED_GENERATION = {
    "step_id": "generate_mission_plan",
    "model": "fixed",
    "input_tokens": 1,
    "output_tokens": 1,
    "duration_ms": 0,
    "cost_usd": None,
    "call_id": ANY,
    "estimated": False,
}


async def test_a_job_cancelled_after_the_model_answered_reports_its_usage(
    start_service: Callable[..., Any],
) -> None:
    # Each step waits a little first, so the cancel lands before the plan is parsed.
    provider = FixedTextProvider("# Plan\n")
    async with start_service(provider=provider, offline_step_delay_ms=600) as service:
        job_id = await service.submit()

        async def generated() -> bool:
            return (await service.job(job_id))["usage"] is not None

        await wait_until(generated, timeout=30, interval=0.05)
        status = await service.job(job_id)
        await service.client.request("DELETE", "/api/v1/jobs/bulk", json={"job_ids": [job_id]})
        events = await service.wait_for_event(job_id, "workflow.cancelled")

    assert status["status"] == "running"
    assert status["usage"]["steps_usage"] == [FIXED_GENERATION]
    assert status["usage"]["total_tokens"] == 2 and status["usage"]["cost_usd"] is None
    assert events[-1]["data"] == {"usage": status["usage"]}


async def test_slow_step_times_out(start_service: Callable[..., Any]) -> None:
    async with start_service(provider=SlowProvider(), step_timeout_seconds=0.05) as service:
        job_id = await service.submit()
        events = await service.wait_for_event(job_id, "workflow.failed")

    assert events[-1]["data"]["error"]["code"] == "step_timeout"
    assert events[-1]["data"]["error"]["retryable"] is True


async def test_cancel_mid_run_stops_and_deletes_the_job(start_service: Callable[..., Any]) -> None:
    provider = GatedProvider()
    async with start_service(provider=provider) as service:
        job_id = await service.submit()
        await provider.entered.wait()
        response = await service.client.request(
            "DELETE", "/api/v1/jobs/bulk", json={"job_ids": [job_id, "no-such-job"]}
        )
        events = await service.wait_for_event(job_id, "workflow.cancelled")
        missing = await service.client.get(f"/api/v1/jobs/{job_id}")
        again = await service.client.request(
            "DELETE", "/api/v1/jobs/bulk", json={"job_ids": [job_id]}
        )

    assert response.json() == {"deleted": 1}
    assert provider.cancelled == 1
    assert missing.status_code == 404
    assert again.json() == {"deleted": 0}
    assert events[-1]["type"] == "workflow.cancelled" and events[-1]["data"] == {}
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    assert "workflow.completed" not in event_types(events)


async def test_concurrency_limit_queues_extra_jobs(start_service: Callable[..., Any]) -> None:
    provider = GatedProvider()
    async with start_service(provider=provider, max_concurrent_jobs=2) as service:
        job_ids = [await service.submit() for _ in range(3)]
        await wait_until(lambda: provider.calls == 2)
        statuses = [(await service.job(job_id))["status"] for job_id in job_ids]
        provider.release.set()
        for job_id in job_ids:
            await service.wait_for_status(job_id, "completed")

    assert sorted(statuses) == ["queued", "running", "running"]
    assert provider.calls == 3


async def test_shutdown_mid_run_resumes_on_next_start(start_service: Callable[..., Any]) -> None:
    provider = GatedProvider()
    async with start_service(provider=provider) as service:
        job_id = await service.submit()
        await provider.entered.wait()
        receiver = service.receiver
        await wait_until(lambda: len(receiver.delivered(job_id)) >= 10)

    async with start_service() as service:
        events = await service.wait_for_event(job_id, "workflow.completed")
        job = await service.job(job_id)

    sequences = [e["sequence"] for e in events]
    assert sequences == list(range(1, len(events) + 1))
    assert event_types(events).count("workflow.started") == 2
    restart = event_types(events).index("workflow.started", 1)
    assert events[restart]["data"]["resumed"] is True
    assert events[restart + 1]["data"]["step_id"] == FORMAT_BUNDLES
    assert job["status"] == "completed"


async def test_job_of_a_crashed_process_is_restarted(
    start_service: Callable[..., Any], db_engine: AsyncEngine
) -> None:
    long_ago = utcnow() - timedelta(hours=1)
    async with db_engine.begin() as conn:
        await conn.execute(
            insert(jobs_table).values(
                id="00000000-0000-0000-0000-000000000001",
                workflow_name="mission_generation",
                status="running",
                current_step_id=GENERATE_MISSION_PLAN,
                steps=dict.fromkeys(STEP_IDS, "completed"),
                progress=20.0,
                input_data={"wizard": wizard(), "bundles": CATALOG},
                job_metadata={"report_id": "r"},
                webhook_url=WEBHOOK_URL,
                last_sequence=10,
                runner_id="runner-of-a-dead-process",
                heartbeat_at=long_ago,
                created_at=long_ago,
                updated_at=long_ago,
            )
        )

    async with start_service() as service:
        job_id = "00000000-0000-0000-0000-000000000001"
        events = await service.wait_for_event(job_id, "workflow.completed")

    assert events[0]["type"] == "workflow.started" and events[0]["sequence"] == 11
    assert [e["sequence"] for e in events] == list(range(11, 11 + len(events)))
    assert len(step_events(events)) == STEP_EVENTS


async def test_live_runner_keeps_its_jobs(
    start_service: Callable[..., Any], db_engine: AsyncEngine
) -> None:
    """A second instance sharing the database does not steal a job whose lease is fresh."""
    provider = GatedProvider()
    async with start_service(provider=provider) as first:
        job_id = await first.submit()
        await provider.entered.wait()
        async with start_service() as second:
            assert (await second.job(job_id))["status"] == "running"
        provider.release.set()
        await first.wait_for_event(job_id, "workflow.completed")

    assert event_types(first.receiver.delivered(job_id)).count("workflow.started") == 1


async def test_many_concurrent_jobs_on_sqlite_all_complete(
    start_service: Callable[..., Any],
) -> None:
    """Concurrent writers (8 runners, the sender, submissions) wait on the lock, never fail."""
    async with start_service() as service:
        job_ids = await asyncio.gather(*(service.submit() for _ in range(24)))
        for job_id in job_ids:
            events = await service.wait_for_event(job_id, "workflow.completed")
            assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
            assert len(step_events(events)) == STEP_EVENTS
