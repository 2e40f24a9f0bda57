"""Delivers outbox rows as Standard Webhooks, each job's events in sequence order.

The retry rules are in llm_service/delivery_policy.py; every attempt is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from datetime import timedelta

import httpx
from prometheus_client import Counter
from standardwebhooks import Webhook

from llm_service.db import utcnow
from llm_service.delivery_policy import (
    ATTEMPT_ERROR,
    ATTEMPT_TIMEOUT,
    AttemptResult,
    DeliveryPolicy,
    response_result,
    settle,
)
from llm_service.outbox import DEAD, OutboxStore, PendingWebhook, Settlement

__all__ = ["DeliveryPolicy", "WebhookSender"]

logger = logging.getLogger(__name__)

ATTEMPTS = Counter(
    "llm_webhook_delivery_attempts",
    "Webhook POSTs by outcome (delivered, failed, timeout, error).",
    ["outcome"],
)
DEAD_DELIVERIES = Counter(
    "llm_webhook_deliveries_dead", "Webhooks given up (rejected, or past the retry window)."
)


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
        settlements = await asyncio.gather(
            *(self._attempt_limited(due[i], attempt) for i, attempt in claimed.items())
        )
        await self._outbox.settle(settlements)
        self._in_flight.difference_update(claimed)
        for settlement in settlements:
            _count(settlement)
        return 0.0  # the next event of each job may be sendable right away

    async def _attempt_limited(self, webhook: PendingWebhook, attempt: int) -> Settlement:
        async with self._limit:
            started_at = utcnow()
            clock = time.monotonic()
            result = await self._post(webhook)
            duration_ms = round((time.monotonic() - clock) * 1000)
        return settle(
            self._policy,
            delivery_id=webhook.id,
            created_at=webhook.created_at,
            attempt=attempt,
            started_at=started_at,
            duration_ms=duration_ms,
            result=result,
            now=utcnow(),
        )

    async def _post(self, webhook: PendingWebhook) -> AttemptResult:
        timestamp = utcnow()
        headers = {
            "webhook-id": webhook.id,
            "webhook-timestamp": str(math.floor(timestamp.timestamp())),
            "webhook-signature": self._signer.sign(webhook.id, timestamp, webhook.payload),
            "content-type": "application/json",
        }
        try:
            # httpx's timeout bounds each phase; this bounds the whole request, and also
            # applies to in-process transports (ASGI), where httpx's timeouts do not.
            async with asyncio.timeout(self._policy.timeout_seconds):
                response = await self._client.post(
                    webhook.webhook_url,
                    content=webhook.payload.encode(),
                    headers=headers,
                    timeout=self._policy.timeout_seconds,
                    follow_redirects=False,  # a 3xx is a failed attempt, whatever the client says
                )
        except (TimeoutError, httpx.TimeoutException) as exc:
            return AttemptResult(ATTEMPT_TIMEOUT, error_class=type(exc).__name__)
        except Exception as exc:  # an embedded receiver's own exceptions surface here too
            return AttemptResult(ATTEMPT_ERROR, error_class=type(exc).__name__)
        return response_result(response.status_code)


def _count(settlement: Settlement) -> None:
    ATTEMPTS.labels(outcome=settlement.record.status).inc()
    if settlement.outcome == DEAD:
        DEAD_DELIVERIES.inc()
        logger.warning(
            "webhook %s is dead after %d attempts: %s",
            settlement.record.delivery_id,
            settlement.record.attempt,
            settlement.error,
        )
