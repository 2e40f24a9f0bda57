"""WebhookVerifier decides as `standardwebhooks.Webhook.verify` does, for every secret.

The verifier does the library's check itself, once for all secrets (infra.webhook_signing
says why); here each case is decided both ways and the answers compared, the library's
as the verifier used it before: each secret tried in turn, any exception a refusal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Sequence

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError

from infra.webhook_signing import HmacSha256, InvalidSignature, WebhookVerifier, _check_shape

OLD = "whsec_" + base64.b64encode(b"rotation-old-secret-0123456789ab").decode()
NEW = "whsec_" + base64.b64encode(b"rotation-new-secret-0123456789ab").decode()
LONG = "whsec_" + base64.b64encode(bytes(range(100))).decode()  # over SHA-256's block
UNPADDED = base64.b64encode(b"an-unpadded-secret-of-31-bytes!").decode().rstrip("=")
BODY = '{"type": "workflow.progress", "text": "\u00e9t\u00e9 \u2603"}'.encode()


def library_accepts(secrets: Sequence[str], body: bytes, headers: dict[str, str]) -> bool:
    try:
        _check_shape(
            headers.get("webhook-id", ""),
            headers.get("webhook-timestamp", ""),
            headers.get("webhook-signature", ""),
        )
        text = body.decode("utf-8")
    except (InvalidSignature, UnicodeDecodeError):
        return False
    for secret in secrets:
        try:
            Webhook(secret).verify(text, headers, json_parse=False)
            return True
        except Exception:
            continue
    return False


def verifier_accepts(secrets: Sequence[str], body: bytes, headers: dict[str, str]) -> bool:
    try:
        assert WebhookVerifier(secrets).verify(body, headers) == headers["webhook-id"]
        return True
    except InvalidSignature:
        return False


def signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(timestamp: str, sig: str, msg_id: str = "msg_1") -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": timestamp, "webhook-signature": sig}


def cases() -> dict[str, tuple[list[str], bytes, dict[str, str]]]:
    now = int(time.time())
    ts = str(now)
    good = signature(NEW, "msg_1", ts, BODY)
    old = signature(OLD, "msg_1", ts, BODY)
    bad_b64 = "v1,AAAAA"  # five characters: base64 cannot decode it
    zero = "0" + ts  # the library signs the timestamp it read: without the zero
    return {
        "genuine": ([NEW], BODY, headers(ts, good)),
        "wrong secret": ([OLD], BODY, headers(ts, good)),
        "rotation, old": ([OLD, NEW], BODY, headers(ts, old)),
        "rotation, new": ([OLD, NEW], BODY, headers(ts, good)),
        "unpadded secret": (
            [UNPADDED],
            BODY,
            headers(ts, signature(UNPADDED, "msg_1", ts, BODY)),
        ),
        "a key longer than a block": (
            [LONG],
            BODY,
            headers(ts, signature(LONG, "msg_1", ts, BODY)),
        ),
        "unprefixed secret": (
            [NEW.removeprefix("whsec_")],
            BODY,
            headers(ts, good),
        ),
        "tampered body": ([NEW], BODY + b" ", headers(ts, good)),
        "other id": ([NEW], BODY, headers(ts, good, "msg_2")),
        "several, genuine last": ([NEW], BODY, headers(ts, f"v1,AAAA {old} {good}")),
        "unknown version first": ([NEW], BODY, headers(ts, f"v2,AAAA {good}")),
        "genuine as v2": ([NEW], BODY, headers(ts, "v2," + good[3:])),
        "undecodable before genuine": ([NEW], BODY, headers(ts, f"{bad_b64} {good}")),
        "undecodable after genuine": ([NEW], BODY, headers(ts, f"{good} {bad_b64}")),
        "undecodable v2 before genuine": ([NEW], BODY, headers(ts, f"v2,AAAAA {good}")),
        "rotation, undecodable between": ([OLD, NEW], BODY, headers(ts, f"{old} {bad_b64} {good}")),
        "leading zero, signed as sent": (
            [NEW],
            BODY,
            headers(zero, signature(NEW, "msg_1", zero, BODY)),
        ),
        "leading zero, signed as read": ([NEW], BODY, headers(zero, good)),
        "4 min old": (
            [NEW],
            BODY,
            headers(str(now - 240), signature(NEW, "msg_1", str(now - 240), BODY)),
        ),
        "6 min old": (
            [NEW],
            BODY,
            headers(str(now - 360), signature(NEW, "msg_1", str(now - 360), BODY)),
        ),
        "4 min ahead": (
            [NEW],
            BODY,
            headers(str(now + 240), signature(NEW, "msg_1", str(now + 240), BODY)),
        ),
        "6 min ahead": (
            [NEW],
            BODY,
            headers(str(now + 360), signature(NEW, "msg_1", str(now + 360), BODY)),
        ),
        "beyond year 9999": (
            [NEW],
            BODY,
            headers("999999999999", signature(NEW, "msg_1", "999999999999", BODY)),
        ),
        "non-integer timestamp": ([NEW], BODY, headers(f"{now}.0", good)),
        "not UTF-8": ([NEW], b"\xff" + BODY, headers(ts, signature(NEW, "msg_1", ts, b"\xff"))),
        "empty body": ([NEW], b"", headers(ts, signature(NEW, "msg_1", ts, b""))),
    }


@pytest.mark.parametrize("name", list(cases()))
def test_the_verifier_decides_as_the_library(name: str) -> None:
    secrets, body, sent = cases()[name]
    assert verifier_accepts(secrets, body, sent) == library_accepts(secrets, body, sent)


def test_the_cases_include_acceptances_and_refusals() -> None:
    answers = {name: library_accepts(*case) for name, case in cases().items()}
    assert answers["genuine"] and answers["rotation, old"] and answers["unpadded secret"]
    assert answers["undecodable after genuine"] and answers["leading zero, signed as read"]
    assert not answers["undecodable before genuine"] and not answers["6 min old"]
    assert not answers["leading zero, signed as sent"]


def test_a_secret_the_library_refuses_is_refused() -> None:
    with pytest.raises(EmptyWebhookSecretError):  # the library's own error
        WebhookVerifier(["whsec_"])


@pytest.mark.parametrize("length", [0, 1, 32, 63, 64, 65, 200])
def test_the_hmac_is_the_hmac_modules(length: int) -> None:
    key = bytes(range(256))[:length]
    for message in (b"", b"x", BODY * 50):
        assert HmacSha256(key).digest(message) == hmac.digest(key, message, "sha256")
