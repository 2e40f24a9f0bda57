"""Union results: expected failures are data, told apart by `__typename`."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from domain import errors
from domain.errors import InvalidInput  # inside ValidationError, `errors` is its field
from domain.validation import FieldError as DomainFieldError
from graph.types import MissionReport, Notification


@strawberry.type
class FieldError:
    field: str
    message: str
    code: str

    @classmethod
    def from_domain(cls, value: DomainFieldError) -> FieldError:
        return cls(field=value.field, message=value.message, code=value.code)


@strawberry.type(description="The input breaks a rule; `field` names the first offending field.")
class ValidationError:
    message: str
    field: str
    errors: list[FieldError]

    @classmethod
    def from_domain(cls, error: InvalidInput) -> ValidationError:
        items = [FieldError.from_domain(e) for e in error.errors]
        return cls(message=error.message, field=items[0].field, errors=items)


@strawberry.type(
    description="Too many plans generating at once; try again after retryAfter seconds."
)
class ActiveJobLimitError:
    message: str
    limit: int
    retry_after: int


@strawberry.type(
    description="Too many plans started (submitted or retried) in a short time; "
    "try again after retryAfter seconds. Cancelled plans count too."
)
class RateLimitedError:
    message: str
    retry_after: int
    limit: int
    window_seconds: int


@strawberry.type(description="The plan generator cannot be reached; nothing was changed.")
class ServiceUnavailableError:
    message: str
    retry_after: int


@strawberry.type(description="The idempotency key was used before with a different input.")
class IdempotencyKeyConflictError:
    message: str
    field: str


@strawberry.type
class NotFoundError:
    message: str


@strawberry.type
class CannotCancelError:
    message: str


@strawberry.enum
class NotRetryableReason(Enum):
    NOT_FAILED = "NOT_FAILED"
    PERMANENT_ERROR = "PERMANENT_ERROR"


@strawberry.type(
    description="The plan cannot be retried: it has not failed, or it failed with an error "
    "marked retryable: false (errorCode says which); submit a new plan instead."
)
class NotRetryableError:
    message: str
    reason: NotRetryableReason
    error_code: str | None = None


@strawberry.type
class SubmitMissionPlanSuccess:
    report: MissionReport


@strawberry.type
class CancelMissionPlanSuccess:
    report_id: strawberry.ID


@strawberry.type
class RetryMissionPlanSuccess:
    report: MissionReport


@strawberry.type
class DismissNotificationSuccess:
    notification: Notification


SubmitMissionPlanResult = Annotated[
    SubmitMissionPlanSuccess
    | ValidationError
    | ActiveJobLimitError
    | RateLimitedError
    | ServiceUnavailableError
    | IdempotencyKeyConflictError,
    strawberry.union("SubmitMissionPlanResult"),
]
CancelMissionPlanResult = Annotated[
    CancelMissionPlanSuccess | NotFoundError | CannotCancelError | ServiceUnavailableError,
    strawberry.union("CancelMissionPlanResult"),
]
RetryMissionPlanResult = Annotated[
    RetryMissionPlanSuccess
    | NotFoundError
    | NotRetryableError
    | ActiveJobLimitError
    | RateLimitedError
    | ServiceUnavailableError,
    strawberry.union("RetryMissionPlanResult"),
]
DismissNotificationResult = Annotated[
    DismissNotificationSuccess | NotFoundError, strawberry.union("DismissNotificationResult")
]


def error_result(
    error: errors.DomainError,
) -> (
    ValidationError
    | ActiveJobLimitError
    | RateLimitedError
    | ServiceUnavailableError
    | NotFoundError
    | CannotCancelError
    | NotRetryableError
    | IdempotencyKeyConflictError
):
    """The union member for an expected domain failure."""
    if isinstance(error, errors.InvalidInput):
        return ValidationError.from_domain(error)
    if isinstance(error, errors.ActiveJobLimitReached):
        return ActiveJobLimitError(
            message=error.message, limit=error.limit, retry_after=error.retry_after_seconds
        )
    if isinstance(error, errors.SubmissionRateLimited):
        return RateLimitedError(
            message=error.message,
            retry_after=error.retry_after_seconds,
            limit=error.limit,
            window_seconds=error.window_seconds,
        )
    if isinstance(error, errors.LLMServiceUnavailable):
        return ServiceUnavailableError(message=error.message, retry_after=error.retry_after_seconds)
    if isinstance(error, errors.IdempotencyKeyConflict):
        return IdempotencyKeyConflictError(message=error.message, field="idempotencyKey")
    if isinstance(error, errors.CannotCancelCompleted):
        return CannotCancelError(message=error.message)
    if isinstance(error, errors.NotRetryable):
        return NotRetryableError(
            message=error.message,
            reason=NotRetryableReason(error.reason),
            error_code=error.error_code,
        )
    return NotFoundError(message=error.message)


@strawberry.type(description="Only an administrator may do this; nothing was changed.")
class PermissionDeniedError:
    message: str
