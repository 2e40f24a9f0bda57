"""Standard Webhooks verification of LLM-service callbacks, on the raw body.

`standardwebhooks` does the HMAC; we check the headers' shape first because it
raises plain ValueError/binascii errors on malformed signatures and accepts
non-integer timestamps, and every malformed request must be a clean 401.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from standardwebhooks import Webhook

MAX_SIGNATURES = 10
MAX_HEADER_LENGTH = 2048
# ASCII only: `\d` would also match other scripts' digits, which float() accepts.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v[0-9]+,[A-Za-z0-9+/]+={0,2}")
_WEBHOOK_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,255}")


class InvalidSignature(Exception):
    """The request is not provably from the LLM service."""


class WebhookVerifier:
    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets:
            raise ValueError("at least one webhook secret is required")
        # Several at once: the new secret is added before the old one is retired.
        self._webhooks = [Webhook(secret) for secret in secrets]

    def verify(self, body: bytes, headers: Mapping[str, str]) -> str:
        """Returns the webhook id of a genuine request, else raises InvalidSignature."""
        webhook_id = headers.get("webhook-id", "")
        timestamp = headers.get("webhook-timestamp", "")
        signature = headers.get("webhook-signature", "")
        _check_shape(webhook_id, timestamp, signature)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidSignature("body is not UTF-8") from exc
        sanitized = {
            "webhook-id": webhook_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": signature,
        }
        for webhook in self._webhooks:
            try:
                webhook.verify(text, sanitized, json_parse=False)
                return webhook_id
            except Exception:
                continue
        raise InvalidSignature("no valid signature")


def _check_shape(webhook_id: str, timestamp: str, signature: str) -> None:
    if not webhook_id or not timestamp or not signature:
        raise InvalidSignature("missing webhook headers")
    if len(signature) > MAX_HEADER_LENGTH or not _WEBHOOK_ID.fullmatch(webhook_id):
        raise InvalidSignature("malformed webhook headers")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise InvalidSignature("webhook-timestamp must be integer seconds")
    entries = signature.split(" ")
    if len(entries) > MAX_SIGNATURES or not all(_SIGNATURE.fullmatch(e) for e in entries):
        raise InvalidSignature("malformed webhook-signature")


def sign(secret: str, webhook_id: str, timestamp_seconds: int, body: bytes) -> dict[str, str]:
    """Headers for a signed request (used by tests and tools; the sender has its own)."""
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(timestamp_seconds, tz=UTC)
    signature = Webhook(secret).sign(webhook_id, when, body.decode())
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp_seconds),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
