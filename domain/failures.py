"""What a user reads when a generation fails: a stable code and a written message.

The one place that lists the codes (MissionErrorCode) and maps them to messages.
Whatever text the LLM service or a provider sent along stays in the operators' logs:
it can hold anything (a provider echoed a database URL with its password), so a user
never sees it. A code this table does not know becomes `generation_failed`.
"""

from __future__ import annotations

from enum import StrEnum

from domain.plan import MAX_PLAN_CHARS
from domain.report import ReportError


class MissionErrorCode(StrEnum):
    """Every code a failed report can show; the value is the code as stored and sent."""

    GENERATION_FAILED = "generation_failed"
    LLM_TIMEOUT = "LLM_TIMEOUT"
    LLM_RATE_LIMITED = "LLM_RATE_LIMITED"
    LLM_UNAVAILABLE = "LLM_UNAVAILABLE"
    LLM_AUTH_FAILED = "LLM_AUTH_FAILED"
    LLM_CONTEXT_TOO_LONG = "LLM_CONTEXT_TOO_LONG"
    LLM_BAD_OUTPUT = "LLM_BAD_OUTPUT"
    LLM_REJECTED = "LLM_REJECTED"
    STEP_TIMEOUT = "step_timeout"
    INTERNAL_ERROR = "internal_error"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    INVALID_INPUT = "invalid_input"
    UNKNOWN_WORKFLOW = "unknown_workflow"
    UNKNOWN_STEP = "unknown_step"
    UNPARSEABLE_PLAN = "unparseable_plan"
    PLAN_TOO_LARGE = "plan_too_large"
    INVALID_RESULT = "invalid_result"
    JOB_CANCELLED = "job_cancelled"
    JOB_LOST = "job_lost"

    @classmethod
    def of(cls, code: str) -> MissionErrorCode:
        """The member for a stored code; an unknown one reads as GENERATION_FAILED."""
        try:
            return cls(code)
        except ValueError:
            return cls.GENERATION_FAILED

    @property
    def message(self) -> str:
        return _MESSAGES[self]


GENERATION_FAILED = MissionErrorCode.GENERATION_FAILED.value

_RETRY = " Retry to generate the plan again."
_MESSAGES: dict[MissionErrorCode, str] = {
    MissionErrorCode.GENERATION_FAILED: "The plan generator failed." + _RETRY,
    # The AI model's failures, as the LLM service classifies them.
    MissionErrorCode.LLM_TIMEOUT: "The AI model stopped answering in time." + _RETRY,
    MissionErrorCode.LLM_RATE_LIMITED: (
        "The AI model is getting too many requests right now. Wait a minute, then retry."
    ),
    MissionErrorCode.LLM_UNAVAILABLE: (
        "The AI model could not be reached or failed while writing the plan." + _RETRY
    ),
    MissionErrorCode.LLM_AUTH_FAILED: (
        "The plan generator is not allowed to use its AI model (its API key is wrong, revoked "
        "or out of credit). Retrying will not help until the operators fix it."
    ),
    MissionErrorCode.LLM_CONTEXT_TOO_LONG: (
        "Your answers make the request longer than the AI model accepts. Shorten the notes "
        "in the wizard, then submit again."
    ),
    MissionErrorCode.LLM_BAD_OUTPUT: "The AI model sent an answer that could not be read." + _RETRY,
    MissionErrorCode.LLM_REJECTED: (
        "The AI model refused the request. Retrying will not help until the operators check "
        "its settings (model name, base URL)."
    ),
    MissionErrorCode.STEP_TIMEOUT: "A step of the plan generator took too long." + _RETRY,
    MissionErrorCode.INTERNAL_ERROR: "The plan generator hit an internal error." + _RETRY,
    MissionErrorCode.TOO_MANY_ATTEMPTS: "The plan generator crashed several times on this plan."
    + _RETRY,
    MissionErrorCode.INVALID_INPUT: "The plan generator could not use the wizard answers.",
    MissionErrorCode.UNKNOWN_WORKFLOW: "The plan generator does not know this kind of plan.",
    MissionErrorCode.UNKNOWN_STEP: (
        "The plan generator is misconfigured; the operators have to fix it."
    ),
    MissionErrorCode.UNPARSEABLE_PLAN: (
        "The generated plan could not be read (no executive summary)." + _RETRY
    ),
    MissionErrorCode.PLAN_TOO_LARGE: (
        f"The generated plan was longer than the {MAX_PLAN_CHARS:,} characters a plan may have."
        + _RETRY
    ),
    MissionErrorCode.INVALID_RESULT: "The plan generator sent a result that could not be saved."
    + _RETRY,
    MissionErrorCode.JOB_CANCELLED: "The plan generator stopped this job before it finished."
    + _RETRY,
    MissionErrorCode.JOB_LOST: (
        "The plan generator no longer knows this job, so it will not finish." + _RETRY
    ),
}


def is_known_failure(code: str) -> bool:
    return MissionErrorCode.of(code).value == code


def report_error(code: str, *, retryable: bool = True) -> ReportError:
    """The error a report shows for `code`; unknown codes read as `generation_failed`."""
    known = MissionErrorCode.of(code)
    return ReportError(known.value, known.message, retryable)


JOB_CANCELLED = report_error("job_cancelled")
JOB_LOST = report_error("job_lost")
UNPARSEABLE_PLAN = report_error("unparseable_plan")
INVALID_RESULT = report_error("invalid_result")
PLAN_TOO_LARGE = report_error("plan_too_large")
