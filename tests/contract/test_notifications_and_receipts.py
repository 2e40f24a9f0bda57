"""NotificationRepository's and WebhookReceipts' contracts on the fakes, SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from tests.contract.builders import NOW, notification
from tests.contract.conftest import Backend

# --- notifications -------------------------------------------------------------------


async def test_a_notification_reads_back_as_added(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.notifications.add(notification())
        assert await uow.notifications.get("note-1") == notification()
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.notifications.get("note-1") == notification()
        assert await uow.notifications.get("no-such-note") is None


async def test_dismissing_saves_the_time_it_was_dismissed(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.notifications.add(notification())
        await uow.commit()
    dismissed = notification().dismissed(NOW + timedelta(hours=1))

    async with backend.uow() as uow:
        await uow.notifications.save(dismissed)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.notifications.get("note-1") == dismissed


async def test_save_changes_only_when_it_was_dismissed(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.notifications.add(notification())
        await uow.commit()
    retitled = dataclasses.replace(notification(), title="Something else", body="Changed.")

    async with backend.uow() as uow:
        await uow.notifications.save(retitled)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.notifications.get("note-1") == notification()


async def test_saving_a_missing_notification_creates_nothing(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.notifications.save(notification("ghost").dismissed(NOW))
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.notifications.get("ghost") is None


async def test_a_notification_id_is_taken_once(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.notifications.add(notification())
        await uow.commit()

    async with backend.uow() as uow:
        with pytest.raises(backend.integrity_error):
            await uow.notifications.add(notification())


# --- webhook receipts ----------------------------------------------------------------


async def test_a_receipt_is_new_once_then_a_duplicate(backend: Backend) -> None:
    async with backend.uow() as uow:
        assert await uow.receipts.record("msg_1", "job-1", "workflow.started") is True
        assert await uow.receipts.record("msg_1", "job-1", "workflow.started") is False
        assert await uow.receipts.record("msg_2", "job-1", "workflow.completed") is True
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.receipts.record("msg_1", "job-1", "workflow.started") is False
        assert await uow.receipts.record("msg_2", "job-9", "other") is False  # the id decides


async def test_a_rolled_back_receipt_was_never_received(backend: Backend) -> None:
    async with backend.uow() as uow:
        assert await uow.receipts.record("msg_1", "job-1", "workflow.started") is True

    async with backend.uow() as uow:
        assert await uow.receipts.record("msg_1", "job-1", "workflow.started") is True


async def test_receipts_received_before_a_cutoff_are_counted_and_forgotten(
    backend: Backend,
) -> None:
    async with backend.uow() as uow:
        await uow.receipts.record("msg_1", "job-1", "workflow.started")
        await uow.receipts.record("msg_2", "job-1", "workflow.completed")
        await uow.commit()
    # Receipts are stamped with the wall clock as they are written.
    later, earlier = datetime.now(UTC) + timedelta(hours=1), datetime.now(UTC) - timedelta(hours=1)

    async with backend.uow() as uow:
        assert await uow.receipts.count_received_before(earlier) == 0
        assert await uow.receipts.count_received_before(later) == 2
        assert await uow.receipts.delete_received_before(earlier) == 0
        assert await uow.receipts.delete_received_before(later) == 2
        assert await uow.receipts.count_received_before(later) == 0
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.receipts.delete_received_before(later) == 0
        assert await uow.receipts.record("msg_1", "job-1", "workflow.started") is True


async def test_a_rolled_back_delete_keeps_the_receipts(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.receipts.record("msg_1", "job-1", "workflow.started")
        await uow.commit()
    later = datetime.now(UTC) + timedelta(hours=1)

    async with backend.uow() as uow:
        assert await uow.receipts.delete_received_before(later) == 1

    async with backend.uow() as uow:
        assert await uow.receipts.count_received_before(later) == 1
        assert await uow.receipts.record("msg_1", "job-1", "workflow.started") is False


async def test_receipts_recorded_together_are_new_once(backend: Backend) -> None:
    async with backend.uow() as uow:
        assert await uow.receipts.record("msg_1", "job-1", "workflow.started") is True
        batch = [
            ("msg_1", "job-1", "workflow.started"),
            ("msg_2", "job-1", "workflow.progress"),
            ("msg_2", "job-1", "workflow.progress"),
            ("msg_3", "job-2", "workflow.completed"),
        ]
        assert await uow.receipts.record_many(batch) == {"msg_2", "msg_3"}
        assert await uow.receipts.record_many([]) == set()
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.receipts.record("msg_3", "job-2", "workflow.completed") is False
