"""How a run writes its job: events retried through short outages, usage shielded.

Split from job_runner.py: the run's step loop decides what to write, this module
how it survives a flaky database and a cancellation arriving mid-write.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from llm_service.db import is_transient_db_error
from llm_service.job_store import JobStore

logger = logging.getLogger(__name__)

CANCEL_WAIT_SECONDS = 10.0
_WRITE_RETRY_FIRST_SECONDS = 0.2
_WRITE_RETRY_MAX_SECONDS = 2.0


class JobWriter:
    """The writes of one run of one job, as the runner `runner_id` that holds it."""

    def __init__(
        self, store: JobStore, job_id: str, *, runner_id: str, retry_seconds: float
    ) -> None:
        self._store = store
        self._job_id = job_id
        self._runner_id = runner_id
        self._retry_seconds = retry_seconds

    async def emit(self, event_type: str, data: dict[str, Any], changes: dict[str, Any]) -> bool:
        """Writes the event; False when the job was cancelled, finished or taken over.

        A write that fails for want of a database connection is tried again for up to
        the lease: a short outage pauses the job instead of throwing away the steps it
        finished (past the lease another runner may have taken the job over anyway).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._retry_seconds
        delay = _WRITE_RETRY_FIRST_SECONDS
        while True:
            try:
                return await self._write(event_type, data, changes)
            except Exception as exc:
                if not is_transient_db_error(exc) or loop.time() + delay > deadline:
                    raise
                logger.warning(
                    "recording %s of job %s failed (%s); retrying in %.1f s",
                    event_type,
                    self._job_id,
                    type(exc).__name__,
                    delay,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, _WRITE_RETRY_MAX_SECONDS)

    async def _write(self, event_type: str, data: dict[str, Any], changes: dict[str, Any]) -> bool:
        """One attempt at writing the event.

        Shielded: a cancellation (bulk delete, shutdown) waits for the write in
        flight instead of abandoning a connection mid-transaction.
        """
        write = asyncio.ensure_future(
            self._store.record_event(
                self._job_id, event_type, data, changes, runner_id=self._runner_id
            )
        )
        try:
            sequence = await asyncio.shield(write)
        except asyncio.CancelledError:
            await asyncio.wait({write}, timeout=CANCEL_WAIT_SECONDS)
            if write.done() and not write.cancelled() and write.exception() is not None:
                logger.error(
                    "event write for job %s failed", self._job_id, exc_info=write.exception()
                )
            raise
        return sequence is not None

    async def checkpoint(self, live: dict[str, Any]) -> bool:
        """Checkpoints the model call in flight (llm_service.usage) with no event."""
        return await self._store.save_usage(
            self._job_id, {"live_usage": live}, runner_id=self._runner_id
        )

    async def save_usage(self, usage: dict[str, Any] | None) -> None:
        """Writes the run's usage as it is cancelled; shielded, bounded, never raises.

        The cancellation's event (or the next run, after a shutdown) then reports it.
        """
        changes = {"usage": usage, "live_usage": None}
        write = asyncio.ensure_future(
            self._store.save_usage(self._job_id, changes, runner_id=self._runner_id)
        )
        try:
            await asyncio.wait_for(asyncio.shield(write), CANCEL_WAIT_SECONDS)
        except (asyncio.CancelledError, Exception):
            # Left to the checkpoint: a cancel or a takeover then counts the call from it.
            logger.warning("the usage of cancelled job %s was not saved", self._job_id)
