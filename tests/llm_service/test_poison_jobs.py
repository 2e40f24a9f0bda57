"""Issue 6, point 4: a job whose result cannot be written stops, and never reruns forever."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from llm_service.db import utcnow
from llm_service.providers import Generation
from llm_service.tables import jobs_table
from tests.llm_service.conftest import CATALOG, WEBHOOK_URL, event_types, wizard
from tests.llm_service.fakes import FixedTextProvider, GatedProvider
from tests.llm_service.test_engine import STEP_IDS
from tests.support.job_events import PLAN
from tests.support.workflow_steps import GENERATE_MISSION_PLAN


class CountingProvider(FixedTextProvider):
    def __init__(self, text: str, **usage: Any) -> None:
        super().__init__(text)
        self.calls = 0
        self.usage = usage

    async def generate(self, *, system: str, user: str, context: dict[str, Any]) -> Generation:
        self.calls += 1
        fields = {"model": "fixed", "input_tokens": 1, "output_tokens": 1, **self.usage}
        return Generation(text=self.text, **fields)


async def attempts_of(engine: AsyncEngine, job_id: str) -> int:
    async with engine.connect() as conn:
        query = select(jobs_table.c.attempts).where(jobs_table.c.id == job_id)
        return int((await conn.execute(query)).scalar_one())


async def test_nul_and_a_lone_surrogate_in_the_models_text_are_cleaned_before_writing(
    start_service: Callable[..., Any],
) -> None:
    # Before: the write of the result raised UnicodeEncodeError, the job crashed, its lease
    # expired and it ran again from step 1, calling the paid provider every 15 s, forever.
    provider = CountingProvider(PLAN.replace("Stay put", "Stay\x00 put \ud83d"))
    async with start_service(provider=provider) as service:
        job_id = await service.submit()
        job = await service.wait_for_status(job_id, "completed", "failed")

    assert job["status"] == "completed"
    assert "Stay put \ufffd" in job["result"]["mission_plan"]
    assert "\x00" not in job["result"]["mission_plan"]
    assert provider.calls == 1


async def test_a_job_whose_event_cannot_be_written_fails_at_once(
    start_service: Callable[..., Any], db_engine: AsyncEngine
) -> None:
    # A value no JSON encoder takes: the write of `workflow.completed` raises every time.
    provider = CountingProvider(PLAN, input_tokens=object())
    async with start_service(provider=provider) as service:
        job_id = await service.submit()
        events = await service.wait_for_event(job_id, "workflow.failed")
        job = await service.job(job_id)

    assert job["status"] == "failed"
    assert events[-1]["data"]["error"] == {
        "code": "internal_error",
        "message": "the job failed unexpectedly",
        "retryable": True,
    }
    assert provider.calls == 1
    assert await attempts_of(db_engine, job_id) == 1


async def insert_abandoned_job(engine: AsyncEngine, job_id: str, attempts: int) -> None:
    """A running job whose runner died (its heartbeat is an hour old)."""
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
                job_metadata={"report_id": "r", "attempt": 1},
                webhook_url=WEBHOOK_URL,
                last_sequence=10,
                attempts=attempts,
                runner_id="runner-of-a-dead-process",
                heartbeat_at=long_ago,
                created_at=long_ago,
                updated_at=long_ago,
            )
        )


async def test_a_job_that_killed_its_runner_every_time_stops_with_a_webhook(
    start_service: Callable[..., Any], db_engine: AsyncEngine
) -> None:
    job_id = "00000000-0000-0000-0000-0000000000aa"
    await insert_abandoned_job(db_engine, job_id, attempts=3)  # the default maximum
    provider = GatedProvider()
    async with start_service(provider=provider) as service:
        events = await service.wait_for_event(job_id, "workflow.failed")
        job = await service.job(job_id)

    assert provider.calls == 0  # the paid provider is not called a fourth time
    assert job["status"] == "failed"
    assert event_types(events) == ["workflow.failed"]
    assert events[0]["data"]["error"] == {
        "code": "too_many_attempts",
        "message": "the job stopped its runner on every attempt",
        "retryable": True,
    }
    assert events[0]["metadata"] == {"report_id": "r", "attempt": 1}


async def test_a_job_under_the_limit_is_taken_over_and_counted(
    start_service: Callable[..., Any], db_engine: AsyncEngine
) -> None:
    job_id = "00000000-0000-0000-0000-0000000000bb"
    await insert_abandoned_job(db_engine, job_id, attempts=2)
    async with start_service() as service:
        await service.wait_for_event(job_id, "workflow.completed")

    assert await attempts_of(db_engine, job_id) == 3


async def test_a_shutdown_does_not_count_as_a_failed_attempt(
    start_service: Callable[..., Any], db_engine: AsyncEngine
) -> None:
    provider = GatedProvider()
    async with start_service(provider=provider, max_job_attempts=1) as service:
        job_id = await service.submit()
        await provider.entered.wait()
    # Stopped mid-run and started again, twice: a clean handover is not a crash.
    async with start_service(provider=GatedProvider(), max_job_attempts=1) as service:
        await service.wait_for_status(job_id, "running")
    async with start_service(max_job_attempts=1) as service:
        await service.wait_for_event(job_id, "workflow.completed")

    assert await attempts_of(db_engine, job_id) == 1
