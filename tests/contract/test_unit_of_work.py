"""UnitOfWork's contract: one transaction; leaving it without commit stores nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone

import pytest

from domain.ports import UnitOfWork
from tests.contract.builders import NOW, USER, event, notification, read_report, report
from tests.contract.conftest import Backend


async def test_leaving_without_commit_rolls_every_repository_back(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.reports.add(report())
        await uow.events.append(event(1))
        await uow.notifications.add(notification())
        assert await uow.receipts.record("msg_1", "job-1", "workflow.started") is True
        assert await uow.reports.get("report-1") == report()

    async with backend.uow() as uow:
        assert await uow.reports.get("report-1") is None
        assert await uow.reports.get_by_job_id("job-1") is None
        assert await uow.events.list_after("report-1", 0) == []
        assert await uow.notifications.get("note-1") is None
        assert await uow.receipts.record("msg_1", "job-1", "workflow.started") is True


async def test_an_exception_inside_the_block_rolls_back_and_propagates(backend: Backend) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with backend.uow() as uow:
            await uow.reports.add(report())
            raise RuntimeError("boom")

    assert await read_report(backend, "report-1") is None


async def test_a_commit_stores_every_repositorys_writes(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.reports.lock_user(USER)
        await uow.reports.add(report())
        await uow.events.append(event(1))
        await uow.notifications.add(notification())
        await uow.receipts.record("msg_1", "job-1", "workflow.started")
        await uow.commit()

    async with backend.uow() as uow:
        assert await uow.reports.get("report-1") == report()
        assert await uow.events.list_after("report-1", 0) == [event(1)]
        assert await uow.notifications.get("note-1") == notification()
        assert await uow.receipts.record("msg_1", "job-1", "workflow.started") is False


async def test_a_duplicate_report_id_is_an_integrity_error_not_a_taken_key(
    backend: Backend,
) -> None:
    async with backend.uow() as uow:
        await uow.reports.add(report())
        await uow.commit()

    async with backend.uow() as uow:
        with pytest.raises(backend.integrity_error):
            await uow.reports.add(report(job_id="job-2"))


NAIVE = datetime(2026, 1, 15, 12, 0)
NAIVE_WRITES: dict[str, Callable[[UnitOfWork], Awaitable[None]]] = {
    "reports.add": lambda uow: uow.reports.add(report("report-2", updated_at=NAIVE)),
    "reports.save": lambda uow: uow.reports.save(report(completed_at=NAIVE)),
    "events.append": lambda uow: uow.events.append(
        dataclasses.replace(event(1), occurred_at=NAIVE)
    ),
    "notifications.add": lambda uow: uow.notifications.add(
        dataclasses.replace(notification("note-2"), created_at=NAIVE)
    ),
    "notifications.save": lambda uow: uow.notifications.save(notification().dismissed(NAIVE)),
}


@pytest.mark.parametrize("write", NAIVE_WRITES)
async def test_a_time_without_a_zone_is_refused(backend: Backend, write: str) -> None:
    async with backend.uow() as uow:
        await uow.reports.add(report())
        await uow.notifications.add(notification())
        await uow.commit()

    async with backend.uow() as uow:
        with pytest.raises(Exception, match="naive datetime given to a UTC column"):
            await NAIVE_WRITES[write](uow)

    async with backend.uow() as uow:
        assert await uow.reports.get("report-1") == report()
        assert await uow.reports.get("report-2") is None
        assert await uow.notifications.get("note-1") == notification()
        assert await uow.notifications.get("note-2") is None
        assert await uow.events.list_after("report-1", 0) == []


async def test_times_read_back_in_utc_whatever_zone_they_were_written_in(
    backend: Backend,
) -> None:
    paris = timezone(timedelta(hours=2))
    local = NOW.astimezone(paris)
    async with backend.uow() as uow:
        await uow.reports.add(report(created_at=local, updated_at=local))
        await uow.events.append(dataclasses.replace(event(1), occurred_at=local))
        await uow.notifications.add(dataclasses.replace(notification(), created_at=local))
        await uow.commit()

    async with backend.uow() as uow:
        stored = await uow.reports.get("report-1")
        [logged] = await uow.events.list_after("report-1", 0)
        noted = await uow.notifications.get("note-1")

    assert stored is not None and noted is not None
    times = [stored.created_at, stored.updated_at, logged.occurred_at, noted.created_at]
    assert times == [NOW] * 4
    assert [moment.utcoffset() for moment in times] == [timedelta(0)] * 4
