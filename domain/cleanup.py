"""The admin cleanup: old finished jobs in the LLM service, old webhook receipts here.

Only what has stopped mattering goes: finished jobs with their webhook deliveries
(the LLM service never deletes an active one) and the receipts that deduplicate
webhooks older than the cutoff. A user's reports, plans and event logs are never
touched: no port this operation calls can reach them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import InvalidInput, LLMServiceUnavailable, NotAuthorized
from domain.field_errors import FieldError, FieldErrorCode
from domain.jobs import JobCleanup
from domain.operations import Dependencies

MAX_OLDER_THAN_DAYS = 3650
# Who the log names when an operator runs the cleanup from a shell.
CLI_ACTOR = "cli"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who runs an operation: a signed-in user's id, or `CLI_ACTOR`."""

    id: str
    is_admin: bool


@dataclass(frozen=True)
class CleanupResult:
    cutoff: datetime
    dry_run: bool
    jobs: JobCleanup
    receipts_matched: int
    receipts_deleted: int


class CleanupNotAllowed(NotAuthorized):
    message = "Only an administrator can clean up old jobs."


async def cleanup_old_jobs(
    deps: Dependencies, actor: Actor, older_than_days: int, dry_run: bool
) -> CleanupResult:
    """Deletes what finished before now minus `older_than_days`; a dry run only counts.

    Idempotent: a second run with the same cutoff finds nothing left to delete.
    """
    if not actor.is_admin:
        _log_refusal(actor, older_than_days, dry_run, "permission_denied")
        raise CleanupNotAllowed()
    if not 0 <= older_than_days <= MAX_OLDER_THAN_DAYS:
        _log_refusal(actor, older_than_days, dry_run, "invalid_input")
        message = f"must be between 0 and {MAX_OLDER_THAN_DAYS} days"
        raise InvalidInput((FieldError("olderThanDays", message, FieldErrorCode.OUT_OF_RANGE),))
    cutoff = deps.clock.now() - timedelta(days=older_than_days)
    try:
        jobs = await deps.llm.cleanup_finished_jobs(older_than_days, cutoff, dry_run)
    except LLMServiceUnavailable:
        _log_refusal(actor, older_than_days, dry_run, "llm_service_unavailable")
        raise
    receipts_matched, receipts_deleted = await _cleanup_receipts(deps, cutoff, dry_run)
    result = CleanupResult(cutoff, dry_run, jobs, receipts_matched, receipts_deleted)
    _log_run(actor, result)
    return result


async def _cleanup_receipts(deps: Dependencies, cutoff: datetime, dry_run: bool) -> tuple[int, int]:
    async with deps.uow() as uow:
        if dry_run:
            return await uow.receipts.count_received_before(cutoff), 0
        deleted = await uow.receipts.delete_received_before(cutoff)
        await uow.commit()
    return deleted, deleted


def _log_run(actor: Actor, result: CleanupResult) -> None:
    fields = {
        "actor": actor.id,
        "cutoff": result.cutoff.isoformat(),
        "dry_run": result.dry_run,
        "matched": result.jobs.matched,
        "deleted": result.jobs.deleted,
        "deliveries_matched": result.jobs.deliveries_matched,
        "deliveries_deleted": result.jobs.deliveries_deleted,
        "receipts_matched": result.receipts_matched,
        "receipts_deleted": result.receipts_deleted,
    }
    log.info("jobs cleanup %s", _key_values(fields), extra={"cleanup": fields})


def _log_refusal(actor: Actor, older_than_days: int, dry_run: bool, outcome: str) -> None:
    fields = {
        "actor": actor.id,
        "older_than_days": older_than_days,
        "dry_run": dry_run,
        "outcome": outcome,
    }
    log.warning("jobs cleanup refused %s", _key_values(fields), extra={"cleanup": fields})


def _key_values(fields: dict[str, object]) -> str:
    # Strings are JSON-quoted: a user id with a newline cannot forge a log line.
    return " ".join(
        f"{key}={json.dumps(value) if isinstance(value, str) else value}"
        for key, value in fields.items()
    )
