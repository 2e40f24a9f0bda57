"""Event streams for subscriptions: snapshot, then log-backed live events, without a gap.

Order matters: subscribe to the bus first, then read the state, then pass on
only events with a higher sequence. An event committed in between is in both
and is shown once; one the bus lost is found by the sequence gap (or a RESYNC,
or the idle poll) and read from the log. So is one too large for the bus (it
comes as an `OversizedEvent`), and a bus message that does not decode is taken
for a lost one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import datetime, timedelta

from domain.access import can_see
from domain.event_log import MalformedEvent, MissionEvent, ProgressPayload
from domain.report import MissionStatus
from graph.context import AppState, SessionExpired
from graph.per_tick import PerTick
from infra.auth import Viewer
from infra.bus import Resync, Subscription
from infra.publisher import OversizedEvent, read_bus_message

log = logging.getLogger(__name__)


class ReportNotFoundError(Exception):
    def __init__(self) -> None:
        super().__init__("No mission report with this id.")


async def report_events(
    state: AppState,
    viewer: Viewer,
    report_id: str,
    after_sequence: int | None,
    subscription: Subscription,
) -> AsyncGenerator[MissionEvent, None]:
    """The report's logged events, first the snapshot or those after `after_sequence`, then live.

    Every event yielded is a row of the log, so one sequence always means one event
    whichever way it reached the client. The snapshot is the log's latest event that
    set the report's state (a completion, not the notification written after it).
    The stream ends after the terminal event that is the report's latest state, and
    the notifications written with it. A cancelled report is gone but its log stays,
    so its owner can still read the end.
    """
    pending: list[MissionEvent] | None = None
    if after_sequence is None:
        pending = await state.queries.latest_state_and_after(report_id)
        latest = pending[0] if pending else None
    else:
        latest = await state.queries.latest_state_event(report_id)
    if not can_see(latest, viewer.user_id):
        raise ReportNotFoundError()
    last = latest.sequence - 1 if after_sequence is None else after_sequence
    if latest.type.is_terminal and last >= latest.sequence:
        # The client saw the end already; only what was written with it may remain.
        closing = await _closing_events(state, report_id, latest.sequence)
        if closing is not None:
            for note in closing:
                if note.sequence > last:
                    yield note
            return
    if pending is None:
        pending = await state.queries.events_after(report_id, last)
    elif pending:
        pending[0] = await _with_draft_so_far(state, pending[0])
    with state.watch.watching(report_id, subscription, last) as watched:
        while True:
            for event in pending:
                if event.sequence <= last:
                    continue
                yield event
                last = watched.last = event.sequence
                if event.type.is_terminal:
                    closing = await _closing_events(state, report_id, last)
                    if closing is not None:
                        for note in closing:
                            yield note
                        return
            watched.last = last
            pending = await _next_live(state, viewer, report_id, last, subscription)


async def _with_draft_so_far(state: AppState, snapshot: MissionEvent) -> MissionEvent:
    """The snapshot, its `draft_delta` the whole draft up to it: a subscriber who joins
    while the plan is written starts from the text so far, and the next deltas continue it.

    The report's draft only grows within an attempt, so its first `draft_length`
    characters are the draft as of the snapshot; when the report has moved on (finished,
    or a new attempt), the snapshot's text is rebuilt from the log instead.
    """
    payload = snapshot.payload
    if not isinstance(payload, ProgressPayload) or payload.draft_length == 0:
        return snapshot
    report = await state.queries.report(snapshot.report_id)
    if (
        report is not None
        and report.status is MissionStatus.GENERATING
        and report.attempt == payload.attempt
        and len(report.draft) >= payload.draft_length
    ):
        draft = report.draft[: payload.draft_length]
    else:
        draft = await state.queries.draft_through(snapshot.report_id, snapshot.sequence)
    whole = replace(payload, draft_delta=draft, draft_length=len(draft))
    return replace(snapshot, payload=whole)


async def _closing_events(
    state: AppState, report_id: str, terminal_sequence: int
) -> list[MissionEvent] | None:
    """What was written with a terminal event; None when a new attempt has begun since."""
    after = await state.queries.events_after(report_id, terminal_sequence)
    if any(event.type.sets_state for event in after):
        return None
    return after


async def _next_live(
    state: AppState, viewer: Viewer, report_id: str, last: int, subscription: Subscription
) -> list[MissionEvent]:
    """The report's events after `last` that one wait on the bus brings, in order.

    The wait has no timeout of its own (but the token's): the process's ReportWatch
    wakes it with a RESYNC when the log is ahead of it.
    """
    item = await subscription.get(timeout=_wait_seconds(viewer, idle=None))
    _check_token(viewer)
    if item is None or isinstance(item, Resync):
        return await state.queries.events_after(report_id, last)
    message = _decoded(item)
    if message is None:
        return await state.queries.events_after(report_id, last)
    if message.report_id != report_id or message.sequence <= last:
        return []
    if isinstance(message, MissionEvent) and message.sequence == last + 1:
        return [message]
    # A gap (the bus lost something) or an event too large for the bus: the log has it.
    return await state.queries.events_after(report_id, last)


# Every subscriber of a channel gets the same message at once: decoded by the first.
_decoded_messages: PerTick[str, MissionEvent | OversizedEvent] = PerTick()


def _decoded(item: str) -> MissionEvent | OversizedEvent | None:
    """The bus message, or None when it does not decode: then it counts as a lost one."""
    decoded = _decoded_messages.get(item)
    if decoded is not None:
        return decoded
    try:
        decoded = read_bus_message(item)
    except MalformedEvent as exc:
        log.warning("malformed bus message (%s): reading the event log instead", exc)
        return None
    _decoded_messages.put(item, decoded)
    return decoded


async def user_events(
    state: AppState, viewer: Viewer, subscription: Subscription
) -> AsyncGenerator[MissionEvent, None]:
    """Every event of the viewer's reports, live; after a RESYNC, what the log has since."""
    last_seen: dict[str, int] = {}
    resync_from = state.deps.clock.now()
    while True:
        item = await subscription.get(timeout=_wait_seconds(viewer, idle=300.0))
        _check_token(viewer)
        if item is None:
            continue
        fresh = await _user_events_in(state, viewer, item, last_seen, resync_from)
        for event in fresh:
            if event.sequence <= last_seen.get(event.report_id, 0):
                continue
            _remember_sequence(last_seen, event)
            resync_from = max(resync_from, event.occurred_at)
            yield event


async def _user_events_in(
    state: AppState,
    viewer: Viewer,
    item: str | Resync,
    last_seen: dict[str, int],
    resync_from: datetime,
) -> list[MissionEvent]:
    """The events one bus message stands for: itself, or what the log has."""
    message = None if isinstance(item, Resync) else _decoded(item)
    if message is None:
        since = resync_from - timedelta(seconds=5)
        return await state.queries.user_events_since(viewer.user_id, since)
    seen = last_seen.get(message.report_id)
    if isinstance(message, OversizedEvent):
        after = message.sequence - 1 if seen is None else seen
        return await state.queries.events_after(message.report_id, after)
    if seen is not None and message.sequence > seen + 1:
        # A gap in a report we follow: the bus lost or reordered something.
        return await state.queries.events_after(message.report_id, seen)
    return [message]


# Reports followed by one long-lived subscription; the least recently active is forgotten
# first (a finished report rarely has another event).
MAX_FOLLOWED_REPORTS = 1000


def _remember_sequence(last_seen: dict[str, int], event: MissionEvent) -> None:
    last_seen.pop(event.report_id, None)
    if len(last_seen) >= MAX_FOLLOWED_REPORTS:
        del last_seen[next(iter(last_seen))]
    last_seen[event.report_id] = event.sequence


def _wait_seconds(viewer: Viewer, idle: float | None) -> float | None:
    if viewer.expires_at is None:
        return idle
    until_expiry = viewer.expires_at - time.time()
    return max(0.05, until_expiry if idle is None else min(idle, until_expiry))


def _check_token(viewer: Viewer) -> None:
    if viewer.is_expired():
        raise SessionExpired()
