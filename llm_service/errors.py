"""Errors that fail a job with a code the API shows and a retry hint it acts on."""

from __future__ import annotations

from typing import Any


class WorkflowError(Exception):
    """A step failed in an expected way; becomes the job's `error` as is."""

    def __init__(self, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "retryable": self.retryable}


class InvalidInputError(WorkflowError):
    """The submitted input cannot produce a plan; retrying the same input cannot help."""

    def __init__(self, message: str) -> None:
        super().__init__("invalid_input", message, retryable=False)


class ProviderError(WorkflowError):
    """The LLM provider failed: timeouts, 5xx and 429 are worth retrying, the rest not."""
