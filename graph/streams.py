"""Event streams for subscriptions: snapshot, then log-backed live events, without a gap.

Order matters: subscribe to the bus first, then read the state, then pass on
only events with a higher sequence. An event committed in between is in both
and is shown once; one the bus lost is found by the sequence gap (or a RESYNC,
or the idle poll) and read from the log.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator
from datetime import timedelta

from domain.events import MissionEvent
from domain.report import MissionReport
from graph.context import AppState, SessionExpired
from infra.auth import Viewer
from infra.bus import Resync, Subscription


class ReportNotFoundError(Exception):
    def __init__(self) -> None:
        super().__init__("No mission report with this id.")


async def report_events(
    state: AppState,
    viewer: Viewer,
    report_id: str,
    after_sequence: int | None,
    subscription: Subscription,
) -> AsyncIterator[MissionEvent | MissionReport]:
    """Yields the report's snapshot (a MissionReport) or log events, ending after a terminal one."""
    report = await state.queries.report(report_id)
    if report is None or report.user_id != viewer.user_id:
        async for event in _replay_deleted(state, viewer, report_id, after_sequence):
            yield event
        return
    if after_sequence is None:
        yield report
        last = report.last_sequence
        if report.status.is_terminal:
            return
    else:
        last = after_sequence
        async for event in _from_log(state, report_id, last):
            yield event
            last = event.sequence
            if event.type.is_terminal:
                return
        if report.status.is_terminal and last >= report.last_sequence:
            return
    async for event in _live(state, viewer, report_id, last, subscription):
        yield event


async def _live(
    state: AppState, viewer: Viewer, report_id: str, last: int, subscription: Subscription
) -> AsyncIterator[MissionEvent]:
    while True:
        # Jittered, so thousands of idle subscriptions do not read the log in step.
        poll = state.settings.subscription_poll_seconds * random.uniform(0.8, 1.2)
        item = await subscription.get(timeout=_wait_seconds(viewer, poll))
        _check_token(viewer)
        if item is None or isinstance(item, Resync):
            fresh = [e async for e in _from_log(state, report_id, last)]
        else:
            event = MissionEvent.from_dict(json.loads(item))
            if event.report_id != report_id or event.sequence <= last:
                continue
            if event.sequence == last + 1:
                fresh = [event]
            else:  # a gap: the bus lost something; the log has it
                fresh = [e async for e in _from_log(state, report_id, last)]
        for event in fresh:
            yield event
            last = event.sequence
            if event.type.is_terminal:
                return


async def _from_log(state: AppState, report_id: str, after: int) -> AsyncIterator[MissionEvent]:
    for event in await state.queries.events_after(report_id, after):
        yield event


async def _replay_deleted(
    state: AppState, viewer: Viewer, report_id: str, after_sequence: int | None
) -> AsyncIterator[MissionEvent]:
    """A cancelled report is gone, but its log stays: its owner can still read the end."""
    if await state.queries.event_owner(report_id) != viewer.user_id:
        raise ReportNotFoundError()
    events = await state.queries.events_after(report_id, after_sequence or 0)
    if after_sequence is None:
        events = events[-1:]
    for event in events:
        yield event


async def user_events(
    state: AppState, viewer: Viewer, subscription: Subscription
) -> AsyncIterator[MissionEvent]:
    """Every event of the viewer's reports, live; after a RESYNC, what the log has since."""
    last_seen: dict[str, int] = {}
    resync_from = state.deps.clock.now()
    while True:
        item = await subscription.get(timeout=_wait_seconds(viewer, idle=300.0))
        _check_token(viewer)
        if item is None:
            continue
        if isinstance(item, Resync):
            since = resync_from - timedelta(seconds=5)
            fresh = await state.queries.user_events_since(viewer.user_id, since)
        else:
            event = MissionEvent.from_dict(json.loads(item))
            seen = last_seen.get(event.report_id)
            if seen is not None and event.sequence > seen + 1:
                # A gap in a report we follow: the bus lost or reordered something.
                fresh = await state.queries.events_after(event.report_id, seen)
            else:
                fresh = [event]
        for event in fresh:
            if event.sequence <= last_seen.get(event.report_id, 0):
                continue
            _remember_sequence(last_seen, event)
            resync_from = max(resync_from, event.occurred_at)
            yield event


# Reports followed by one long-lived subscription; the least recently active is forgotten
# first (a finished report rarely has another event).
MAX_FOLLOWED_REPORTS = 1000


def _remember_sequence(last_seen: dict[str, int], event: MissionEvent) -> None:
    last_seen.pop(event.report_id, None)
    if len(last_seen) >= MAX_FOLLOWED_REPORTS:
        del last_seen[next(iter(last_seen))]
    last_seen[event.report_id] = event.sequence


def _wait_seconds(viewer: Viewer, idle: float) -> float:
    if viewer.expires_at is None:
        return idle
    return max(0.05, min(idle, viewer.expires_at - time.time()))


def _check_token(viewer: Viewer) -> None:
    if viewer.is_expired():
        raise SessionExpired()
