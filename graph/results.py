"""Union results: expected failures are data, told apart by `__typename`."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

import strawberry

from domain import errors
from domain.cleanup import CleanupNotAllowed
from domain.errors import InvalidInput  # inside ValidationError, `errors` is its field
from domain.field_errors import FieldError as DomainFieldError
from graph.enums import FieldErrorCode, MissionErrorCode
from graph.types import MissionReport, Notification

MESSAGE = "What went wrong and what to do, in words for a person."
UNION_DESCRIPTION = (
    "What {mutation} answers: its success member, or an error member (each implements Error)."
)


@strawberry.interface(
    description="What every error member of a result union has; tell them apart by __typename."
)
class Error:
    message: str = strawberry.field(description=MESSAGE)


@strawberry.type(description="One problem with one field of the input.")
class FieldError:
    field: str = strawberry.field(description="The field's path, e.g. `familyMembers[1].age`.")
    message: str = strawberry.field(description=MESSAGE)
    code: FieldErrorCode = strawberry.field(description="The rule broken, stable for clients.")

    @classmethod
    def from_domain(cls, value: DomainFieldError) -> FieldError:
        return cls(field=value.field, message=value.message, code=value.code)


@strawberry.type(description="The input breaks a rule; `field` names the first offending field.")
class ValidationError(Error):
    field: str = strawberry.field(
        description="The first offending field's path (errors lists them all)."
    )
    errors: list[FieldError] = strawberry.field(description="Every problem found, in input order.")

    @classmethod
    def from_domain(cls, error: InvalidInput) -> ValidationError:
        items = [FieldError.from_domain(e) for e in error.errors]
        return cls(message=error.message, field=items[0].field, errors=items)


@strawberry.type(
    description="Too many plans generating at once; try again after retryAfter seconds."
)
class ActiveJobLimitError(Error):
    limit: int = strawberry.field(description="How many plans may generate at once.")
    retry_after: int = strawberry.field(description="Seconds to wait before trying again.")


@strawberry.type(
    description="Too many plans started (submitted or retried) in a short time; "
    "try again after retryAfter seconds. Cancelled plans count too."
)
class RateLimitedError(Error):
    retry_after: int = strawberry.field(description="Seconds to wait before trying again.")
    limit: int = strawberry.field(description="How many plans may start in the window.")
    window_seconds: int = strawberry.field(description="The window's length in seconds.")


@strawberry.type(description="The plan generator cannot be reached; nothing was changed.")
class ServiceUnavailableError(Error):
    retry_after: int = strawberry.field(description="Seconds to wait before trying again.")


@strawberry.type(
    description="An earlier submission with this idempotency key is still starting its job; "
    "send the same request again after retryAfter seconds to get its plan."
)
class SubmissionInProgressError(Error):
    retry_after: int = strawberry.field(description="Seconds to wait before trying again.")


@strawberry.type(description="The idempotency key was used before with a different input.")
class IdempotencyKeyConflictError(Error):
    field: str = strawberry.field(description="The argument at fault: `idempotencyKey`.")


@strawberry.type(description="Only an administrator may do this; nothing was changed.")
class PermissionDeniedError(Error):
    pass


@strawberry.type(description="No such thing is yours (it never was, or it is gone).")
class NotFoundError(Error):
    pass


@strawberry.type(description="The plan is completed: there is nothing left to cancel.")
class CannotCancelError(Error):
    pass


@strawberry.enum(description="Why a plan cannot be retried.")
class NotRetryableReason(Enum):
    NOT_FAILED = strawberry.enum_value("NOT_FAILED", description="The plan has not failed.")
    PERMANENT_ERROR = strawberry.enum_value(
        "PERMANENT_ERROR", description="It failed with an error that a retry cannot fix."
    )


@strawberry.type(
    description="The plan cannot be retried: it has not failed, or it failed with an error "
    "marked retryable: false (errorCode says which); submit a new plan instead."
)
class NotRetryableError(Error):
    reason: NotRetryableReason = strawberry.field(description="Not failed, or failed for good.")
    error_code: MissionErrorCode | None = strawberry.field(
        default=None, description="The failure's code, for PERMANENT_ERROR."
    )


@strawberry.type(description="The plan was submitted (or was already, with this idempotency key).")
class SubmitMissionPlanSuccess:
    report: MissionReport = strawberry.field(
        description="The report, GENERATING; subscribe to missionEvents for its progress."
    )


@strawberry.type(description="The plan is stopped and deleted (or was already).")
class CancelMissionPlanSuccess:
    report_id: strawberry.ID = strawberry.field(description="The id of the report that is gone.")


@strawberry.type(description="A new attempt of the plan started.")
class RetryMissionPlanSuccess:
    report: MissionReport = strawberry.field(
        description="The report, GENERATING again with the next attempt."
    )


@strawberry.type(description="The notification is hidden (or was already).")
class DismissNotificationSuccess:
    notification: Notification = strawberry.field(
        description="The notification, with dismissedAt set."
    )


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
    strawberry.union(
        "SubmitMissionPlanResult",
        description=UNION_DESCRIPTION.format(mutation="submitMissionPlan"),
    ),
]
CancelMissionPlanResult = Annotated[
    CancelMissionPlanSuccess | NotFoundError | CannotCancelError | ServiceUnavailableError,
    strawberry.union(
        "CancelMissionPlanResult",
        description=UNION_DESCRIPTION.format(mutation="cancelMissionPlan"),
    ),
]
RetryMissionPlanResult = Annotated[
    RetryMissionPlanSuccess
    | NotFoundError
    | NotRetryableError
    | ActiveJobLimitError
    | RateLimitedError
    | ServiceUnavailableError,
    strawberry.union(
        "RetryMissionPlanResult",
        description=UNION_DESCRIPTION.format(mutation="retryMissionPlan"),
    ),
]
DismissNotificationResult = Annotated[
    DismissNotificationSuccess | NotFoundError,
    strawberry.union(
        "DismissNotificationResult",
        description=UNION_DESCRIPTION.format(mutation="dismissNotification"),
    ),
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
        message=error.message,
        reason=NotRetryableReason(error.reason),
        error_code=MissionErrorCode.of(error.error_code) if error.error_code else None,
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
