"""Standard Webhooks verification of LLM-service callbacks, on the raw body.

We check the headers' shape first: `standardwebhooks` raises plain ValueError/binascii
errors on malformed signatures and accepts non-integer timestamps, and every malformed
request must be a clean 401. The check itself is the library's `Webhook.verify`, done
once for all secrets: the timestamp read and checked once, the header's signatures
decoded once, and one HMAC per secret (each key's set up once). Per secret, the library
re-parsed the timestamp through datetime, re-encoded the body and re-decoded every
signature, and `hmac` set the key up again (benchmarks/README.md, "Branch
h/routefast", for what the route's changes saved together).
tests/unit/test_webhook_verifier.py checks the two agree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections.abc import Mapping, Sequence

from standardwebhooks import Webhook

MAX_SIGNATURES = 10
MAX_HEADER_LENGTH = 2048
# The library's tolerance: a timestamp this far from now, either way, is refused.
TOLERANCE_SECONDS = 5 * 60
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
        self._keys = [_key(secret) for secret in secrets]

    def verify(self, body: bytes, headers: Mapping[str, str]) -> str:
        """Returns the webhook id of a genuine request, else raises InvalidSignature."""
        webhook_id = headers.get("webhook-id", "")
        timestamp = headers.get("webhook-timestamp", "")
        signature = headers.get("webhook-signature", "")
        _check_shape(webhook_id, timestamp, signature)
        try:
            if not body.isascii():  # ASCII is UTF-8: no copy decoded to check it
                body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidSignature("body is not UTF-8") from exc
        seconds = int(timestamp)  # _check_shape: ASCII digits
        now = time.time()
        offered = _offered_signatures(signature)
        if not offered or not now - TOLERANCE_SECONDS <= seconds <= now + TOLERANCE_SECONDS:
            raise InvalidSignature("no valid signature")
        # The library signs the timestamp as it read it (a leading zero dropped).
        signed = f"{webhook_id}.{seconds}.".encode() + body
        for key in self._keys:
            expected = key.digest(signed)
            if any(hmac.compare_digest(expected, given) for given in offered):
                return webhook_id
        raise InvalidSignature("no valid signature")


def _key(secret: str) -> HmacSha256:
    """The secret's bytes, read as the library reads them (and refused as it refuses)."""
    Webhook(secret)  # raises for an empty or unreadable secret
    unprefixed = secret.removeprefix("whsec_")
    # The library pads too: unpadded base64 is accepted (b64decode skips extra padding).
    return HmacSha256(base64.b64decode(unprefixed + "=="))


class HmacSha256:
    """HMAC-SHA256 (RFC 2104) under one key, its padded key's hash states made once:
    each message then costs two hash copies and its hashing, where `hmac.digest` set
    the key up again (and looked OpenSSL's SHA-256 up by name) for every message, half
    again as long. The same construction as the hmac module's own pure-Python form."""

    _BLOCK = 64  # SHA-256's block size in bytes

    def __init__(self, key: bytes) -> None:
        if len(key) > self._BLOCK:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(self._BLOCK, b"\0")
        self._inner = hashlib.sha256(padded.translate(_IPAD))
        self._outer = hashlib.sha256(padded.translate(_OPAD))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


# Every byte XOR 0x36 (the inner pad), XOR 0x5c (the outer pad), as translation tables.
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


def _offered_signatures(header: str) -> list[bytes]:
    """The header's v1 signatures the library would compare, in order: those before the
    first one base64 cannot decode (there the library raises, for every secret)."""
    offered = []
    for entry in header.split(" "):
        version, encoded = entry.split(",")  # _check_shape: one comma
        if version != "v1":
            continue
        try:
            offered.append(base64.b64decode(encoded))
        except binascii.Error:
            break
    return offered


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
