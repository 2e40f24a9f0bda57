"""What a user reads when a generation fails: a stable code and a written message.

The one place that maps codes to messages. Whatever text the LLM service or a
provider sent along stays in the operators' logs: it can hold anything (a provider
echoed a database URL with its password), so a user never sees it. A code this
table does not know becomes `generation_failed`.
"""

from __future__ import annotations

from domain.plan import MAX_PLAN_CHARS
from domain.report import ReportError

GENERATION_FAILED = "generation_failed"

_RETRY = " Retry to generate the plan again."
_MESSAGES: dict[str, str] = {
    GENERATION_FAILED: "The plan generator failed." + _RETRY,
    # The AI model's failures, as the LLM service classifies them.
    "LLM_TIMEOUT": "The AI model stopped answering in time." + _RETRY,
    "LLM_RATE_LIMITED": (
        "The AI model is getting too many requests right now. Wait a minute, then retry."
    ),
    "LLM_UNAVAILABLE": (
        "The AI model could not be reached or failed while writing the plan." + _RETRY
    ),
    "LLM_AUTH_FAILED": (
        "The plan generator is not allowed to use its AI model (its API key is wrong, revoked "
        "or out of credit). Retrying will not help until the operators fix it."
    ),
    "LLM_CONTEXT_TOO_LONG": (
        "Your answers make the request longer than the AI model accepts. Shorten the notes "
        "in the wizard, then submit again."
    ),
    "LLM_BAD_OUTPUT": "The AI model sent an answer that could not be read." + _RETRY,
    "LLM_REJECTED": (
        "The AI model refused the request. Retrying will not help until the operators check "
        "its settings (model name, base URL)."
    ),
    "step_timeout": "A step of the plan generator took too long." + _RETRY,
    "internal_error": "The plan generator hit an internal error." + _RETRY,
    "too_many_attempts": "The plan generator crashed several times on this plan." + _RETRY,
    "invalid_input": "The plan generator could not use the wizard answers.",
    "unknown_workflow": "The plan generator does not know this kind of plan.",
    "unknown_step": "The plan generator is misconfigured; the operators have to fix it.",
    "unparseable_plan": ("The generated plan could not be read (no executive summary)." + _RETRY),
    "plan_too_large": (
        f"The generated plan was longer than the {MAX_PLAN_CHARS:,} characters a plan may have."
        + _RETRY
    ),
    "invalid_result": "The plan generator sent a result that could not be saved." + _RETRY,
    "job_cancelled": "The plan generator stopped this job before it finished." + _RETRY,
    "job_lost": ("The plan generator no longer knows this job, so it will not finish." + _RETRY),
}


def is_known_failure(code: str) -> bool:
    return code in _MESSAGES


def report_error(code: str, *, retryable: bool = True) -> ReportError:
    """The error a report shows for `code`; unknown codes read as `generation_failed`."""
    known = code if code in _MESSAGES else GENERATION_FAILED
    return ReportError(known, _MESSAGES[known], retryable)


JOB_CANCELLED = report_error("job_cancelled")
JOB_LOST = report_error("job_lost")
UNPARSEABLE_PLAN = report_error("unparseable_plan")
INVALID_RESULT = report_error("invalid_result")
PLAN_TOO_LARGE = report_error("plan_too_large")
