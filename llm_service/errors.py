"""Errors that fail a job with a code the API shows and a retry hint it acts on.

`message` is written by us and safe to pass on; `detail` is whatever the failure
carried (a provider's response body, an exception's text) and goes to the log
only: a provider once echoed a database URL with its password in a 500.
"""

from __future__ import annotations

from typing import Any


class WorkflowError(Exception):
    """A step failed in an expected way; becomes the job's `error` (without `detail`)."""

    def __init__(self, code: str, message: str, *, retryable: bool, detail: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.detail = detail

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "retryable": self.retryable}


class InvalidInputError(WorkflowError):
    """The submitted input cannot produce a plan; retrying the same input cannot help."""

    def __init__(self, message: str) -> None:
        super().__init__("invalid_input", message, retryable=False)


class ProviderError(WorkflowError):
    """The LLM provider failed: timeouts, 5xx and 429 are worth retrying, the rest not."""
