"""Each domain error has its own union member; one without is raised, never "not found"."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import domain
from domain import errors
from domain.cleanup import CleanupNotAllowed
from domain.field_errors import FieldError, FieldErrorCode
from graph.results import error_result
from graph.schema import PUBLIC_ERRORS

# One instance of every DomainError and the member a client sees for it.
EXPECTED_MEMBERS: dict[type[errors.DomainError], tuple[errors.DomainError, str]] = {
    errors.ReportNotFound: (errors.ReportNotFound(), "NotFoundError"),
    errors.NotificationNotFound: (errors.NotificationNotFound(), "NotFoundError"),
    errors.InvalidInput: (
        errors.InvalidInput((FieldError("notes", "too long", FieldErrorCode.TOO_LONG),)),
        "ValidationError",
    ),
    errors.ActiveJobLimitReached: (errors.ActiveJobLimitReached(3, 60), "ActiveJobLimitError"),
    errors.SubmissionRateLimited: (errors.SubmissionRateLimited(5, 60, 12), "RateLimitedError"),
    errors.CannotCancelCompleted: (errors.CannotCancelCompleted(), "CannotCancelError"),
    errors.NotRetryable: (errors.NotRetryable(), "NotRetryableError"),
    errors.PermanentFailure: (errors.PermanentFailure("invalid_input"), "NotRetryableError"),
    errors.LLMServiceUnavailable: (
        errors.LLMServiceUnavailable("connection refused"),
        "ServiceUnavailableError",
    ),
    errors.IdempotencyKeyConflict: (
        errors.IdempotencyKeyConflict(),
        "IdempotencyKeyConflictError",
    ),
    errors.IdempotencyKeyInFlight: (
        errors.IdempotencyKeyInFlight(5),
        "SubmissionInProgressError",
    ),
    errors.NotAuthorized: (errors.NotAuthorized(), "PermissionDeniedError"),
    CleanupNotAllowed: (CleanupNotAllowed(), "PermissionDeniedError"),
}


def all_domain_errors() -> set[type[errors.DomainError]]:
    """Every subclass of DomainError in domain/, wherever it is defined."""
    for module in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"domain.{module.name}")
    found: set[type[errors.DomainError]] = set()
    pending = [errors.DomainError]
    while pending:
        for subclass in pending.pop().__subclasses__():
            if subclass.__module__.startswith("domain."):
                found.add(subclass)
            pending.append(subclass)
    return found


def test_every_domain_error_is_listed_here() -> None:
    # A new DomainError must be given a member in graph/results.py and a line above, or,
    # raised by a field whose type has no error members, be public in graph/schema.py.
    public = {e for e in PUBLIC_ERRORS if issubclass(e, errors.DomainError)}
    assert public.isdisjoint(EXPECTED_MEMBERS)
    assert set(EXPECTED_MEMBERS) | public == all_domain_errors()


@pytest.mark.parametrize("error_class", sorted(EXPECTED_MEMBERS, key=repr))
def test_each_domain_error_maps_to_its_own_member(error_class: type[errors.DomainError]) -> None:
    error, member = EXPECTED_MEMBERS[error_class]
    result = error_result(error)
    assert type(result).__name__ == member
    assert result.message == error.message


def test_the_in_flight_key_is_not_the_generator_being_down() -> None:
    result = error_result(errors.IdempotencyKeyInFlight(5))
    assert type(result).__name__ == "SubmissionInProgressError"
    assert result.retry_after == 5  # type: ignore[union-attr]


def test_a_domain_error_without_a_member_is_raised_not_passed_off_as_not_found() -> None:
    class SomethingNew(errors.DomainError):
        message = "a failure no one mapped"

    with pytest.raises(SomethingNew):
        error_result(SomethingNew())


def test_a_subclass_does_not_borrow_its_parents_member() -> None:
    class NewlyNotFound(errors.ReportNotFound):
        pass

    with pytest.raises(NewlyNotFound):
        error_result(NewlyNotFound())
