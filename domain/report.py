"""A mission report and the rules of its life: status only moves forward."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Any

from domain.draft import appended
from domain.plan import PlanSections
from domain.wizard import MissionPlanInput


class MissionStatus(str, Enum):
    GENERATING = "GENERATING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        return self is not MissionStatus.GENERATING


@dataclass(frozen=True)
class Progress:
    step_id: str
    step_name: str
    step_index: int
    step_count: int
    percentage: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "step_id": self.step_id,
            "step_name": self.step_name,
            "step_index": self.step_index,
            "step_count": self.step_count,
            "percentage": self.percentage,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Progress:
        return cls(
            step_id=str(data["step_id"]),
            step_name=str(data["step_name"]),
            step_index=int(data["step_index"]),
            step_count=int(data["step_count"]),
            percentage=float(data["percentage"]),
        )

    def is_behind(self, shown: Progress) -> bool:
        """Whether showing this after `shown` would move a "step X of N" display backwards."""
        return self.step_index < shown.step_index or self.percentage < shown.percentage


@dataclass(frozen=True)
class ReportError:
    code: str
    message: str
    retryable: bool

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "retryable": self.retryable}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportError:
        return cls(str(data["code"]), str(data["message"]), bool(data["retryable"]))


@dataclass(frozen=True)
class Plan:
    content: str
    sections: PlanSections


@dataclass(frozen=True)
class MissionReport:
    id: str
    user_id: str
    input: MissionPlanInput
    status: MissionStatus
    created_at: datetime
    updated_at: datetime
    # No default: only the workflow definition knows the step count a display shows.
    progress: Progress
    attempt: int = 1
    job_id: str | None = None
    idempotency_key: str | None = None
    error: ReportError | None = None
    plan: Plan | None = None
    completed_at: datetime | None = None
    # Highest event-log sequence written for this report (the log is per report).
    last_sequence: int = 0
    # Highest LLM-service job sequence applied in this attempt: older webhooks are stale.
    last_job_sequence: int = 0
    # The plan's text so far while the model writes it (domain.draft); "" once the report
    # finishes: the plan replaces it, and a failed attempt's text is no one's plan.
    draft: str = ""

    @property
    def location_label(self) -> str:
        loc = self.input.location
        return f"{loc.city}, {loc.state}"

    def with_progress(
        self, progress: Progress, job_sequence: int | None, now: datetime
    ) -> MissionReport:
        """Progress (step and percentage) never goes down and never moves a finished report.

        An update without a job sequence cannot be told stale by its order: it applies
        only when it moves the display forward, and leaves the sequence seen as it was.
        """
        if self.status.is_terminal:
            return self
        if job_sequence is None:
            if progress.is_behind(self.progress) or progress == self.progress:
                return self
            return replace(self, progress=progress, updated_at=now)
        if job_sequence <= self.last_job_sequence:
            return self
        if progress.is_behind(self.progress):
            return replace(self, last_job_sequence=job_sequence)
        return replace(self, progress=progress, last_job_sequence=job_sequence, updated_at=now)

    def completed(self, plan: Plan, now: datetime, final: Progress) -> MissionReport:
        """`final` is the workflow's last step, done, whichever progress came before."""
        return replace(
            self,
            status=MissionStatus.COMPLETED,
            plan=plan,
            progress=final,
            error=None,
            completed_at=now,
            updated_at=now,
            draft="",
        )

    def failed(self, error: ReportError, now: datetime) -> MissionReport:
        # The idempotency key is released so the same key may submit again.
        return replace(
            self,
            status=MissionStatus.FAILED,
            error=error,
            completed_at=now,
            updated_at=now,
            idempotency_key=None,
            draft="",
        )

    def new_attempt(self, now: datetime, queued: Progress) -> MissionReport:
        """`queued` is the workflow's progress before its first step starts."""
        return replace(
            self,
            status=MissionStatus.GENERATING,
            attempt=self.attempt + 1,
            job_id=None,
            progress=queued,
            error=None,
            plan=None,
            completed_at=None,
            updated_at=now,
            last_job_sequence=0,
            draft="",
        )

    def with_draft(self, delta: str, draft_length: int, now: datetime) -> MissionReport:
        """The draft grown by `delta` when it continues it exactly (domain.draft.appended)."""
        if self.status.is_terminal:
            return self
        grown = appended(self.draft, delta, draft_length)
        return self if grown is None else replace(self, draft=grown, updated_at=now)

    def with_job(self, job_id: str, now: datetime) -> MissionReport:
        return replace(self, job_id=job_id, updated_at=now)

    def next_sequence(self) -> tuple[MissionReport, int]:
        sequence = self.last_sequence + 1
        return replace(self, last_sequence=sequence), sequence
