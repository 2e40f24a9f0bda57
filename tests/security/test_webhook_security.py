"""Issue 3, point 4: the webhook route trusts only signed, fresh, well-formed requests.

Every request here carries a body that *would* move the report (a step starting,
the plan failing) if it got through, and every test compares the report's stored
state, event log and notifications before and after.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from infra.webhook_signing import InvalidSignature, WebhookVerifier, sign
from infra.wiring import WEBHOOK_PATH
from tests.integration.harness import WEBHOOK_SECRET, ApiHarness, running_api, settings_for
from tests.security.helpers import (
    ReportState,
    completed_event,
    failed_event,
    new_user,
    report_state,
    submit,
    webhook_event,
)
from tests.support.waiting import wait_until
from tests.support.workflow_steps import GENERATE_MISSION_PLAN, STEP_IDS

OTHER_SECRET = "whsec_" + base64.b64encode(b"a-secret-the-server-never-had-32b").decode()


def raw_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """A Standard Webhooks v1 signature over exactly these bytes and this header text."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


async def post(api: ApiHarness, body: bytes, headers: dict[str, str]) -> int:
    response = await api.client.post(WEBHOOK_PATH, content=body, headers=headers)
    return response.status_code


class Target:
    """A generating report and a webhook body that would change it."""

    def __init__(self, api: ApiHarness, user: str, report: dict[str, Any]) -> None:
        self.api, self.user, self.report = api, user, report
        self.body = json.dumps(
            webhook_event(report, "workflow.step_started", 50, step_id=GENERATE_MISSION_PLAN)
        ).encode()

    def signed(self, msg_id: str | None = None, **overrides: str) -> dict[str, str]:
        msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
        headers = sign(WEBHOOK_SECRET, msg_id, int(time.time()), self.body)
        headers.update(overrides)
        return headers

    async def state(self) -> ReportState:
        return await report_state(self.api, self.report, self.user)


@pytest.fixture
async def target(api: ApiHarness) -> Target:
    user = new_user()
    report = await submit(api, user)

    # The job's own webhook (its first step started; there it stalls) arrives in the
    # background: waited for, so that it is not taken for a change a refused request made.
    async def stalled() -> bool:
        stored = await api.state.queries.report(report["id"])
        return stored is not None and stored.progress.step_id == STEP_IDS[0]

    await wait_until(stalled)
    return Target(api, user, report)


async def assert_all_refused(
    target: Target, requests: list[tuple[str, bytes, dict[str, str]]], status: int = 401
) -> None:
    before = await target.state()
    answers = {name: await post(target.api, body, headers) for name, body, headers in requests}
    assert answers == {name: status for name, _, _ in requests}
    assert await target.state() == before


async def test_missing_headers_are_401(target: Target) -> None:
    full = target.signed()
    requests = [
        (
            f"without {', '.join(missing)}",
            target.body,
            {k: v for k, v in full.items() if k not in missing},
        )
        for missing in (
            ("webhook-id",),
            ("webhook-timestamp",),
            ("webhook-signature",),
            ("webhook-id", "webhook-timestamp", "webhook-signature"),
        )
    ]
    requests.append(("empty signature", target.body, {**full, "webhook-signature": ""}))
    await assert_all_refused(target, requests)


async def test_a_wrong_secret_is_401(target: Target) -> None:
    wrong = sign(OTHER_SECRET, "msg_wrong_secret", int(time.time()), target.body)
    await assert_all_refused(target, [("wrong secret", target.body, wrong)])


async def test_malformed_signatures_are_401_never_500(target: Target) -> None:
    genuine = target.signed()["webhook-signature"]
    cases = {
        "version only": "v1",
        "empty entries": "v1,,",
        "not base64": "v1,!!!notbase64",
        "no version": genuine.split(",", 1)[1],
        "unknown version": "v9," + genuine.split(",", 1)[1],
        "a thousand entries, the genuine one last": " ".join(["v1,AAAA"] * 999 + [genuine]),
        "a huge header": "v1," + "A" * 200_000,
        "double space": genuine + "  " + genuine,
    }
    requests = [
        (n, target.body, target.signed(**{"webhook-signature": s})) for n, s in cases.items()
    ]
    # Malformed ids would also reach the verifier library unchecked.
    for name, webhook_id in {"id with spaces": "msg one", "huge id": "m" * 5000}.items():
        headers = sign(WEBHOOK_SECRET, webhook_id, int(time.time()), target.body)
        requests.append((name, target.body, headers))
    await assert_all_refused(target, requests)


async def test_a_tampered_body_is_401_and_leaves_no_receipt(target: Target) -> None:
    headers = target.signed("msg_tamper_1")
    tampered = target.body.replace(b'"sequence": 50', b'"sequence": 51')
    assert tampered != target.body
    await assert_all_refused(
        target, [("tampered", tampered, headers), ("trailing byte", target.body + b" ", headers)]
    )
    # The refused attempts stored no receipt: the genuine delivery of that id still applies.
    response = await target.api.client.post(WEBHOOK_PATH, content=target.body, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "applied"


async def test_timestamps_beyond_five_minutes_are_401(target: Target) -> None:
    now = int(time.time())
    requests = [
        (name, target.body, sign(WEBHOOK_SECRET, f"msg_{name}", ts, target.body))
        for name, ts in {"6 min old": now - 360, "6 min ahead": now + 360, "epoch": 1}.items()
    ]
    await assert_all_refused(target, requests)
    # Inside the tolerance the same request is fine: the refusals above were about time.
    within = sign(WEBHOOK_SECRET, "msg_four_minutes_old", now - 240, target.body)
    assert await post(target.api, target.body, within) == 200


async def test_non_integer_timestamps_are_401(target: Target) -> None:
    now = int(time.time())
    requests = []
    # Each header is signed both as sent and as the `standardwebhooks` library re-reads
    # it (float, then floored): either way a lenient verifier would accept it.
    for text in (f"{now}.5", "1.5", f"{now / 1e9:.9f}e9", "1e9", "abc", f"+{now}", f"-{now}"):
        for signed_as in (text, str(now)):
            msg_id = f"msg_{uuid.uuid4().hex}"
            headers = {
                "webhook-id": msg_id,
                "webhook-timestamp": text,
                "webhook-signature": raw_signature(WEBHOOK_SECRET, msg_id, signed_as, target.body),
                "content-type": "application/json",
            }
            requests.append((f"{text} signed as {signed_as}", target.body, headers))
    await assert_all_refused(target, requests)


async def test_a_non_utf8_body_is_401(target: Target) -> None:
    body = target.body.replace(b'"workflow.step_started"', b'"workflow.step_started\xff"')
    msg_id, now = "msg_latin1", str(int(time.time()))
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": now,
        "webhook-signature": raw_signature(WEBHOOK_SECRET, msg_id, now, body),
    }
    await assert_all_refused(target, [("non-UTF-8", body, headers)])


async def test_signed_but_not_json_or_off_schema_is_400_and_changes_nothing(
    target: Target,
) -> None:
    event = json.loads(target.body)
    bodies: dict[str, bytes] = {
        "not json": b"not json",
        "empty": b"",
        "an array": b"[1, 2]",
        "a string": b'"workflow.completed"',
        "nested a million deep": b"[" * 1_000_000,
    }
    broken: dict[str, dict[str, Any]] = {
        "no job_id": {k: v for k, v in event.items() if k != "job_id"},
        "sequence a string": {**event, "sequence": "50"},
        "sequence negative": {**event, "sequence": -1},
        "sequence a bool": {**event, "sequence": True},
        "sequence beyond 32 bits": {**event, "sequence": 2**70},
        "attempt beyond 32 bits": {**event, "metadata": {**event["metadata"], "attempt": 2**70}},
        "data not an object": {**event, "data": [1]},
        "metadata not an object": {**event, "metadata": "x"},
        "occurred_at beyond year 9999 in UTC": {
            **event,
            "occurred_at": "9999-12-31T23:59:59-14:00",
        },
        "job_id longer than its column": {**event, "job_id": "j" * 65},
    }
    # A completed job whose result is unreadable is not refused: it fails the report
    # (tests/integration/test_poison_results.py), or the report would never finish.
    bodies.update({name: json.dumps(value).encode() for name, value in broken.items()})
    requests = [
        (name, body, sign(WEBHOOK_SECRET, f"msg_{uuid.uuid4().hex}", int(time.time()), body))
        for name, body in bodies.items()
    ]
    await assert_all_refused(target, requests, status=400)


async def test_unknown_event_types_are_acknowledged_and_ignored(target: Target) -> None:
    before = await target.state()
    for kind in ("workflow.paused", "billing.invoice_paid"):
        body = json.dumps({**json.loads(target.body), "type": kind}).encode()
        headers = sign(WEBHOOK_SECRET, f"msg_{uuid.uuid4().hex}", int(time.time()), body)
        response = await target.api.client.post(WEBHOOK_PATH, content=body, headers=headers)
        assert response.status_code == 202, (kind, response.text)
        assert response.json()["status"] == "ignored"
    assert await target.state() == before


# --- secret rotation and body size: settings of their own ---------------------------

OLD_SECRET = "whsec_" + base64.b64encode(b"rotation-old-secret-0123456789ab").decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"rotation-new-secret-0123456789ab").decode()
RETIRED_SECRET = "whsec_" + base64.b64encode(b"rotation-retired-secret-01234567").decode()


@pytest.fixture
async def rotating_api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    settings = settings_for(
        database_url,
        tmp_path,
        OFFLINE_STEP_DELAY_MS=600_000,
        LLM_WEBHOOK_SECRET=f" {OLD_SECRET} , {NEW_SECRET} ",
        WEBHOOK_MAX_BODY_BYTES=4096,
    )
    async with running_api(settings) as harness:
        yield harness


async def test_every_configured_secret_verifies_and_a_retired_one_does_not(
    rotating_api: ApiHarness,
) -> None:
    api, user = rotating_api, new_user()
    report = await submit(api, user)
    step = webhook_event(report, "workflow.step_started", 50, step_id=GENERATE_MISSION_PLAN)
    before = await report_state(api, report, user)
    assert (await api.webhook(step, secret=RETIRED_SECRET)).status_code == 401
    assert await report_state(api, report, user) == before

    assert (await api.webhook(step, secret=OLD_SECRET)).json()["status"] == "applied"
    done = completed_event(report)
    assert (await api.webhook(done, secret=NEW_SECRET)).json()["status"] == "applied"
    assert (await report_state(api, report, user)).status == "COMPLETED"


def test_the_verifier_keeps_only_the_secrets_it_is_given() -> None:
    body, now = b'{"type": "workflow.started"}', int(time.time())
    assert (
        WebhookVerifier([OLD_SECRET, NEW_SECRET]).verify(body, sign(OLD_SECRET, "msg_a", now, body))
        == "msg_a"
    )
    with pytest.raises(InvalidSignature):
        WebhookVerifier([NEW_SECRET]).verify(body, sign(OLD_SECRET, "msg_a", now, body))


def test_the_verifier_refuses_digits_of_other_scripts() -> None:
    """`\\d` and float() accept Arabic-Indic digits; the signature is made over ASCII."""
    body, now = b"{}", int(time.time())
    headers = sign(NEW_SECRET, "msg_digits", now, body)
    headers["webhook-timestamp"] = str(now).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    with pytest.raises(InvalidSignature):
        WebhookVerifier([NEW_SECRET]).verify(body, headers)


async def chunks(data: bytes, size: int = 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_a_body_over_the_limit_is_413_with_or_without_content_length(
    rotating_api: ApiHarness,
) -> None:
    api, user = rotating_api, new_user()
    report = await submit(api, user)
    padded = failed_event(report)
    padded["metadata"]["padding"] = "x" * 5000  # validly signed, and over the 4 KiB limit
    body = json.dumps(padded).encode()
    headers = sign(NEW_SECRET, "msg_big", int(time.time()), body)
    before = await report_state(api, report, user)

    declared = await api.client.post(WEBHOOK_PATH, content=body, headers=headers)
    assert declared.status_code == 413
    chunked = await api.client.post(WEBHOOK_PATH, content=chunks(body), headers=headers)
    assert "content-length" not in chunked.request.headers
    assert chunked.request.headers["transfer-encoding"] == "chunked"
    assert chunked.status_code == 413
    assert await report_state(api, report, user) == before

    small = json.dumps(failed_event(report)).encode()
    response = await api.client.post(
        WEBHOOK_PATH,
        content=chunks(small, 64),
        headers=sign(NEW_SECRET, "msg_small", int(time.time()), small),
    )
    assert response.status_code == 200  # under the limit, chunked bodies are read whole
    assert (await report_state(api, report, user)).status == "FAILED"
