"""Saves in a batch (after `record_and_lock`): the same on every backend as saves anywhere.

On PostgreSQL a batch's saves are held and written as one statement at its commit
(infra.db.batch_saves); what a reader sees, in the transaction and after it, must not
tell: each report's last save, every event in order, a draft grown save after save.
"""

from __future__ import annotations

import dataclasses

import pytest

from domain.ports import UnitOfWork, UnstorableData
from domain.report import MissionReport, MissionStatus
from tests.contract.builders import USER, add_reports, completed, event, failed, read_report, report
from tests.contract.conftest import Backend


def moved(current: MissionReport | None, *, draft: str, percentage: float) -> MissionReport:
    assert current is not None
    progress = dataclasses.replace(current.progress, percentage=percentage)
    return dataclasses.replace(current, draft=draft, progress=progress)


async def sequences(uow: UnitOfWork, report_id: str) -> list[int]:
    return [e.sequence for e in await uow.events.list_after(report_id, 0)]


async def test_a_batchs_saves_read_back_as_their_last_with_every_event_in_order(
    backend: Backend,
) -> None:
    """Two saves of one report (its draft grown twice), a completion, a failure, events only."""
    await add_reports(
        backend,
        report("report-1", draft="Fill "),
        report("report-2", job_id="job-2"),
        report("report-3", job_id="job-3"),
    )
    ids = ["report-1", "report-2", "report-3", "ghost"]

    async with backend.uow() as uow:
        await uow.record_and_lock([("msg_1", "job-1", "workflow.progress")], ids)
        first = moved(
            await uow.reports.get("report-1", for_update=True), draft="Fill the ", percentage=40
        )
        await uow.reports.save(first, [event(2), event(3)])
        assert await uow.reports.get("report-1", for_update=True) == first  # seen at once
        await uow.reports.save(completed("report-2"), [event(2, "report-2")])
        second = moved(first, draft="Fill the tub ✓", percentage=45)
        await uow.reports.save(second, [event(4)])
        await uow.reports.save(failed("report-3"))
        await uow.reports.save(report("ghost"), [event(1, "ghost")])  # no row: events only
        await uow.commit()

    assert await read_report(backend, "report-1") == second
    assert await read_report(backend, "report-2") == completed("report-2")
    assert await read_report(backend, "report-3") == failed("report-3")
    assert await read_report(backend, "ghost") is None
    async with backend.uow() as uow:
        assert await sequences(uow, "report-1") == [2, 3, 4]
        assert await sequences(uow, "report-2") == [2]
        assert await sequences(uow, "ghost") == [1]


async def test_reads_in_a_batch_see_its_saves_before_they_are_written(backend: Backend) -> None:
    await add_reports(backend, report("report-1"), report("report-2", job_id="job-2"))

    async with backend.uow() as uow:
        await uow.record_and_lock([], ["report-1", "report-2"])
        one = moved(await uow.reports.get("report-1", for_update=True), draft="A", percentage=9)
        await uow.reports.save(one, [event(2)])
        done = dataclasses.replace(completed("report-2"), job_id="job-2")
        await uow.reports.save(done, [event(5, "report-2")])
        assert await sequences(uow, "report-1") == [2]  # the event log's reads
        found = await uow.reports.get_by_job_id("job-2")
        assert found is not None and found.status is MissionStatus.COMPLETED
        assert await uow.reports.count_by_status(USER, MissionStatus.GENERATING) == 1
        # Saved again after those reads: the draft grows on what they wrote.
        await uow.reports.save(dataclasses.replace(one, draft="AB"), [event(3)])
        await uow.events.append(event(4))
        await uow.commit()

    stored = await read_report(backend, "report-1")
    assert stored is not None and stored.draft == "AB"
    async with backend.uow() as uow:
        assert await sequences(uow, "report-1") == [2, 3, 4]


async def test_a_batch_left_without_commit_writes_none_of_its_saves(backend: Backend) -> None:
    original = report("report-1")
    await add_reports(backend, original, report("report-2", job_id="job-2"))

    async with backend.uow() as uow:
        await uow.record_and_lock([("msg_1", "job-1", "workflow.progress")], ["report-1"])
        await uow.reports.save(completed("report-1"), [event(2)])
        await uow.reports.save(failed("report-2"), [event(2, "report-2")])

    assert await read_report(backend, "report-1") == original
    async with backend.uow() as uow:
        assert await sequences(uow, "report-1") == []
        assert await uow.receipts.record("msg_1", "job-1", "workflow.progress") is True


# PostgreSQL only: SQLite and the fakes store a NUL.
@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_a_value_refused_in_the_batchs_write_is_unstorable_and_writes_nothing(
    backend: Backend,
) -> None:
    """PostgreSQL refuses a NUL in text: the one statement fails whole, at the commit."""
    await add_reports(backend, report("report-1"), report("report-2", job_id="job-2"))

    with pytest.raises(UnstorableData):
        async with backend.uow() as uow:
            await uow.record_and_lock([], ["report-1", "report-2"])
            fine = moved(
                await uow.reports.get("report-1", for_update=True), draft="ok", percentage=5
            )
            await uow.reports.save(fine, [event(2)])
            bad = moved(
                await uow.reports.get("report-2", for_update=True), draft="\x00", percentage=5
            )
            await uow.reports.save(bad, [event(2, "report-2")])
            await uow.commit()

    assert await read_report(backend, "report-1") == report("report-1")
    async with backend.uow() as uow:
        assert await sequences(uow, "report-1") == []
