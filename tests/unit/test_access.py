"""The two rules of domain.access, each decided there once: who sees a report (its
events, its notifications), and when a generating report is stale."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.access import can_see, is_stale, stale_cutoff
from domain.event_log import CancelledPayload, MissionEvent
from domain.notifications import Notification
from domain.report import MissionReport, MissionStatus
from tests.unit.builders import T0, generating_report

OWNER = "user-1"
REPORT = generating_report(user_id=OWNER)
OWNED = {
    "report": REPORT,
    "event": MissionEvent(REPORT.id, OWNER, 1, T0, CancelledPayload()),
    "notification": Notification("n-1", OWNER, REPORT.id, "plan_ready", "Ready", "Done", T0),
}


@pytest.mark.parametrize("item", OWNED.values(), ids=OWNED.keys())
def test_only_the_owner_sees_a_report_its_events_and_notifications(
    item: MissionReport | MissionEvent | Notification,
) -> None:
    assert can_see(item, OWNER)
    assert not can_see(item, "user-2")
    assert not can_see(item, None)  # no one signed in
    assert not can_see(item, "")
    assert not can_see(None, OWNER)  # missing and another's read the same


AFTER = timedelta(seconds=60)


@pytest.mark.parametrize(
    ("status", "quiet_for", "stale"),
    [
        (MissionStatus.GENERATING, AFTER + timedelta(microseconds=1), True),
        (MissionStatus.GENERATING, AFTER, False),  # the cutoff itself is not stale yet
        (MissionStatus.GENERATING, AFTER - timedelta(seconds=1), False),
        (MissionStatus.COMPLETED, AFTER * 10, False),  # a finished report has nothing to ask
        (MissionStatus.FAILED, AFTER * 10, False),
    ],
)
def test_a_generating_report_is_stale_after_a_quiet_period(
    status: MissionStatus, quiet_for: timedelta, stale: bool
) -> None:
    report = generating_report(status=status, updated_at=T0)
    now = T0 + quiet_for
    assert is_stale(report, now, AFTER) is stale
    # The sweeper's query selects by the same cutoff.
    assert (report.updated_at < stale_cutoff(now, AFTER)) is (quiet_for > AFTER)
