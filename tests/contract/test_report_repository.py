"""ReportRepository's contract (domain/ports.py) on the fakes, SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

import pytest

from domain.ports import DuplicateIdempotencyKey
from domain.report import MissionReport, MissionStatus
from tests.contract.builders import (
    NOW,
    OTHER_USER,
    USER,
    add_reports,
    completed,
    event,
    failed,
    read_report,
    report,
)
from tests.contract.conftest import Backend

# --- reports -------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [report, completed, failed], ids=lambda f: f.__name__)
async def test_a_report_reads_back_exactly_as_it_was_added(
    backend: Backend, shape: Callable[[], MissionReport]
) -> None:
    original = shape()
    await add_reports(backend, original)

    async with backend.uow() as uow:
        assert await uow.reports.get(original.id) == original
        assert await uow.reports.get(original.id, for_update=True) == original
        assert await uow.reports.get_by_job_id("job-1") == original


async def test_unknown_ids_keys_and_jobs_read_as_none(backend: Backend) -> None:
    await add_reports(backend, report(idempotency_key="k1"))

    async with backend.uow() as uow:
        assert await uow.reports.get("no-such-report") is None
        assert await uow.reports.get("no-such-report", for_update=True) is None
        assert await uow.reports.get_by_job_id("no-such-job") is None
        assert await uow.reports.get_by_idempotency_key(USER, "no-such-key") is None
        assert await uow.reports.get_by_idempotency_key(OTHER_USER, "k1") is None  # per user


async def test_an_idempotency_key_finds_its_users_report(backend: Backend) -> None:
    mine = report("report-1", idempotency_key="k1")
    theirs = report("report-2", user_id=OTHER_USER, job_id="job-2", idempotency_key="k1")
    await add_reports(backend, mine, theirs)

    async with backend.uow() as uow:
        assert await uow.reports.get_by_idempotency_key(USER, "k1") == mine
        assert await uow.reports.get_by_idempotency_key(OTHER_USER, "k1") == theirs


async def test_a_taken_key_raises_duplicate_and_the_transaction_goes_on(backend: Backend) -> None:
    await add_reports(backend, report("report-1", idempotency_key="k1"))

    async with backend.uow() as uow:
        with pytest.raises(DuplicateIdempotencyKey):
            await uow.reports.add(report("report-2", job_id="job-2", idempotency_key="k1"))
        await uow.reports.add(report("report-3", job_id="job-3", idempotency_key="k3"))
        await uow.commit()

    assert await read_report(backend, "report-2") is None
    assert await read_report(backend, "report-3") is not None


async def test_reports_without_a_key_never_collide(backend: Backend) -> None:
    await add_reports(backend, report("report-1"), report("report-2", job_id="job-2"))

    assert await read_report(backend, "report-1") is not None
    assert await read_report(backend, "report-2") is not None


async def test_active_counts_are_per_user_and_status_and_see_uncommitted_writes(
    backend: Backend,
) -> None:
    await add_reports(
        backend,
        report("report-1"),
        failed("report-2"),
        report("report-3", user_id=OTHER_USER, job_id="job-3"),
    )

    async with backend.uow() as uow:
        assert await uow.reports.count_by_status(USER, MissionStatus.GENERATING) == 1
        assert await uow.reports.count_by_status(USER, MissionStatus.FAILED) == 1
        assert await uow.reports.count_by_status(USER, MissionStatus.COMPLETED) == 0
        assert await uow.reports.count_by_status(OTHER_USER, MissionStatus.GENERATING) == 1
        await uow.reports.add(report("report-4", job_id="job-4"))
        assert await uow.reports.count_by_status(USER, MissionStatus.GENERATING) == 2


async def test_save_replaces_the_stored_report(backend: Backend) -> None:
    await add_reports(backend, report(idempotency_key="k1"))
    done = completed()

    async with backend.uow() as uow:
        await uow.reports.save(done)
        await uow.commit()

    assert await read_report(backend, done.id) == done


async def test_saving_or_deleting_a_missing_report_changes_nothing(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.reports.save(report("ghost"))
        await uow.reports.delete("ghost")
        await uow.commit()

    assert await read_report(backend, "ghost") is None


async def test_a_deleted_report_is_gone_and_frees_its_key(backend: Backend) -> None:
    await add_reports(backend, report(idempotency_key="k1"))

    async with backend.uow() as uow:
        await uow.reports.delete("report-1")
        assert await uow.reports.get("report-1") is None
        await uow.commit()

    assert await read_report(backend, "report-1") is None
    await add_reports(backend, report("report-2", job_id="job-2", idempotency_key="k1"))
    assert await read_report(backend, "report-2") is not None


async def test_stale_generating_reports_come_oldest_first_up_to_the_limit(
    backend: Backend,
) -> None:
    def at(report_id: str, minutes: int, base: MissionReport | None = None) -> MissionReport:
        shaped = base or report(report_id, job_id=f"job-{report_id}")
        return dataclasses.replace(shaped, updated_at=NOW + timedelta(minutes=minutes))

    await add_reports(
        backend,
        at("newer", 2),
        at("oldest", 0),
        at("middle", 1),
        at("at-cutoff", 5),
        at("fresh", 9),
        at("failed", 0, failed("failed")),
        at("done", 0, completed("done")),
    )
    cutoff = NOW + timedelta(minutes=5)

    async with backend.uow() as uow:
        stale = await uow.reports.list_stale_generating(cutoff, limit=10)
        first_two = await uow.reports.list_stale_generating(cutoff, limit=2)

    assert [r.id for r in stale] == ["oldest", "middle", "newer"]  # strictly before the cutoff
    assert [r.id for r in first_two] == ["oldest", "middle"]


async def test_a_user_lock_is_taken_inside_a_writing_transaction(backend: Backend) -> None:
    async with backend.uow() as uow:
        await uow.reports.lock_user(USER)
        await uow.reports.lock_user(USER)  # taking it again in the same transaction is fine
        await uow.reports.add(report())
        await uow.commit()

    assert await read_report(backend, "report-1") is not None


# --- a change written with its events, and the batch's reads ------------------------


async def test_a_change_read_then_saved_with_its_events_reads_back_whole(
    backend: Backend,
) -> None:
    """Only the changed columns are written; the rest of the row stays as it was."""
    original = report(idempotency_key="k1")
    await add_reports(backend, original)
    moved = dataclasses.replace(
        original, progress=dataclasses.replace(original.progress, percentage=50.0),
        last_sequence=2, draft="So far",
    )  # fmt: skip

    async with backend.uow() as uow:
        assert await uow.reports.get(original.id, for_update=True) == original
        await uow.reports.save(moved, [event(2), event(3)])
        assert await uow.reports.get(original.id, for_update=True) == moved
        done = completed()
        await uow.reports.save(done, [event(4)])
        await uow.commit()

    assert await read_report(backend, original.id) == done
    async with backend.uow() as uow:
        assert [e.sequence for e in await uow.events.list_after(original.id, 0)] == [2, 3, 4]


async def test_a_save_with_events_of_a_missing_report_still_appends_them(
    backend: Backend,
) -> None:
    async with backend.uow() as uow:
        await uow.reports.save(report("ghost"), [event(1, report_id="ghost")])
        await uow.commit()

    assert await read_report(backend, "ghost") is None
    async with backend.uow() as uow:
        assert [e.sequence for e in await uow.events.list_after("ghost", 0)] == [1]


async def test_lock_many_reads_the_reports_that_exist(backend: Backend) -> None:
    first, second = report("report-1"), report("report-2", job_id="job-2")
    await add_reports(backend, first, second)

    async with backend.uow() as uow:
        locked = await uow.reports.lock_many(["report-2", "missing", "report-1", "report-2"])
        assert locked == {"report-1": first, "report-2": second}
        assert await uow.reports.get("report-2", for_update=True) == second
        assert await uow.reports.lock_many([]) == {}


async def test_a_draft_grown_save_by_save_reads_back_whole_and_starting_over_replaces_it(
    backend: Backend,
) -> None:
    """A grown draft is written as its new text only (infra.db.report_writes); what
    reads back is the whole text, whether it grew across transactions or within one."""
    original = report()
    await add_reports(backend, original)
    for text in ["Fill ", "Fill the tub", "Fill the tub: Ünïcode ✓ 🌀"]:  # one per webhook
        async with backend.uow() as uow:
            current = await uow.reports.get(original.id, for_update=True)
            assert current is not None
            await uow.reports.save(dataclasses.replace(current, draft=text))
            await uow.commit()

    async with backend.uow() as uow:
        current = await uow.reports.get(original.id, for_update=True)
        assert current is not None and current.draft == "Fill the tub: Ünïcode ✓ 🌀"
        grown = dataclasses.replace(current, draft=current.draft + " More.")
        await uow.reports.save(grown, [event(2)])
        await uow.reports.save(
            dataclasses.replace(grown, draft=grown.draft + " Again."), [event(3), event(4)]
        )
        await uow.commit()
    stored = await read_report(backend, original.id)
    assert stored is not None and stored.draft == "Fill the tub: Ünïcode ✓ 🌀 More. Again."

    async with backend.uow() as uow:
        current = await uow.reports.get(original.id, for_update=True)
        assert current is not None
        await uow.reports.save(dataclasses.replace(current, draft="Over"))
        await uow.commit()
    stored = await read_report(backend, original.id)
    assert stored is not None and stored.draft == "Over"


async def test_record_and_lock_writes_new_receipts_once_and_reads_the_reports(
    backend: Backend,
) -> None:
    """A batch's opening (domain.job_update_batches): its receipts, then its reports."""
    first = report("report-1")
    await add_reports(backend, first)
    asked = [
        ("msg_1", "job-1", "workflow.progress"),
        ("msg_2", "job-1", "workflow.progress"),
        ("msg_1", "job-1", "workflow.progress"),
    ]

    async with backend.uow() as uow:
        assert await uow.record_and_lock(asked, ["report-1", "missing"]) == {"msg_1", "msg_2"}
        assert await uow.reports.get("report-1", for_update=True) == first
        await uow.commit()

    async with backend.uow() as uow:  # receipts kept; none of the reports exists
        fresh = await uow.record_and_lock([*asked, ("msg_3", "job-2", "x")], ["missing"])
        assert fresh == {"msg_3"}
        assert await uow.record_and_lock([], ["report-1"]) == set()
        assert await uow.record_and_lock([], []) == set()
        await uow.commit()
    async with backend.uow() as uow:
        assert await uow.receipts.record("msg_3", "job-2", "x") is False
