"""Expected failures of the operations; the API turns each into a typed result."""

from __future__ import annotations

from domain.field_errors import FieldError


class DomainError(Exception):
    message: str = "operation failed"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class ReportNotFound(DomainError):
    message = "No mission report with this id."


class NotificationNotFound(DomainError):
    message = "No notification with this id."


class InvalidInput(DomainError):
    def __init__(self, errors: tuple[FieldError, ...]) -> None:
        first = errors[0]
        super().__init__(f"{first.field}: {first.message}")
        self.errors = errors


class ActiveJobLimitReached(DomainError):
    def __init__(self, limit: int, retry_after_seconds: int) -> None:
        super().__init__(
            f"You already have {limit} plans generating; wait for one to finish or cancel one."
        )
        self.limit = limit
        self.retry_after_seconds = retry_after_seconds


class SubmissionRateLimited(DomainError):
    def __init__(self, limit: int, window_seconds: int, retry_after_seconds: int) -> None:
        super().__init__(
            f"You started {limit} plans in the last {window_seconds} seconds; "
            f"try again in {retry_after_seconds} seconds."
        )
        self.limit = limit
        self.window_seconds = window_seconds
        self.retry_after_seconds = retry_after_seconds


class CannotCancelCompleted(DomainError):
    message = "This plan is already complete; completed plans cannot be cancelled."


class NotRetryable(DomainError):
    message = "Only a failed plan can be retried."
    # Why: NOT_FAILED, or PERMANENT_ERROR (the failure is one a retry cannot fix).
    reason = "NOT_FAILED"
    error_code: str | None = None


class PermanentFailure(NotRetryable):
    """The attempt failed with `retryable: false` (the input or the setup must change)."""

    reason = "PERMANENT_ERROR"

    def __init__(self, error_code: str) -> None:
        super().__init__(
            "This plan failed with an error a retry cannot fix; "
            "change the wizard answers and submit a new plan."
        )
        self.error_code = error_code


class LLMServiceUnavailable(DomainError):
    def __init__(self, detail: str, retry_after_seconds: int = 10) -> None:
        super().__init__(
            f"The plan generator is unavailable right now ({detail}); nothing was changed, "
            "try again shortly."
        )
        self.retry_after_seconds = retry_after_seconds


class IdempotencyKeyConflict(DomainError):
    message = (
        "This idempotency key was already used for a different wizard input; "
        "use a new key for a new plan."
    )


class IdempotencyKeyInFlight(DomainError):
    """Another request with this key is still submitting its job: its outcome is not known yet."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            "An earlier submission with this idempotency key is still starting; "
            f"send it again in {retry_after_seconds} seconds to get its plan."
        )
        self.retry_after_seconds = retry_after_seconds


class NotAuthorized(DomainError):
    message = "You are not allowed to do this."
