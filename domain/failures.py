"""What a user reads when a generation fails: a stable code and a written message.

The one place that maps codes to messages. Whatever text the LLM service or a
provider sent along stays in the operators' logs: it can hold anything (a provider
echoed a database URL with its password), so a user never sees it. A code this
table does not know becomes `generation_failed`.
"""

from __future__ import annotations

from domain.report import ReportError

GENERATION_FAILED = "generation_failed"

_RETRY = " Retry to generate the plan again."
_MESSAGES: dict[str, str] = {
    GENERATION_FAILED: "The plan generator failed." + _RETRY,
    "provider_timeout": "The AI model took too long to answer." + _RETRY,
    "provider_unavailable": "The AI model could not be reached." + _RETRY,
    "provider_rate_limited": "The AI model is busy right now. Wait a minute, then retry.",
    "provider_error": "The AI model failed while writing the plan." + _RETRY,
    "provider_bad_response": "The AI model sent an answer that could not be read." + _RETRY,
    "provider_empty_response": "The AI model sent an empty answer." + _RETRY,
    "provider_auth_failed": (
        "The plan generator is not allowed to use its AI model; the operators have to fix it."
    ),
    "provider_rejected": "The AI model refused the request.",
    "step_timeout": "A step of the plan generator took too long." + _RETRY,
    "internal_error": "The plan generator hit an internal error." + _RETRY,
    "too_many_attempts": "The plan generator crashed several times on this plan." + _RETRY,
    "invalid_input": "The plan generator could not use the wizard answers.",
    "unknown_workflow": "The plan generator does not know this kind of plan.",
    "unknown_step": "The plan generator is misconfigured; the operators have to fix it.",
    "unparseable_plan": ("The generated plan could not be read (no executive summary)." + _RETRY),
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
