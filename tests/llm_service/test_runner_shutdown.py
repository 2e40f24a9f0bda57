"""A runner's shutdown is bounded: a write stuck in the database cannot hang it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import llm_service.job_runner as job_runner
from llm_service.job_runner import JobRunner
from llm_service.job_store import JobStore, NewJob
from tests.support.waiting import wait_until
from tests.support.workflow_steps import STEP_IDS


class StuckWrites(JobStore):
    """Every event write after the first never returns, as on a wedged connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, on_outbox_write=lambda: None)
        self.writes = 0

    async def record_event(
        self,
        job_id: str,
        event_type: str,
        data: Mapping[str, Any],
        changes: Mapping[str, Any],
        **kwargs: Any,
    ) -> int | None:
        self.writes += 1
        if self.writes > 1:
            await asyncio.Event().wait()
        return await super().record_event(job_id, event_type, data, changes, **kwargs)


async def slow_step(context: dict[str, Any]) -> None:
    await asyncio.sleep(0)


async def test_stop_returns_although_a_job_write_never_finishes(
    db_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bound is 10 s in production; shortened so the test does not wait it out.
    monkeypatch.setattr(job_runner, "_CANCEL_WAIT_SECONDS", 0.3)
    store = StuckWrites(db_engine)
    runner = JobRunner(store, {step: slow_step for step in STEP_IDS})
    await runner.start()
    job = NewJob("job-1", "mission_generation", STEP_IDS, {}, {}, None)
    await runner.submit(job)
    await wait_until(lambda: store.writes > 1, timeout=10, what="a write that hangs")

    started = time.monotonic()
    await asyncio.wait_for(runner.stop(), timeout=5)

    assert time.monotonic() - started < 2
