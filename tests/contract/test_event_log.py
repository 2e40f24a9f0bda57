"""EventLog's contract (domain/ports.py) on the fakes, SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from domain.event_log import CancelledPayload, FailedPayload
from domain.report import ReportError
from tests.contract.builders import OTHER_USER, USER, event
from tests.contract.conftest import Backend


async def test_events_read_back_in_sequence_order_after_a_given_sequence(
    backend: Backend,
) -> None:
    events = [event(3), event(1), event(2), event(1, report_id="report-2")]
    async with backend.uow() as uow:
        for each in events:
            await uow.events.append(each)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.events.list_after("report-1", 0) == [event(1), event(2), event(3)]
        assert await uow.events.list_after("report-1", 1) == [event(2), event(3)]
        assert await uow.events.list_after("report-1", 0, limit=2) == [event(1), event(2)]
        assert await uow.events.list_after("report-1", 3) == []
        assert await uow.events.list_after("report-2", 0) == [event(1, report_id="report-2")]
        assert await uow.events.list_after("no-such-report", 0) == []


async def test_a_taken_sequence_is_refused_and_the_first_event_stays(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.events.append(event(1))
        await uow.commit()

    async with backend.uow() as uow:
        with pytest.raises(backend.integrity_error):
            await uow.events.append(
                event(1, payload=FailedPayload(ReportError("late", "Too late.", True), 1))
            )

    async with backend.uow() as uow:
        assert await uow.events.list_after("report-1", 0) == [event(1)]


async def test_a_sequence_is_refused_twice_in_one_transaction(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.events.append(event(1))
        with pytest.raises(backend.integrity_error):
            await uow.events.append(event(1))


async def test_events_written_in_a_transaction_are_visible_inside_it(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.events.append(event(1))
        assert await uow.events.list_after("report-1", 0) == [event(1)]


async def test_a_cancellation_is_found_for_its_report_and_user_only(backend: Backend) -> None:
    cancelled = event(2, payload=CancelledPayload())
    async with backend.uow() as uow:
        await uow.events.append(event(1))
        await uow.events.append(cancelled)
        await uow.events.append(event(1, report_id="report-2"))
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.events.find_cancellation("report-1", USER) == cancelled
        assert await uow.events.find_cancellation("report-1", OTHER_USER) is None
        assert await uow.events.find_cancellation("report-2", USER) is None  # not cancelled


async def test_deleting_a_reports_events_leaves_the_others_and_frees_its_sequences(
    backend: Backend,
) -> None:
    async with backend.uow() as uow:
        await uow.events.append(event(1))
        await uow.events.append(event(2))
        await uow.events.append(event(1, report_id="report-2"))
        await uow.commit()

    restarted = event(1, payload=CancelledPayload())
    async with backend.uow() as uow:
        await uow.events.delete_for_report("report-1")
        assert await uow.events.list_after("report-1", 0) == []
        await uow.events.append(restarted)
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.events.list_after("report-1", 0) == [restarted]
        assert await uow.events.list_after("report-2", 0) == [event(1, report_id="report-2")]
