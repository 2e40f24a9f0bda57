"""Delivers outbox rows as Standard Webhooks, each job's events in sequence order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass
from datetime import timedelta

import httpx
from standardwebhooks import Webhook

from llm_service.db import utcnow
from llm_service.outbox import OutboxStore, PendingWebhook

logger = logging.getLogger(__name__)

# Client errors that may pass (timeout, conflict, rate limit) are retried forever like 5xx.
_TRANSIENT_CLIENT_ERRORS = frozenset({408, 409, 429})
# Other 4xx mean the receiver rejects the event; a few tries cover a deploy in progress.
_MAX_ATTEMPTS_ON_CLIENT_ERROR = 5


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout_seconds: float = 10.0
    retry_base_seconds: float = 0.2
    retry_max_seconds: float = 30.0
    poll_seconds: float = 2.0
    concurrency: int = 16
    batch_size: int = 200

    def backoff_seconds(self, attempts: int) -> float:
        """0.2 s after the first failed attempt, doubling, capped."""
        exponent = min(attempts - 1, 30)  # bounded so the power never overflows
        return min(self.retry_base_seconds * 2.0**exponent, self.retry_max_seconds)


@dataclass(frozen=True)
class _Outcome:
    delivered: bool
    permanent: bool = False
    error: str = ""


class WebhookSender:
    """Background loop: woken by `wake()` after each outbox write, else polls slowly."""

    def __init__(
        self,
        outbox: OutboxStore,
        client: httpx.AsyncClient,
        secret: str,
        *,
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self._outbox = outbox
        self._client = client
        self._signer = Webhook(secret)
        self._policy = policy or DeliveryPolicy()
        self._limit = asyncio.Semaphore(self._policy.concurrency)
        self._wake = asyncio.Event()
        self._in_flight: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="llm-webhook-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        # Requests cut short may not have arrived: make them due again for the next start.
        await self._outbox.release(self._in_flight)
        self._in_flight.clear()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                pause = await self.deliver_due()
            except Exception:
                logger.exception("webhook delivery round failed")
                pause = self._policy.poll_seconds
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=pause)

    async def deliver_due(self) -> float:
        """Sends the due head of each job's queue; returns how long to wait before looking again."""
        heads = await self._outbox.pending_heads(limit=self._policy.batch_size)
        now = utcnow()
        due = {head.id: head for head in heads if head.next_attempt_at <= now}
        if not due:
            waits = [(head.next_attempt_at - now).total_seconds() for head in heads]
            return min([*waits, self._policy.poll_seconds])
        lease = timedelta(seconds=self._policy.timeout_seconds + 5)
        claimed = await self._outbox.claim_due(due, lease=lease)
        # Kept until settled, so that stop() can release claims cut short mid-request.
        self._in_flight.update(claimed)
        outcomes = await asyncio.gather(*(self._post_limited(due[i]) for i in claimed))
        await self._settle(dict(zip(claimed, outcomes, strict=True)), claimed)
        return 0.0  # the next event of each job may be sendable right away

    async def _post_limited(self, webhook: PendingWebhook) -> _Outcome:
        async with self._limit:
            return await self._post(webhook)

    async def _settle(self, outcomes: dict[str, _Outcome], attempts: dict[str, int]) -> None:
        delivered = [webhook_id for webhook_id, o in outcomes.items() if o.delivered]
        await self._outbox.mark_delivered(delivered)
        self._in_flight.difference_update(delivered)
        for webhook_id, outcome in outcomes.items():
            if not outcome.delivered:
                await self._reschedule(webhook_id, outcome, attempts[webhook_id])
                self._in_flight.discard(webhook_id)

    async def _reschedule(self, webhook_id: str, outcome: _Outcome, attempts: int) -> None:
        if outcome.permanent and attempts >= _MAX_ATTEMPTS_ON_CLIENT_ERROR:
            logger.warning("giving up webhook %s: %s", webhook_id, outcome.error)
            await self._outbox.give_up(webhook_id, error=outcome.error)
            return
        retry_at = utcnow() + timedelta(seconds=self._policy.backoff_seconds(attempts))
        await self._outbox.schedule_retry(webhook_id, at=retry_at, error=outcome.error)

    async def _post(self, webhook: PendingWebhook) -> _Outcome:
        timestamp = utcnow()
        headers = {
            "webhook-id": webhook.id,
            "webhook-timestamp": str(math.floor(timestamp.timestamp())),
            "webhook-signature": self._signer.sign(webhook.id, timestamp, webhook.payload),
            "content-type": "application/json",
        }
        try:
            response = await self._client.post(
                webhook.webhook_url,
                content=webhook.payload.encode(),
                headers=headers,
                timeout=self._policy.timeout_seconds,
            )
        except Exception as exc:  # an embedded receiver's own exceptions surface here too
            return _Outcome(delivered=False, error=f"{type(exc).__name__}: {exc}")
        status = response.status_code
        if 200 <= status < 300:
            return _Outcome(delivered=True)
        permanent = 400 <= status < 500 and status not in _TRANSIENT_CLIENT_ERRORS
        return _Outcome(delivered=False, permanent=permanent, error=f"HTTP {status}")
