"""What the LLM service tells us about a job, as the domain needs it.

Webhooks and status polls both become a `JobUpdate`, so one function applies
them and the two paths cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from domain.report import ReportError
from domain.usage import StepUsage


class JobUpdateType(str, Enum):
    STARTED = "workflow.started"
    STEP_STARTED = "workflow.step_started"
    PROGRESS = "workflow.progress"
    COMPLETED = "workflow.completed"
    FAILED = "workflow.failed"
    CANCELLED = "workflow.cancelled"
    # The service answered that it does not know the job (reconciliation only).
    LOST = "job.lost"


@dataclass(frozen=True)
class JobOutput:
    mission_plan: str


@dataclass(frozen=True)
class JobUpdate:
    job_id: str
    type: JobUpdateType
    # The job's own event order; None when the sender has none (the existing LLM
    # service): such an update applies only when it moves the report forward.
    sequence: int | None
    occurred_at: datetime
    report_id: str | None = None
    attempt: int | None = None
    step_id: str | None = None
    step_display_name: str | None = None
    # True when the step has finished (workflow.progress), False when it starts.
    step_finished: bool = False
    output: JobOutput | None = None
    error: ReportError | None = None
    # The user the job was submitted for (its metadata): a cancelled report is gone.
    user_id: str | None = None
    # What the job used so far, per step; a completed, failed or cancelled job says.
    usage: tuple[StepUsage, ...] = ()
    # A progress report from inside a step (the plan streaming): the step's percentage
    # so far, and the text the model appended with the draft's length after it.
    percentage: float | None = None
    draft_delta: str | None = None
    draft_length: int | None = None

    @property
    def is_within_step(self) -> bool:
        """Progress while a step runs (it carries the draft), not at a step's start or end."""
        return self.type is JobUpdateType.PROGRESS and self.draft_length is not None


@dataclass(frozen=True)
class JobCleanup:
    """What the LLM service matched and deleted: finished jobs and their webhook deliveries."""

    matched: int
    deleted: int
    deliveries_matched: int = 0
    deliveries_deleted: int = 0
