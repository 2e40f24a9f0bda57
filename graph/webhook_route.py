"""POST /api/webhooks/llm-callback: verify the raw bytes, then apply exactly once."""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from domain.errors import LLMServiceUnavailable
from infra.llm_payloads import InvalidJobPayload, is_known_event_type, webhook_to_update
from infra.webhook_signing import InvalidSignature
from llm_service.http_body import BodyTooLarge, read_capped_body

log = logging.getLogger(__name__)


async def llm_callback(request: Request) -> JSONResponse:
    state = request.app.state.mission_planner
    limit = state.settings.webhook_max_body_bytes
    try:
        body = await read_capped_body(request, limit)
        webhook_id = state.webhook_verifier.verify(body, request.headers)
        payload = _json_object(body)
        if not is_known_event_type(payload):
            return JSONResponse(
                {"status": "ignored", "reason": "unknown event type"}, status_code=202
            )
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
    return JSONResponse({"status": "applied" if applied else "ignored"})


def _refused(status: int, body: dict[str, Any]) -> JSONResponse:
    # One line, no traceback: a sender with the wrong secret shows up without flooding.
    log.info("webhook refused: %d %s %.200s", status, body["error"], body.get("detail", ""))
    return JSONResponse(body, status_code=status)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: `[[[[...` nested deep
        raise InvalidJobPayload("body is not JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidJobPayload("body must be a JSON object")
    return payload
