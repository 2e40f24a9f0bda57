"""POST /api/webhooks/llm-callback: verify the raw bytes, then apply exactly once."""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from domain.errors import LLMServiceUnavailable
from domain.job_updates import apply_job_update
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
        return JSONResponse({"error": "body_too_large", "limit_bytes": limit}, status_code=413)
    except InvalidSignature as exc:
        return JSONResponse({"error": "invalid_signature", "detail": str(exc)}, status_code=401)
    except InvalidJobPayload as exc:
        return JSONResponse({"error": "invalid_payload", "detail": str(exc)}, status_code=400)
    try:
        applied = await apply_job_update(state.deps, update, webhook_id)
    except LLMServiceUnavailable:
        # We need the workflow definition to apply progress; the sender will retry.
        return JSONResponse({"error": "temporarily_unavailable"}, status_code=503)
    return JSONResponse({"status": "applied" if applied else "ignored"})


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: `[[[[...` nested deep
        raise InvalidJobPayload("body is not JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidJobPayload("body must be a JSON object")
    return payload
