"""What a rejected wizard answer looks like: one typed error per field, all at once.

Kept apart from the rules in domain/validation.py so the error types every layer
shows (GraphQL, the CLI, the LLM service) do not depend on the rules themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# A hostile form can break every rule at once: past this many, one summary error.
MAX_FIELD_ERRORS = 50


class FieldErrorCode(StrEnum):
    """Every code a FieldError can have: the stable part a client may switch on."""

    REQUIRED = "required"
    INVALID_FORMAT = "invalid_format"
    INVALID_CHARACTERS = "invalid_characters"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    UNKNOWN_COUNTRY = "unknown_country"
    DUPLICATE = "duplicate"
    INVALID_CHOICE = "invalid_choice"
    OUT_OF_RANGE = "out_of_range"
    TOO_FEW = "too_few"
    TOO_MANY = "too_many"
    TOO_MANY_ERRORS = "too_many_errors"


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: `field` is its GraphQL path, `code` is stable."""

    field: str
    message: str
    code: FieldErrorCode


class InvalidMissionInput(Exception):
    """The wizard's answers break one or more rules; `errors` lists all of them."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        summary = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        super().__init__(f"invalid mission input: {summary}")


class FieldErrors:
    """Collects every error instead of stopping at the first, up to MAX_FIELD_ERRORS."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, code: FieldErrorCode, message: str) -> None:
        if len(self.items) < MAX_FIELD_ERRORS:
            self.items.append(FieldError(field=field, message=message, code=code))
        elif len(self.items) == MAX_FIELD_ERRORS:
            self.items.append(
                FieldError(
                    field="input",
                    code=FieldErrorCode.TOO_MANY_ERRORS,
                    message=f"More than {MAX_FIELD_ERRORS} problems; fix these and submit again.",
                )
            )
