"""An event's `next` frame, encoded once for every subscriber who gets the same one.

Strawberry's `Operation.send_next` builds the message `{"id", "type": "next",
"payload": {"data", "errors"?, "extensions"?}}` and the view encodes all of it
(`MissionPlannerGraphQL.encode_json`: orjson) for each subscriber. Subscribers woken by
one bus message who share a result (graph/light_subscriptions.py) differ only in the
operation id, so the payload is encoded once and each frame is the payload's text with
its id around it: the bytes orjson makes of the whole message, as orjson writes no
whitespace and keeps the keys' order. A payload or an id orjson refuses (an integer
beyond 64 bits, a lone surrogate) goes through `send_next`, whose encoder falls back to
the json module for the whole message.
"""

from __future__ import annotations

from typing import Any

import orjson
from strawberry.types import ExecutionResult


class SharedFrame:
    """One event's result, and its payload's text once a subscriber needed it."""

    __slots__ = ("_payload", "document", "event", "result")

    def __init__(self, event: Any, document: Any, result: ExecutionResult) -> None:
        self.event = event  # what it was made for: the sharing key holds their ids
        self.document = document
        self.result = result
        self._payload: str | None = None

    def text(self, operation_id: str) -> str | None:
        """The frame for one operation, or None when `send_next` must make it."""
        payload = self._payload
        if payload is None:
            payload = self._payload = _payload_text(self.result)
        if not payload:
            return None
        try:
            quoted_id = orjson.dumps(operation_id).decode()
        except TypeError:  # orjson.JSONEncodeError is one
            return None
        return '{"id":' + quoted_id + ',"type":"next","payload":' + payload + "}"


def _payload_text(result: ExecutionResult) -> str:
    """What send_next puts in "payload", encoded; "" when orjson refuses it."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    try:
        return orjson.dumps(payload).decode()
    except TypeError:
        return ""
