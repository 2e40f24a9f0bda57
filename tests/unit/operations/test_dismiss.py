"""`dismiss_notification`: once, by its owner."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import NotificationNotFound
from domain.notifications import Notification
from domain.operations import dismiss_notification
from tests.unit.fakes import T0, Fakes
from tests.unit.operations.steps import OTHER_USER, USER, complete, submit


def _notification(user_id: str = USER) -> Notification:
    return Notification(
        id="note-1",
        user_id=user_id,
        report_id="report-1",
        kind="PLAN_READY",
        title="Your plan is ready",
        body="Your mission plan for Miami, FL is ready to read.",
        created_at=T0,
    )


async def test_dismiss_marks_the_notification_dismissed(fakes: Fakes) -> None:
    fakes.store.notifications["note-1"] = _notification()
    fakes.clock.advance(minutes=2)

    dismissed = await dismiss_notification(fakes.deps, USER, "note-1")

    assert dismissed.dismissed_at == T0 + timedelta(minutes=2)
    assert fakes.store.notifications["note-1"] == dismissed


async def test_dismissing_twice_keeps_the_first_time(fakes: Fakes) -> None:
    fakes.store.notifications["note-1"] = _notification()
    first = await dismiss_notification(fakes.deps, USER, "note-1")
    fakes.clock.advance(minutes=5)

    second = await dismiss_notification(fakes.deps, USER, "note-1")

    assert second == first
    assert fakes.store.notifications["note-1"].dismissed_at == T0


async def test_only_the_owner_can_dismiss(fakes: Fakes) -> None:
    fakes.store.notifications["note-1"] = _notification(OTHER_USER)

    with pytest.raises(NotificationNotFound):
        await dismiss_notification(fakes.deps, USER, "note-1")
    with pytest.raises(NotificationNotFound):
        await dismiss_notification(fakes.deps, USER, "no-such-note")

    assert fakes.store.notifications["note-1"].dismissed_at is None


async def test_a_completed_plan_leaves_a_notification_to_dismiss(fakes: Fakes) -> None:
    report = await submit(fakes)
    await complete(fakes, report)
    [notification] = fakes.store.notifications.values()

    dismissed = await dismiss_notification(fakes.deps, USER, notification.id)

    assert dismissed.report_id == report.id
    assert dismissed.is_dismissed
