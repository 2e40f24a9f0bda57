"""The one JSON shape of an event: round trips, the shapes already stored, malformed input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.event_log import (
    CancelledPayload,
    CompletedPayload,
    EventPayload,
    EventType,
    FailedPayload,
    MalformedEvent,
    MissionEvent,
    NotificationPayload,
    ProgressPayload,
    payload_from_dict,
    payload_to_dict,
)
from domain.report import Progress, ReportError
from graph.event_types import (
    MissionCancelledEvent,
    MissionCompletedEvent,
    MissionFailedEvent,
    MissionProgressEvent,
    NotificationEvent,
    event_from_domain,
)

text = st.text(max_size=40)
counts = st.integers(min_value=0, max_value=2**31)
progress = st.builds(
    Progress,
    step_id=text,
    step_name=text,
    step_index=counts,
    step_count=counts,
    percentage=st.floats(min_value=0, max_value=100, allow_nan=False),
)
error = st.builds(ReportError, code=text, message=text, retryable=st.booleans())
attempts = st.integers(min_value=1, max_value=10_000)
payloads: st.SearchStrategy[EventPayload] = st.one_of(
    st.builds(ProgressPayload, progress=progress, attempt=attempts),
    st.builds(CompletedPayload, attempt=attempts),
    st.builds(FailedPayload, error=error, attempt=attempts),
    st.just(CancelledPayload()),
    st.builds(NotificationPayload, notification_id=text, kind=text, title=text, body=text),
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))]),
)
events = st.builds(
    MissionEvent,
    report_id=text,
    user_id=text,
    sequence=counts,
    occurred_at=moments,
    payload=payloads,
)


def through_json(value: dict[str, Any]) -> Any:
    return json.loads(json.dumps(value))


# --- round trips ----------------------------------------------------------------------


@given(payloads)
def test_every_payload_survives_json(payload: EventPayload) -> None:
    decoded = payload_from_dict(payload.event_type.value, through_json(payload_to_dict(payload)))
    assert decoded == payload


@given(events)
def test_every_event_survives_json(event: MissionEvent) -> None:
    decoded = MissionEvent.from_dict(through_json(event.to_dict()))
    assert decoded == event
    assert decoded.type is event.payload.event_type


def test_each_kind_has_its_own_type_and_graphql_member() -> None:
    members: dict[EventPayload, type] = {
        ProgressPayload(Progress("queued", "Queued", 0, 6, 0.0), 1): MissionProgressEvent,
        CompletedPayload(1): MissionCompletedEvent,
        FailedPayload(ReportError("LLM_TIMEOUT", "Timed out.", True), 2): MissionFailedEvent,
        CancelledPayload(): MissionCancelledEvent,
        NotificationPayload("n-1", "PLAN_READY", "Ready", "Read it."): NotificationEvent,
    }
    assert {p.event_type for p in members} == set(EventType)
    for payload, member in members.items():
        event = MissionEvent("r-1", "u-1", 3, datetime(2026, 1, 1, tzinfo=UTC), payload)
        assert isinstance(event_from_domain(event), member)


# --- the shapes already stored ----------------------------------------------------------

# Written by every release so far (domain/operations.py and domain/transitions.py), and
# read back from the event log's payload column; the first releases queued at step 0 of 0.
STORED_SHAPES: list[tuple[str, dict[str, Any], EventPayload]] = [
    (
        "progress",
        {
            "progress": {
                "step_id": "queued",
                "step_name": "Queued",
                "step_index": 0,
                "step_count": 0,
                "percentage": 0.0,
            },
            "attempt": 1,
        },
        ProgressPayload(Progress("queued", "Queued", 0, 0, 0.0), 1),
    ),
    (
        "progress",
        {
            "progress": {
                "step_id": "generate_mission_plan",
                "step_name": "Generating Mission Plan",
                "step_index": 4,
                "step_count": 6,
                "percentage": 20,  # an integral float may come back as an int
            },
            "attempt": 2,
        },
        ProgressPayload(Progress("generate_mission_plan", "Generating Mission Plan", 4, 6, 20), 2),
    ),
    ("completed", {"attempt": 1}, CompletedPayload(1)),
    (
        "failed",
        {
            "error": {"code": "unparseable_plan", "message": "No plan.", "retryable": True},
            "attempt": 3,
        },
        FailedPayload(ReportError("unparseable_plan", "No plan.", True), 3),
    ),
    ("cancelled", {}, CancelledPayload()),
    (
        "notification",
        {
            "notification_id": "note-1",
            "kind": "PLAN_READY",
            "title": "Your plan is ready",
            "body": "Your mission plan for Miami, FL is ready to read.",
        },
        NotificationPayload(
            "note-1",
            "PLAN_READY",
            "Your plan is ready",
            "Your mission plan for Miami, FL is ready to read.",
        ),
    ),
]


@pytest.mark.parametrize(("event_type", "stored", "expected"), STORED_SHAPES)
def test_the_stored_shapes_decode_and_encode_unchanged(
    event_type: str, stored: dict[str, Any], expected: EventPayload
) -> None:
    decoded = payload_from_dict(event_type, stored)
    assert decoded == expected
    assert payload_to_dict(decoded) == stored


def test_an_old_queued_event_of_step_zero_of_zero_is_shown() -> None:
    _, stored, _ = STORED_SHAPES[0]
    data = {
        "report_id": "r-1",
        "user_id": "u-1",
        "sequence": 1,
        "type": "progress",
        "occurred_at": "2025-11-02T10:00:00+00:00",
        "payload": stored,
    }
    shown = event_from_domain(MissionEvent.from_dict(data))
    assert isinstance(shown, MissionProgressEvent)
    assert (shown.progress.step_index, shown.progress.step_count) == (0, 0)
    assert shown.attempt == 1


def test_keys_a_newer_writer_adds_are_ignored() -> None:
    stored = {"attempt": 1, "draft_delta": "…more text", "future": {"x": 1}}
    assert payload_from_dict("completed", stored) == CompletedPayload(1)


# --- malformed input --------------------------------------------------------------------

GOOD_EVENT = MissionEvent(
    "r-1", "u-1", 2, datetime(2026, 1, 1, tzinfo=UTC), CompletedPayload(1)
).to_dict()
QUEUED = STORED_SHAPES[0][1]

MALFORMED_PAYLOADS: dict[str, tuple[str, object]] = {
    "unknown type": ("exploded", {"attempt": 1}),
    "payload not an object": ("completed", [1]),
    "payload null": ("completed", None),
    "attempt missing": ("completed", {}),
    "attempt a string": ("completed", {"attempt": "1"}),
    "attempt a boolean": ("completed", {"attempt": True}),
    "attempt a float": ("completed", {"attempt": 1.5}),
    "progress missing": ("progress", {"attempt": 1}),
    "progress a string": ("progress", {"progress": "half", "attempt": 1}),
    "progress without a step count": (
        "progress",
        {
            "progress": {k: v for k, v in QUEUED["progress"].items() if k != "step_count"},
            "attempt": 1,
        },
    ),
    "percentage not a number": (
        "progress",
        {"progress": {**QUEUED["progress"], "percentage": "most"}, "attempt": 1},
    ),
    "step index infinite": (
        "progress",
        {"progress": {**QUEUED["progress"], "step_index": float("inf")}, "attempt": 1},
    ),
    "percentage not a number (NaN)": (
        "progress",
        {"progress": {**QUEUED["progress"], "percentage": float("nan")}, "attempt": 1},
    ),
    "error missing": ("failed", {"attempt": 1}),
    "error without a code": (
        "failed",
        {"error": {"message": "x", "retryable": True}, "attempt": 1},
    ),
    "notification without a body": (
        "notification",
        {"notification_id": "n", "kind": "PLAN_READY", "title": "t"},
    ),
    "notification title a number": (
        "notification",
        {"notification_id": "n", "kind": "PLAN_READY", "title": 7, "body": "b"},
    ),
}


@pytest.mark.parametrize(
    ("event_type", "data"), MALFORMED_PAYLOADS.values(), ids=MALFORMED_PAYLOADS
)
def test_a_malformed_payload_raises_malformed_event(event_type: str, data: object) -> None:
    with pytest.raises(MalformedEvent):
        payload_from_dict(event_type, data)


MALFORMED_EVENTS: dict[str, object] = {
    "not an object": ["r-1", 2],
    "no report_id": {k: v for k, v in GOOD_EVENT.items() if k != "report_id"},
    "sequence a string": {**GOOD_EVENT, "sequence": "2"},
    "occurred_at not a time": {**GOOD_EVENT, "occurred_at": "yesterday"},
    "occurred_at a number": {**GOOD_EVENT, "occurred_at": 1700000000},
    "type missing": {k: v for k, v in GOOD_EVENT.items() if k != "type"},
    "type and payload disagree": {**GOOD_EVENT, "type": "failed"},
}


@pytest.mark.parametrize("data", MALFORMED_EVENTS.values(), ids=MALFORMED_EVENTS)
def test_a_malformed_event_raises_malformed_event(data: object) -> None:
    with pytest.raises(MalformedEvent):
        MissionEvent.from_dict(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
event_keys = st.sampled_from([*sorted(GOOD_EVENT), "progress", "attempt", "error", "title"])


@given(st.dictionaries(event_keys, json_values), st.sampled_from([t.value for t in EventType]))
def test_any_json_decodes_or_raises_malformed_event(data: dict[str, Any], kind: str) -> None:
    for decode in (lambda: MissionEvent.from_dict({**GOOD_EVENT, **data}),
                   lambda: payload_from_dict(kind, data)):  # fmt: skip
        try:
            decode()
        except MalformedEvent:
            pass


any_json = json_values | st.floats()  # Python's json reads NaN and Infinity too


@given(st.sampled_from(STORED_SHAPES), st.data())
def test_a_stored_shape_with_any_one_value_replaced_decodes_or_raises_malformed_event(
    shape: tuple[str, dict[str, Any], EventPayload], data: st.DataObject
) -> None:
    event_type, stored, _ = shape
    changed = json.loads(json.dumps(stored))
    paths = [(changed, k) for k in changed] + [
        (v, k) for v in changed.values() if isinstance(v, dict) for k in v
    ]
    if not paths:
        return
    target, key = data.draw(st.sampled_from(paths))
    target[key] = data.draw(any_json)
    try:
        payload_from_dict(event_type, changed)
    except MalformedEvent:
        pass
