"""/api/dev/token: development sign-in for the web client (and curl).

POST `{"user_id": "alice", "admin": false}` answers a token signed with the
configured secret, as `mission-planner token` prints. Anyone who reaches it can
act as anyone, so it exists only where DEV_SIGN_IN is on (by default: only when
ENVIRONMENT is development, never in staging or production); elsewhere both methods
answer 404, saying sign-in is off. GET answers 200 where it is on, so a client knows
whether to offer it.
"""

from __future__ import annotations

import json
import logging
import re

from starlette.requests import Request
from starlette.responses import JSONResponse

log = logging.getLogger(__name__)

DEV_TOKEN_PATH = "/api/dev/token"
DEV_TOKEN_TTL_SECONDS = 12 * 3600
_MAX_BODY_BYTES = 1024
_USER_ID = re.compile(r"[A-Za-z0-9._@-]{1,64}")
_SIGN_IN_OFF = {
    "error": "not_found",
    "message": "Development sign-in is off on this server: sign in with a token.",
}


async def dev_token(request: Request) -> JSONResponse:
    state = request.app.state.mission_planner
    if not state.settings.dev_sign_in_enabled:
        return JSONResponse(_SIGN_IN_OFF, status_code=404)
    if request.method == "GET":
        return JSONResponse({"available": True})
    body = await _capped_body(request)
    if body is None:
        return _bad_request("body_too_large", f"The body must be at most {_MAX_BODY_BYTES} bytes.")
    request_fields = _json_object(body)
    if request_fields is None:
        return _bad_request("invalid_json", 'Send a JSON object: {"user_id": "alice"}.')
    user_id = request_fields.get("user_id")
    admin = request_fields.get("admin", False)
    if not isinstance(user_id, str) or not _USER_ID.fullmatch(user_id):
        return _bad_request(
            "invalid_user_id",
            "user_id must be 1 to 64 letters, digits, '.', '_', '-' or '@'.",
        )
    if not isinstance(admin, bool):
        return _bad_request("invalid_admin", "admin must be true or false.")
    token = state.authenticator.mint(user_id, admin=admin, ttl_seconds=DEV_TOKEN_TTL_SECONDS)
    log.info("development token issued user=%s admin=%s", user_id, admin)
    return JSONResponse(
        {"token": token, "user_id": user_id, "admin": admin, "expires_in": DEV_TOKEN_TTL_SECONDS},
        headers={"Cache-Control": "no-store"},
    )


async def _capped_body(request: Request) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _json_object(body: bytes) -> dict[str, object] | None:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _bad_request(code: str, message: str) -> JSONResponse:
    log.info("development token refused: %s", code)
    return JSONResponse({"error": code, "message": message}, status_code=400)
