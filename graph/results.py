"""Union results: expected failures are data, told apart by `__typename`."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

import strawberry

from domain import errors
from domain.cleanup import CleanupNotAllowed
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


@strawberry.type(
    description="An earlier submission with this idempotency key is still starting its job; "
    "send the same request again after retryAfter seconds to get its plan."
)
class SubmissionInProgressError:
    message: str
    retry_after: int


@strawberry.type(description="The idempotency key was used before with a different input.")
class IdempotencyKeyConflictError:
    message: str
    field: str


@strawberry.type(description="Only an administrator may do this; nothing was changed.")
class PermissionDeniedError:
    message: str


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
    | IdempotencyKeyConflictError
    | SubmissionInProgressError
    # The plan was cancelled while its job was being started.
    | NotFoundError,
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


ErrorResult = (
    ValidationError
    | ActiveJobLimitError
    | RateLimitedError
    | ServiceUnavailableError
    | SubmissionInProgressError
    | NotFoundError
    | CannotCancelError
    | NotRetryableError
    | IdempotencyKeyConflictError
    | PermissionDeniedError
)


def _not_retryable(error: errors.NotRetryable) -> NotRetryableError:
    return NotRetryableError(
        message=error.message, reason=NotRetryableReason(error.reason), error_code=error.error_code
    )


def _not_found(error: errors.DomainError) -> NotFoundError:
    return NotFoundError(message=error.message)


# Keyed on the exact class: a new DomainError has no member until it is given one here
# (tests/unit/test_error_results.py checks each has), so it cannot pass for another.
_RESULTS: dict[type[errors.DomainError], Callable[[Any], ErrorResult]] = {
    errors.InvalidInput: ValidationError.from_domain,
    errors.ActiveJobLimitReached: lambda error: ActiveJobLimitError(
        message=error.message, limit=error.limit, retry_after=error.retry_after_seconds
    ),
    errors.SubmissionRateLimited: lambda error: RateLimitedError(
        message=error.message,
        retry_after=error.retry_after_seconds,
        limit=error.limit,
        window_seconds=error.window_seconds,
    ),
    errors.LLMServiceUnavailable: lambda error: ServiceUnavailableError(
        message=error.message, retry_after=error.retry_after_seconds
    ),
    errors.IdempotencyKeyInFlight: lambda error: SubmissionInProgressError(
        message=error.message, retry_after=error.retry_after_seconds
    ),
    errors.IdempotencyKeyConflict: lambda error: IdempotencyKeyConflictError(
        message=error.message, field="idempotencyKey"
    ),
    errors.CannotCancelCompleted: lambda error: CannotCancelError(message=error.message),
    errors.NotRetryable: _not_retryable,
    errors.PermanentFailure: _not_retryable,
    errors.ReportNotFound: _not_found,
    errors.NotificationNotFound: _not_found,
    errors.NotAuthorized: lambda error: PermissionDeniedError(message=error.message),
    CleanupNotAllowed: lambda error: PermissionDeniedError(message=error.message),
}


def error_result(error: errors.DomainError) -> ErrorResult:
    """The union member for an expected domain failure.

    A DomainError without one is a bug, not a client error: it is raised again, so the
    client sees the masked "Unexpected error." and the log its traceback.
    """
    to_result = _RESULTS.get(type(error))
    if to_result is None:
        raise error
    return to_result(error)
