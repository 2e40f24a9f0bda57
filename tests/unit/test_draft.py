"""The live plan text in the domain: where a delta goes, what the log rebuilds, its size.

Delivery is at least once and in no guaranteed order, so the draft takes a delta only
where it continues the text exactly: a duplicate, an older delta or one after a gap
changes nothing, and whatever order the deltas came in, the draft is always a prefix
of the real text. The logged events replay into the same draft.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.draft import (
    MAX_DELTA_CHARS,
    MAX_DELTA_JSON_BYTES,
    appended,
    delta_pieces,
    json_cost,
    place_delta,
)
from domain.event_log import (
    MalformedEvent,
    MissionEvent,
    ProgressPayload,
    payload_from_dict,
    payload_to_dict,
    replay_draft,
)
from domain.failures import GENERATION_FAILED, report_error
from domain.jobs import JobUpdate, JobUpdateType
from domain.plan import MAX_PLAN_CHARS
from domain.report import MissionReport, MissionStatus, Progress
from domain.transitions import TransitionContext, apply_update
from infra.bus_wire import MAX_WIRE_BYTES, wire_envelope
from infra.publisher import bus_message, user_channel
from tests.support.workflow_steps import GENERATE_MISSION_PLAN, PARSE_SECTIONS
from tests.unit.fakes import (
    CATALOG_BUNDLES,
    PLAN_MARKDOWN,
    T0,
    completed_output,
    generating_report,
    job_update,
    mission_generation_definition,
)

NOW = T0 + timedelta(seconds=30)
TEXT = PLAN_MARKDOWN
# The generation step's range in mission_generation: 20% .. 90%.
GENERATION_START, GENERATION_END = 20.0, 90.0


def context() -> TransitionContext:
    return TransitionContext(
        definition=mission_generation_definition(),
        known_bundle_ids={str(b["id"]) for b in CATALOG_BUNDLES},
        now=NOW,
        notification_id="note-1",
    )


def draft_update(
    sequence: int, delta: str | None, draft_length: int, percentage: float = 50.0
) -> JobUpdate:
    return replace(
        job_update(JobUpdateType.PROGRESS, step_id=GENERATE_MISSION_PLAN, sequence=sequence),
        percentage=percentage,
        draft_delta=delta,
        draft_length=draft_length,
    )


def streamed(text: str, cuts: list[int], first_sequence: int = 10) -> list[JobUpdate]:
    """`text` as the service streams it: one update per piece, cut at `cuts`."""
    bounds = [0, *sorted({cut for cut in cuts if 0 < cut < len(text)}), len(text)]
    return [
        draft_update(first_sequence + index, text[start:end], end, 20 + index)
        for index, (start, end) in enumerate(itertools.pairwise(bounds))
    ]


def generating() -> MissionReport:
    """A report in its generation step (the step has started: job sequence 9)."""
    report = generating_report()
    started = job_update(JobUpdateType.STEP_STARTED, step_id=GENERATE_MISSION_PLAN, sequence=9)
    return apply_update(report, started, context()).report


def run(
    report: MissionReport, updates: list[JobUpdate]
) -> tuple[MissionReport, list[MissionEvent]]:
    events: list[MissionEvent] = []
    for update in updates:
        transition = apply_update(report, update, context())
        report = transition.report
        events.extend(transition.events)
    return report, events


def progress_of(event: MissionEvent) -> ProgressPayload:
    assert isinstance(event.payload, ProgressPayload), event
    return event.payload


# --- the rule: domain.draft ---------------------------------------------------------


def test_a_delta_that_continues_the_draft_is_appended() -> None:
    assert appended("# Plan", "\nText", 11) == "# Plan\nText"
    assert appended("", "# Plan", 6) == "# Plan"


@pytest.mark.parametrize(
    ("delta", "draft_length", "why"),
    [
        ("# Plan", 6, "a duplicate of the first delta"),
        ("lan", 6, "an older delta, ending where the draft ends"),
        ("Pl", 4, "an older delta, inside the draft"),
        ("more", 40, "a gap: the delta before it has not come"),
        ("", 6, "no text"),
    ],
)
def test_a_delta_that_does_not_continue_the_draft_changes_nothing(
    delta: str, draft_length: int, why: str
) -> None:
    assert appended("# Plan", delta, draft_length) is None, why


def test_the_draft_never_grows_past_a_plans_size() -> None:
    draft = "x" * (MAX_PLAN_CHARS - 1)
    assert appended(draft, "y", MAX_PLAN_CHARS) == draft + "y"
    assert appended(draft + "y", "z", MAX_PLAN_CHARS + 1) is None


@given(st.text(max_size=9000))
def test_pieces_join_into_the_text_and_each_is_within_both_limits(text: str) -> None:
    pieces = list(delta_pieces(text))
    assert "".join(pieces) == text
    assert all(piece for piece in pieces)
    for piece in pieces:
        assert len(piece) <= MAX_DELTA_CHARS
        assert len(json.dumps(piece)) - 2 <= MAX_DELTA_JSON_BYTES


@given(st.characters(codec="utf-8"))
def test_json_cost_is_what_json_dumps_writes(char: str) -> None:
    assert json_cost(char) == len(json.dumps(char)) - 2


def test_a_long_delta_is_cut_by_characters_and_by_its_escaped_size() -> None:
    assert [len(piece) for piece in delta_pieces("a" * 4500)] == [2000, 2000, 500]
    # Each non-ASCII character is six bytes as JSON (\uXXXX): 400 of them fill a piece.
    assert [len(piece) for piece in delta_pieces("é" * 1000)] == [400, 400, 200]
    assert [len(piece) for piece in delta_pieces("🚨" * 250)] == [200, 50]


def test_a_reader_places_each_delta_at_its_offset() -> None:
    assert place_delta("", "# Plan", 6) == "# Plan"
    assert place_delta("# Plan", "\nText", 11) == "# Plan\nText"
    assert place_delta("# Plan\nText", None, 11) == "# Plan\nText"  # progress, no text
    assert place_delta("# Plan\nText", "# New", 5) == "# New"  # a new attempt starts over
    assert place_delta("# Plan", "more", 40) == "# Plan"  # it would leave a hole


# --- the report: apply_update -----------------------------------------------------


def test_deltas_in_order_build_the_text_with_one_event_each() -> None:
    updates = streamed(TEXT, [40, 200, 600])
    report, events = run(generating(), updates)

    assert report.draft == TEXT
    assert [(progress_of(e).draft_delta, progress_of(e).draft_length) for e in events] == [
        (u.draft_delta, u.draft_length) for u in updates
    ]
    assert replay_draft(events) == TEXT


@given(
    cuts=st.lists(st.integers(1, len(TEXT) - 1), max_size=8),
    order=st.randoms(use_true_random=False),
    duplicates=st.lists(st.integers(0, 8), max_size=4),
)
def test_any_order_and_duplicates_leave_a_prefix_of_the_text(
    cuts: list[int], order: Any, duplicates: list[int]
) -> None:
    updates = streamed(TEXT, cuts)
    shuffled = updates + [updates[i % len(updates)] for i in duplicates]
    order.shuffle(shuffled)
    report, events = run(generating(), shuffled)

    assert TEXT.startswith(report.draft)
    # Whatever was appended is in the log, placed where the report has it.
    assert replay_draft(events) == report.draft
    in_order, _ = run(generating(), updates)
    assert in_order.draft == TEXT


def test_a_duplicate_changes_nothing_and_writes_no_event() -> None:
    first, second = streamed(TEXT, [100])
    report, _ = run(generating(), [first, second])
    transition = apply_update(report, second, context())
    assert transition.report == report and transition.events == ()
    assert not transition.changed


def test_a_gap_is_ignored_and_later_deltas_do_not_fill_it() -> None:
    first, missing, third, fourth = streamed(TEXT, [100, 200, 300])
    report, events = run(generating(), [first, third, fourth])

    assert report.draft == TEXT[:100]
    # The progress still moves: the events say so, with the draft's length unchanged.
    assert [progress_of(e).draft_delta for e in events] == [first.draft_delta, None, None]
    assert [progress_of(e).draft_length for e in events] == [100, 100, 100]
    assert report.progress.percentage == fourth.percentage
    # A late delta that continues the draft still goes in, though its sequence is old.
    report, late = run(report, [missing])
    assert report.draft == TEXT[:200]
    assert [progress_of(e).draft_delta for e in late] == [missing.draft_delta]
    assert replay_draft([*events, *late]) == report.draft


def test_the_percentage_stays_inside_the_step() -> None:
    report = generating()
    low, high = draft_update(10, "# P", 3, 5.0), draft_update(11, "lan", 6, 99.5)
    report, events = run(report, [low, high])
    assert [progress_of(e).progress.percentage for e in events] == [
        GENERATION_START,
        GENERATION_END,
    ]
    assert {progress_of(e).progress.step_id for e in events} == {GENERATE_MISSION_PLAN}


def test_a_long_delta_becomes_events_that_each_fit_the_bus() -> None:
    text = ('Say "go" 🚨\n' * 2000)[:20_000]
    report, events = run(generating(), [draft_update(10, text, len(text))])

    assert report.draft == text
    assert len(events) > 1 and replay_draft(events) == text
    first = events[0].sequence
    assert [e.sequence for e in events] == list(range(first, first + len(events)))
    for event in events:
        assert len(wire_envelope(user_channel(event.user_id), bus_message(event))) < MAX_WIRE_BYTES
        assert "oversized" not in bus_message(event)


def test_completion_replaces_the_draft_with_the_plan() -> None:
    report, _ = run(generating(), streamed(TEXT, [300]))
    done = apply_update(
        report,
        job_update(JobUpdateType.COMPLETED, sequence=30, output=completed_output()),
        context(),
    ).report
    assert done.status is MissionStatus.COMPLETED and done.draft == ""
    assert done.plan is not None and done.plan.content == TEXT


def test_the_step_end_after_the_deltas_keeps_the_draft() -> None:
    report, _ = run(generating(), streamed(TEXT, [300]))
    ended = job_update(
        JobUpdateType.PROGRESS, step_id=GENERATE_MISSION_PLAN, sequence=40, finished=True
    )
    parsing = job_update(JobUpdateType.STEP_STARTED, step_id=PARSE_SECTIONS, sequence=41)
    report, events = run(report, [ended, parsing])
    assert report.draft == TEXT
    assert [(progress_of(e).draft_delta, progress_of(e).draft_length) for e in events] == [
        (None, len(TEXT)),
        (None, len(TEXT)),
    ]


def test_a_new_attempt_starts_with_no_draft() -> None:
    report, _ = run(generating(), streamed(TEXT, [300]))
    failed = report.failed(report_error(GENERATION_FAILED), NOW)
    retried = failed.new_attempt(NOW, mission_generation_definition().queued_progress())
    assert failed.draft == "" and retried.draft == ""


# --- the codec: domain.event_log ----------------------------------------------------


PROGRESS = Progress(GENERATE_MISSION_PLAN, "Generating Mission Plan", 4, 6, 41.5)


def test_a_progress_payload_with_text_round_trips() -> None:
    payload = ProgressPayload(PROGRESS, 2, "Store water.\n", 140)
    assert payload_from_dict("progress", payload_to_dict(payload)) == payload
    assert payload_to_dict(payload)["draft_delta"] == "Store water.\n"


def test_rows_written_before_drafts_decode_and_keep_their_shape() -> None:
    old_row = {"progress": PROGRESS.to_dict(), "attempt": 1}
    decoded = payload_from_dict("progress", old_row)
    assert decoded == ProgressPayload(PROGRESS, 1)
    assert (decoded.draft_delta, decoded.draft_length) == (None, 0)
    assert payload_to_dict(decoded) == old_row  # no new keys for an event without text


@pytest.mark.parametrize(
    "draft",
    [
        {"draft_length": -1},
        {"draft_length": "9"},
        {"draft_length": True},
        {"draft_length": 3, "draft_delta": 7},
        {"draft_length": 2, "draft_delta": "longer than two"},
    ],
)
def test_a_malformed_draft_in_a_row_is_refused(draft: dict[str, Any]) -> None:
    with pytest.raises(MalformedEvent):
        payload_from_dict("progress", {"progress": PROGRESS.to_dict(), "attempt": 1, **draft})


def test_replay_starts_over_with_each_attempt() -> None:
    def event(sequence: int, attempt: int, delta: str | None, length: int) -> MissionEvent:
        payload = ProgressPayload(PROGRESS, attempt, delta, length)
        return MissionEvent("r", "u", sequence, datetime(2026, 1, 1, tzinfo=UTC), payload)

    events = [event(1, 1, "# Old", 5), event(2, 1, " plan", 10), event(4, 2, None, 0)]
    assert replay_draft(events[:2]) == "# Old plan"
    assert replay_draft(events) == ""
    assert replay_draft([*events, event(5, 2, "# New", 5)]) == "# New"
