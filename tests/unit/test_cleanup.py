"""The admin cleanup on the fakes: who may run it, what it counts, what it deletes."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from domain.cleanup import CLI_ACTOR, Actor, CleanupNotAllowed, cleanup_old_jobs
from domain.errors import InvalidInput, LLMServiceUnavailable
from tests.unit.fakes import T0, Fakes, make_fakes

ADMIN = Actor("admin-1", is_admin=True)
USER = Actor("user-1", is_admin=False)


async def record_receipt(fakes: Fakes, webhook_id: str) -> None:
    async with fakes.deps.uow() as uow:
        assert await uow.receipts.record(webhook_id, "job-1", "workflow.completed")
        await uow.commit()


async def old_and_recent(fakes: Fakes) -> Fakes:
    """Jobs and receipts of 10 days ago and of 1 day ago; the clock is at T0."""
    fakes.llm.finished_jobs = {"old-job": T0 - timedelta(days=10), "new-job": T0 - timedelta(1)}
    fakes.clock.current = T0 - timedelta(days=10)
    await record_receipt(fakes, "msg_old")
    fakes.clock.current = T0 - timedelta(days=1)
    await record_receipt(fakes, "msg_new")
    fakes.clock.current = T0
    return fakes


async def test_a_dry_run_counts_what_is_older_than_the_cutoff_and_deletes_nothing() -> None:
    fakes = await old_and_recent(make_fakes())

    result = await cleanup_old_jobs(fakes.deps, ADMIN, 7, dry_run=True)

    assert result.cutoff == T0 - timedelta(days=7) and result.dry_run is True
    assert (result.jobs.matched, result.jobs.deleted) == (1, 0)
    assert (result.receipts_matched, result.receipts_deleted) == (1, 0)
    assert fakes.llm.cleanups == [(7, T0 - timedelta(days=7), True)]
    assert set(fakes.llm.finished_jobs) == {"old-job", "new-job"}
    assert set(fakes.store.receipts) == {"msg_old", "msg_new"}


async def test_a_run_deletes_the_old_only_and_a_second_run_finds_nothing() -> None:
    fakes = await old_and_recent(make_fakes())

    first = await cleanup_old_jobs(fakes.deps, ADMIN, 7, dry_run=False)
    second = await cleanup_old_jobs(fakes.deps, ADMIN, 7, dry_run=False)

    assert (first.jobs.matched, first.jobs.deleted, first.receipts_deleted) == (1, 1, 1)
    assert (second.jobs.matched, second.jobs.deleted, second.receipts_deleted) == (0, 0, 0)
    assert set(fakes.llm.finished_jobs) == {"new-job"}
    assert set(fakes.store.receipts) == {"msg_new"}


async def test_a_non_admin_is_refused_and_nothing_is_asked_or_deleted() -> None:
    fakes = await old_and_recent(make_fakes())

    with pytest.raises(CleanupNotAllowed):
        await cleanup_old_jobs(fakes.deps, USER, 7, dry_run=False)

    assert fakes.llm.cleanups == []
    assert set(fakes.store.receipts) == {"msg_old", "msg_new"}


@pytest.mark.parametrize("days", [-1, 3651, 10**9])
async def test_older_than_days_outside_0_to_3650_names_the_field(days: int) -> None:
    fakes = await old_and_recent(make_fakes())

    with pytest.raises(InvalidInput) as raised:
        await cleanup_old_jobs(fakes.deps, ADMIN, days, dry_run=False)

    [error] = raised.value.errors
    assert (error.field, error.code) == ("olderThanDays", "out_of_range")
    assert error.message == "must be between 0 and 3650 days"
    assert fakes.llm.cleanups == [] and len(fakes.store.receipts) == 2


@pytest.mark.parametrize("days", [0, 3650])
async def test_the_bounds_are_allowed(days: int) -> None:
    fakes = make_fakes()
    result = await cleanup_old_jobs(fakes.deps, ADMIN, days, dry_run=True)
    assert result.cutoff == T0 - timedelta(days=days)


async def test_an_unreachable_llm_service_deletes_no_receipt() -> None:
    fakes = await old_and_recent(make_fakes())
    fakes.llm.unavailable_on_cleanup = True

    with pytest.raises(LLMServiceUnavailable):
        await cleanup_old_jobs(fakes.deps, ADMIN, 7, dry_run=False)

    assert set(fakes.store.receipts) == {"msg_old", "msg_new"}


async def test_each_run_is_one_log_line_naming_who_ran_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fakes = await old_and_recent(make_fakes())
    caplog.set_level(logging.INFO, logger="domain.cleanup")

    await cleanup_old_jobs(fakes.deps, Actor(CLI_ACTOR, is_admin=True), 7, dry_run=False)
    with pytest.raises(CleanupNotAllowed):
        await cleanup_old_jobs(fakes.deps, Actor('evil\nactor="admin"', is_admin=False), 7, False)

    ran, refused = caplog.records
    assert ran.getMessage() == (
        f'jobs cleanup actor="cli" cutoff="{(T0 - timedelta(days=7)).isoformat()}" '
        "dry_run=False matched=1 deleted=1 deliveries_matched=1 deliveries_deleted=1 "
        "receipts_matched=1 "
        "receipts_deleted=1"
    )
    assert ran.cleanup["actor"] == "cli" and ran.cleanup["deleted"] == 1  # type: ignore[attr-defined]
    assert refused.levelno == logging.WARNING and "\n" not in refused.getMessage()
    assert 'actor="evil\\nactor=\\"admin\\""' in refused.getMessage()
    assert 'outcome="permission_denied"' in refused.getMessage()
