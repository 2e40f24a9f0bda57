"""The LLM service as the API sees it: jobs submitted, cancelled, queried and cleaned up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.errors import LLMServiceUnavailable
from domain.jobs import JobCleanup, JobUpdate
from domain.workflow import WorkflowDefinition
from tests.support.workflow_steps import mission_generation_definition


@dataclass(frozen=True)
class SubmittedJob:
    job_id: str
    workflow_name: str
    input_data: dict[str, Any]
    metadata: dict[str, Any]


class FakeLLMService:
    def __init__(self, definition: WorkflowDefinition | None = None) -> None:
        self.definition = definition or mission_generation_definition()
        self.submitted: list[SubmittedJob] = []
        self.cancelled: list[str] = []
        self.job_queries: list[str] = []
        # What `get_job` answers per job id; a missing id answers None (unknown job).
        self.jobs: dict[str, JobUpdate | None] = {}
        # What `get_job` raises per job id instead of answering (a broken answer).
        self.job_errors: dict[str, Exception] = {}
        self.unavailable_on_submit = False
        self.unavailable_on_cancel = False
        self.unavailable_on_cleanup = False
        # What the cleanup may delete: finished job id -> created at; one delivery each.
        self.finished_jobs: dict[str, datetime] = {}
        self.cleanups: list[tuple[int, datetime, bool]] = []
        # Runs inside `submit_workflow`, before it answers: lets a test act mid-submit.
        self.during_submit: Callable[[], Awaitable[None]] | None = None
        self._next_job = 0

    async def submit_workflow(
        self, workflow_name: str, input_data: dict[str, Any], metadata: dict[str, Any]
    ) -> str:
        if self.unavailable_on_submit:
            raise LLMServiceUnavailable("connection refused")
        if self.during_submit is not None:
            await self.during_submit()
        self._next_job += 1
        job_id = f"job-{self._next_job}"
        self.submitted.append(SubmittedJob(job_id, workflow_name, input_data, metadata))
        return job_id

    async def get_job(self, job_id: str) -> JobUpdate | None:
        self.job_queries.append(job_id)
        if job_id in self.job_errors:
            raise self.job_errors[job_id]
        if job_id not in self.jobs:
            return None
        return self.jobs[job_id]

    async def cancel_jobs(self, job_ids: Sequence[str]) -> int:
        if self.unavailable_on_cancel:
            raise LLMServiceUnavailable("connection refused")
        self.cancelled.extend(job_ids)
        return len(job_ids)

    async def get_workflow(self, name: str) -> WorkflowDefinition:
        assert name == self.definition.name, f"unknown workflow {name}"
        return self.definition

    async def cleanup_finished_jobs(
        self, older_than_days: int, cutoff: datetime, dry_run: bool
    ) -> JobCleanup:
        """Deletes the `finished_jobs` created before `cutoff` (job id -> created at)."""
        self.cleanups.append((older_than_days, cutoff, dry_run))
        if self.unavailable_on_cleanup:
            raise LLMServiceUnavailable("connection refused")
        old = [job_id for job_id, created in self.finished_jobs.items() if created < cutoff]
        if not dry_run:
            for job_id in old:
                del self.finished_jobs[job_id]
        deleted = 0 if dry_run else len(old)
        return JobCleanup(len(old), deleted, len(old), deleted)
