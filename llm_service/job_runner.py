"""Runs workflow jobs as asyncio tasks and records every state change as an event.

Each runner holds a lease on the jobs it runs (`runner_id` + `heartbeat_at`), so
several service instances can share one database: a job whose runner died is
taken over once its lease goes stale, and restarted from the first step. Every
takeover counts as an attempt; past `max_attempts` the job fails instead of
running (and calling the paid provider) again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

from domain.workflow import StepProgress
from llm_service.db import is_transient_db_error, utcnow
from llm_service.draft_stream import DRAFT_STREAM, DraftStream, progress_sender
from llm_service.errors import WorkflowError
from llm_service.job_store import JobRecord, JobStore, NewJob
from llm_service.job_writes import JobWriter
from llm_service.steps import StepFunction
from llm_service.tables import ACTIVE_STATUSES, COMPLETED, FAILED, RUNNING
from llm_service.usage import RUN_ID, STEPS_USAGE, job_usage, steps_of, with_live_usage
from llm_service.workflows import StepDefinition, WorkflowDefinition, load_workflow

logger = logging.getLogger(__name__)

_CANCEL_WAIT_SECONDS = 10.0


TOO_MANY_ATTEMPTS = WorkflowError(
    "too_many_attempts", "the job stopped its runner on every attempt", retryable=True
)
CRASHED = WorkflowError("internal_error", "the job failed unexpectedly", retryable=True)


class JobRunner:
    def __init__(
        self,
        store: JobStore,
        registry: Mapping[str, StepFunction],
        *,
        max_concurrent_jobs: int = 8,
        step_timeout_seconds: float = 180.0,
        step_delay_seconds: float = 0.0,
        lease_seconds: float = 15.0,
        max_attempts: int = 3,
        draft_interval_seconds: float = 0.25,
        expected_plan_chars: int = 6000,
    ) -> None:
        self.runner_id = f"runner-{uuid4().hex[:16]}"
        self._store = store
        self._config = _ExecutionConfig(
            store=store,
            registry=registry,
            runner_id=self.runner_id,
            step_timeout_seconds=step_timeout_seconds,
            step_delay_seconds=step_delay_seconds,
            write_retry_seconds=lease_seconds,
            max_attempts=max_attempts,
            draft_interval_seconds=draft_interval_seconds,
            expected_plan_chars=expected_plan_chars,
        )
        self._slots = asyncio.Semaphore(max_concurrent_jobs)
        self._lease = timedelta(seconds=lease_seconds)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._maintenance: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Resumes jobs a previous process left unfinished, then keeps leases alive."""
        await self._resume_stale_jobs()
        self._maintenance = asyncio.create_task(self._maintain(), name="llm-job-leases")

    async def stop(self) -> None:
        if self._maintenance is not None:
            self._maintenance.cancel()
            await asyncio.gather(self._maintenance, return_exceptions=True)
            self._maintenance = None
        unfinished = list(self._tasks)
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            # Bounded: a shutdown must not hang on a write stuck in the database; a job
            # still running is released all the same and taken over by the next runner.
            _, stuck = await asyncio.wait(tasks, timeout=_CANCEL_WAIT_SECONDS)
            if stuck:
                logger.warning("%d job tasks did not stop in time; releasing them", len(stuck))
        await self._store.release_jobs(unfinished, runner_id=self.runner_id)

    async def submit(self, job: NewJob) -> JobRecord:
        record = await self._store.create_job(job, runner_id=self.runner_id)
        self._spawn(record.id)
        return record

    async def cancel_and_delete(self, job_ids: Iterable[str]) -> int:
        """Stops local tasks first, so no step event can follow `workflow.cancelled`."""
        deleted = 0
        for job_id in dict.fromkeys(job_ids):
            task = self._tasks.get(job_id)
            if task is not None:
                task.cancel()
                await asyncio.wait({task}, timeout=_CANCEL_WAIT_SECONDS)
            if await self._store.cancel_and_delete(job_id):
                deleted += 1
        return deleted

    def _spawn(self, job_id: str) -> None:
        existing = self._tasks.get(job_id)
        if existing is not None and not existing.done():
            return
        task = asyncio.create_task(self._run(job_id), name=f"llm-job-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda done: self._forget(job_id, done))

    def _forget(self, job_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(job_id) is task:
            del self._tasks[job_id]
        if not task.cancelled() and task.exception() is not None:
            # The lease goes stale and the job is retried from the start by a runner.
            logger.error("job %s crashed", job_id, exc_info=task.exception())

    async def _maintain(self) -> None:
        interval = self._lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self._store.heartbeat(list(self._tasks), runner_id=self.runner_id)
                await self._resume_stale_jobs()
            except Exception:
                logger.exception("job lease maintenance failed")

    async def _resume_stale_jobs(self) -> None:
        stale_before = utcnow() - self._lease
        for job_id in await self._store.claim_stale_jobs(
            runner_id=self.runner_id, stale_before=stale_before
        ):
            logger.info("resuming interrupted job %s from the first step", job_id)
            self._spawn(job_id)

    async def _run(self, job_id: str) -> None:
        async with self._slots:
            job = await self._store.get_job(job_id)
            if job is None or job.status not in ACTIVE_STATUSES or job.runner_id != self.runner_id:
                return
            await _Execution(self._config, job).run()


@dataclass(frozen=True)
class _ExecutionConfig:
    store: JobStore
    registry: Mapping[str, StepFunction]
    runner_id: str
    step_timeout_seconds: float
    step_delay_seconds: float
    write_retry_seconds: float
    max_attempts: int
    draft_interval_seconds: float
    expected_plan_chars: int


class _Execution:
    """One attempt at one job: the step loop and the events it writes."""

    def __init__(self, config: _ExecutionConfig, job: JobRecord) -> None:
        self._config = config
        self._job = job
        self._writer = JobWriter(
            config.store,
            job.id,
            runner_id=config.runner_id,
            retry_seconds=config.write_retry_seconds,
        )
        self._step_status: dict[str, str] = {}
        # Earlier runs' calls (a takeover added the dead run's checkpointed one) count too.
        earlier = with_live_usage(job.usage, job.live_usage)
        self._context: dict[str, Any] = {
            "input_data": job.input_data,
            # Sorts by the run's start: a receiver lists an attempt's calls in order.
            RUN_ID: f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid4().hex[:6]}",
            STEPS_USAGE: steps_of(earlier),
        }

    async def run(self) -> None:
        if self._job.attempts > self._config.max_attempts:
            logger.error(
                "job %s ran %d times without finishing", self._job.id, self._job.attempts - 1
            )
            # What the runs before used still counts (the takeover added the last one's call).
            await self._fail_job(TOO_MANY_ATTEMPTS, job_usage(self._context))
            return
        try:
            await self._run_workflow()
        except Exception as exc:
            if is_transient_db_error(exc):
                raise  # the database is away: the lease hands the job on once it is back
            # Most likely a write the database refuses: fail the job now, while we
            # hold it, rather than let the lease expire and the whole job run again.
            logger.exception("job %s crashed", self._job.id)
            await self._fail_job(CRASHED)

    async def _run_workflow(self) -> None:
        try:
            workflow = load_workflow(self._job.workflow_name)
        except LookupError:
            await self._fail_unknown_workflow()
            return
        if not await self._start(workflow):
            return
        context = self._context
        try:
            for index, step in enumerate(workflow.steps):
                if not await self._run_step(workflow, index, step, context):
                    return
        except asyncio.CancelledError:
            # Cancelled or shut down: the cancellation's event (or the next run) reports
            # what this run used, the call it cut short included (steps.py).
            await self._writer.save_usage(job_usage(context))
            raise
        await self._complete(context.get("output") or {}, job_usage(context))

    async def _start(self, workflow: WorkflowDefinition) -> bool:
        """Resets the job to its first step; a restarted job goes through here again."""
        self._step_status = dict.fromkeys(workflow.step_ids, "pending")
        data: dict[str, Any] = {
            "step_count": len(workflow.steps),
            "resumed": self._job.last_sequence > 0,
        }
        usage = job_usage(self._context)
        if usage is not None:
            data["usage"] = usage  # earlier runs' calls: the receiver learns of them now
        return await self._writer.emit(
            "workflow.started",
            data,
            {
                "status": RUNNING,
                "steps": dict(self._step_status),
                "progress": 0.0,
                "current_step_id": None,
                "result": None,
                "error": None,
                "usage": usage,
                "live_usage": None,
            },
        )

    async def _complete(self, output: dict[str, Any], usage: dict[str, Any] | None) -> None:
        await self._writer.emit(
            "workflow.completed",
            {"output": output, "progress": 100, "usage": usage},
            {
                "status": COMPLETED,
                "result": output,
                "usage": usage,
                "progress": 100.0,
                "current_step_id": None,
            },
        )

    async def _fail_unknown_workflow(self) -> None:
        name = self._job.workflow_name
        error = WorkflowError("unknown_workflow", f"no workflow named {name}", retryable=False)
        await self._fail_job(error)

    async def _fail_job(self, error: WorkflowError, usage: dict[str, Any] | None = None) -> None:
        """Fails the job without touching its steps; a write failure here is left to the lease.

        Without `usage` the job row keeps the usage it has: after a crash, this run's may
        be what could not be written.
        """
        data: dict[str, Any] = {"error": error.to_dict(), "step_id": None}
        changes: dict[str, Any] = {"status": FAILED, "error": error.to_dict()}
        if usage is not None:
            data["usage"] = changes["usage"] = usage
            changes["live_usage"] = None
        await self._writer.emit("workflow.failed", data, changes)

    async def _run_step(
        self,
        workflow: WorkflowDefinition,
        index: int,
        step: StepDefinition,
        context: dict[str, Any],
    ) -> bool:
        """Runs one step between its two events; False once the job is over or lost."""
        info = {
            "step_id": step.id,
            "display_name": step.display_name,
            "step_index": index,
            "step_count": len(workflow.steps),
        }
        self._step_status[step.id] = "running"
        started = {"current_step_id": step.id, "steps": dict(self._step_status)}
        percentages = workflow.progress_of_steps[index]
        if not await self._writer.emit(
            "workflow.step_started", {**info, "progress": percentages.start_percentage}, started
        ):
            return False
        if self._config.step_delay_seconds:
            await asyncio.sleep(self._config.step_delay_seconds)
        context[DRAFT_STREAM] = self._draft_stream(info, percentages)
        try:
            error = await self._call_step(step, context)
        finally:
            del context[DRAFT_STREAM]
        usage = job_usage(context)
        if error is not None:
            await self._fail(step, error, usage)
            return False
        self._step_status[step.id] = "completed"
        progress = percentages.end_percentage
        # The job row keeps the usage so far: a cancel then reports it (job_store).
        return await self._writer.emit(
            "workflow.progress",
            {**info, "progress": progress},
            {
                "steps": dict(self._step_status),
                "progress": progress,
                "usage": usage,
                "live_usage": None,
            },
        )

    def _draft_stream(self, info: dict[str, Any], percentages: StepProgress) -> DraftStream:
        """Where the step's streamed text goes: `workflow.progress` events inside the step."""
        return DraftStream(
            progress_sender(self._writer.emit, info, percentages),
            checkpoint=self._writer.checkpoint,
            interval_seconds=self._config.draft_interval_seconds,
            expected_chars=self._config.expected_plan_chars,
        )

    async def _call_step(
        self, step: StepDefinition, context: dict[str, Any]
    ) -> WorkflowError | None:
        function = self._config.registry.get(step.id)
        if function is None:
            return WorkflowError(
                "unknown_step", f"no implementation for {step.id}", retryable=False
            )
        timeout = self._config.step_timeout_seconds
        try:
            async with asyncio.timeout(timeout):
                await function(context)
        except WorkflowError as error:
            return error
        except TimeoutError:
            message = f"{step.display_name} took longer than {timeout:g} s"
            return WorkflowError("step_timeout", message, retryable=True)
        except Exception:
            # The exception's text is for the log: it may quote anything the step touched.
            logger.exception("step %s of job %s failed", step.id, self._job.id)
            return WorkflowError("internal_error", "the step failed unexpectedly", retryable=True)
        return None

    async def _fail(
        self, step: StepDefinition, error: WorkflowError, usage: dict[str, Any] | None
    ) -> None:
        if error.detail:
            logger.warning(
                "step %s of job %s failed (%s): %s", step.id, self._job.id, error.code, error.detail
            )
        self._step_status[step.id] = "failed"
        for step_id, status in self._step_status.items():
            if status == "pending":
                self._step_status[step_id] = "skipped"
        data: dict[str, Any] = {"error": error.to_dict(), "step_id": step.id}
        if usage is not None:
            data["usage"] = usage  # the tokens spent before the failure still cost
        await self._writer.emit(
            "workflow.failed",
            data,
            {
                "status": FAILED,
                "error": error.to_dict(),
                "steps": dict(self._step_status),
                "usage": usage,
                "live_usage": None,
            },
        )
