"""POST /api/webhooks/llm-callback: verify the raw bytes, then apply exactly once.

A bare ASGI app (Starlette routes to it as to any class): no Request, no per-request
exception-handling wrapper, the four headers it reads picked in one pass, and its two
common answers built once (benchmarks/README.md, "Branch h/routefast", for what the
route's changes saved together); answers and refusals are the ones the Request form
gave.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from domain.errors import LLMServiceUnavailable
from infra import json_text
from infra.llm_payloads import InvalidJobPayload, is_known_event_type, webhook_to_update
from infra.webhook_signing import InvalidSignature
from llm_service.http_body import BodyTooLarge, read_capped_asgi_body

log = logging.getLogger(__name__)

# The headers the route reads, by their ASGI (lower-case) names.
_READ_HEADERS = frozenset(
    {b"content-length", b"webhook-id", b"webhook-timestamp", b"webhook-signature"}
)
# Immutable and stateless once built: each answer sends the same bytes and headers.
_APPLIED = JSONResponse({"status": "applied"})
_IGNORED = JSONResponse({"status": "ignored"})
_UNKNOWN_TYPE = JSONResponse({"status": "ignored", "reason": "unknown event type"}, status_code=202)
# orjson reads an integer beyond 64 bits as a float; the json module reads it as an
# int, which the payload's range checks refuse. A body with such a number is read by
# the json module: one with a run of 19 digits (where -2**63 ends), found with every
# digit made "0" (two passes in C; a regular expression's search cost 50,000
# instructions a body, more than the json module saved).
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_NUMBER = b"0" * 19


class LLMCallback:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await _answer(scope, receive)
        await response(scope, receive, send)


llm_callback = LLMCallback()


async def _answer(scope: Scope, receive: Receive) -> JSONResponse:
    state = scope["app"].state.mission_planner
    limit = state.settings.webhook_max_body_bytes
    headers = _headers(scope)
    try:
        body = await read_capped_asgi_body(headers.get("content-length", ""), receive, limit)
        webhook_id = state.webhook_verifier.verify(body, headers)
        payload = _json_object(body)
        if not is_known_event_type(payload):
            return _UNKNOWN_TYPE
        update = webhook_to_update(payload)
    except BodyTooLarge:
        return _refused(413, {"error": "body_too_large", "limit_bytes": limit})
    except InvalidSignature as exc:
        return _refused(401, {"error": "invalid_signature", "detail": str(exc)})
    except InvalidJobPayload as exc:
        return _refused(400, {"error": "invalid_payload", "detail": str(exc)})
    try:
        applied = await state.job_updates.apply(update, webhook_id)
    except LLMServiceUnavailable:
        # We need the workflow definition to apply progress; the sender will retry.
        return JSONResponse({"error": "temporarily_unavailable"}, status_code=503)
    return _APPLIED if applied else _IGNORED


def _headers(scope: Scope) -> dict[str, str]:
    """The headers the route reads, each its first value (as Starlette's `Headers` gives)."""
    found: dict[str, str] = {}
    for key, value in scope["headers"]:
        if key in _READ_HEADERS:
            found.setdefault(key.decode("latin-1"), value.decode("latin-1"))
    return found


def _refused(status: int, body: dict[str, Any]) -> JSONResponse:
    # One line, no traceback: a sender with the wrong secret shows up without flooding.
    log.info("webhook refused: %d %s %.200s", status, body["error"], body.get("detail", ""))
    return JSONResponse(body, status_code=status)


def _json_object(body: bytes) -> dict[str, Any]:
    payload = _decoded(body)
    if not isinstance(payload, dict):
        raise InvalidJobPayload("body must be a JSON object")
    return payload


def _decoded(body: bytes) -> Any:
    """orjson's reading, the json module's for what orjson refuses (NaN, lone surrogates,
    a nesting past its limit: json decides, and refuses alike; infra.json_text), and the
    json module's alone for long integers (above)."""
    try:
        if _LONG_NUMBER in body.translate(_DIGITS_AS_ZERO):
            return json.loads(body)
        return json_text.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: `[[[[...` nested deep
        raise InvalidJobPayload("body is not JSON") from exc
