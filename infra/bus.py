"""Our event bus: one backend subscription per process, local fan-out.

It stands in front of broadcaster because broadcaster 0.3.1 races when two
tasks subscribe to a new channel at once, keeps unbounded queues and never
reconnects. Here:
- the process subscribes once, at connect, to one wire channel; messages carry
  their logical channel and are routed locally, so there is no per-channel
  backend subscribe to race on;
- each subscriber has a bounded queue; on overflow the queue is emptied and the
  subscriber is told to RESYNC from the event log (nothing is lost: the log is
  the truth); a subscriber that overflows again and again is closed;
- a failing backend, or a heartbeat that does not come back, triggers a
  reconnect and a RESYNC to every subscriber;
- publishes made while an earlier one is on its way leave together, in order, as
  one wire message where they fit (infra/bus_wire.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Final

from broadcaster._backends.base import BroadcastBackend

from infra import json_text
from infra.bus_backends import create_backend
from infra.bus_wire import CoalescingSender, read_wire_message

log = logging.getLogger(__name__)

WIRE_CHANNEL: Final = "mission_planner_events"
HEARTBEAT_CHANNEL: Final = "__heartbeat__"
# A wire send that takes longer fails its publishers (who log it; the log has the
# events) instead of holding up every publish queued behind it.
SEND_TIMEOUT_SECONDS: Final = 5.0


class Resync:
    """Marker: messages may have been missed; re-read the event log."""

    def __repr__(self) -> str:
        return "RESYNC"


RESYNC: Final = Resync()


class SlowSubscriber(Exception):
    """The subscriber stayed behind; its subscription was closed."""


class Subscription:
    """One subscriber's bounded queue: a deque and at most one waiting reader.

    An asyncio.Queue (deque, getter and putter deques, an Event, a Condition's worth
    of futures) and `asyncio.wait_for` (a task per wait) cost ~5 KiB per idle
    subscription (benchmarks/README.md, section 7); a stream has one reader, so a
    deque and one future do. Kept alive by 10,000 idle subscriptions, that matters.
    """

    __slots__ = (
        "_items", "_max_overflows", "_overflows", "_queue_size", "_waiter", "channel",
        "closed_reason", "on_closed",
    )  # fmt: skip

    def __init__(self, channel: str, queue_size: int, max_overflows: int) -> None:
        self.channel = channel
        # Made on the first message and dropped once drained: an empty deque is a
        # 64-slot block (~0.7 KiB), and most subscriptions are idle most of the time.
        self._items: deque[str | Resync | None] | None = None
        self._queue_size = queue_size
        self._waiter: asyncio.Future[None] | None = None
        self._overflows = 0
        self._max_overflows = max_overflows
        self.closed_reason: str | None = None
        # Called once when the subscriber is closed for lag, e.g. to hang up its socket:
        # a client that stopped reading is blocked in a send and never calls get().
        self.on_closed: Callable[[], None] | None = None

    def _put(self, item: str | Resync | None) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def deliver(self, message: str | Resync) -> None:
        if self.pending >= self._queue_size:
            self._overflow()
        else:
            self._put(message)

    def _overflow(self) -> None:
        self._overflows += 1
        self._items = None
        if self._overflows > self._max_overflows:
            if self.closed_reason is None and self.on_closed is not None:
                self.on_closed()
            self.closed_reason = "slow subscriber"
            self._put(None)
        else:
            self._put(RESYNC)

    def close(self) -> None:
        if self.pending < self._queue_size:
            self._put(None)

    async def get(self, timeout: float | None = None) -> str | Resync | None:  # noqa: ASYNC109
        """The next message; None on timeout. Raises SlowSubscriber when closed for lag.

        One reader at a time (each stream reads its own subscription).
        """
        items = self._items
        if not items:
            if self._waiter is not None:
                raise RuntimeError("a Subscription has one reader at a time")
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiter = waiter
            timer = None if timeout is None else loop.call_later(timeout, _wake, waiter)
            try:
                await waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
            items = self._items
            if not items:
                return None  # timed out
        item = items.popleft()
        if not items:
            self._items = None
            self._overflows = 0  # caught up: only lag that never drains counts
        if item is None:
            raise SlowSubscriber(self.closed_reason or "closed")
        return item

    @property
    def pending(self) -> int:
        return 0 if self._items is None else len(self._items)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class EventBus:
    def __init__(
        self,
        backend: BroadcastBackend,
        *,
        queue_size: int = 100,
        max_overflows: int = 3,
        heartbeat_seconds: float = 5.0,
    ) -> None:
        self._backend = backend
        self._queue_size = queue_size
        self._max_overflows = max_overflows
        self._heartbeat_seconds = heartbeat_seconds
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._supervisor: asyncio.Task[None] | None = None
        self._last_heartbeat = time.monotonic()
        self._instance = uuid.uuid4().hex
        self._sender = CoalescingSender(self._send_wire)
        self.reconnects = 0

    @classmethod
    def from_url(
        cls, url: str, *, queue_size: int = 100, heartbeat_seconds: float = 5.0
    ) -> EventBus:
        return cls(create_backend(url), queue_size=queue_size, heartbeat_seconds=heartbeat_seconds)

    async def connect(self) -> None:
        await self._connect_backend()
        self._supervisor = asyncio.create_task(self._supervise(), name="event-bus")

    async def disconnect(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._supervisor
            self._supervisor = None
        for subs in self._subscriptions.values():
            for sub in subs:
                sub.close()
        await self._sender.close()
        with contextlib.suppress(Exception):
            await self._backend.disconnect()

    async def __aenter__(self) -> EventBus:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    async def publish(self, channel: str, message: str) -> None:
        await self._sender.publish([(channel, message)])

    async def publish_many(self, messages: list[tuple[str, str]]) -> None:
        """(channel, message) pairs, in order, as few wire messages as they fit."""
        await self._sender.publish(messages)

    async def _send_wire(self, wire: str) -> None:
        async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
            await self._backend.publish(WIRE_CHANNEL, wire)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        # Registration is synchronous: concurrent first subscribers cannot race.
        subscription = Subscription(channel, self._queue_size, self._max_overflows)
        self._subscriptions.setdefault(channel, set()).add(subscription)
        try:
            yield subscription
        finally:
            subs = self._subscriptions.get(channel)
            if subs is not None:
                subs.discard(subscription)
                if not subs:
                    del self._subscriptions[channel]

    @property
    def subscriber_count(self) -> int:
        return sum(len(subs) for subs in self._subscriptions.values())

    async def _connect_backend(self) -> None:
        await self._backend.connect()
        await self._backend.subscribe(WIRE_CHANNEL)
        self._last_heartbeat = time.monotonic()

    async def _supervise(self) -> None:
        """Listen and watch the heartbeat; when either fails, reconnect and start again."""
        while True:
            listener = asyncio.create_task(self._listen_until_failure())
            watchdog = asyncio.create_task(self._beat_until_silent())
            try:
                await asyncio.wait({listener, watchdog}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (listener, watchdog):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
            await self._reconnect()

    async def _listen_until_failure(self) -> None:
        while True:
            try:
                event = await self._backend.next_published()
            except Exception as exc:
                log.warning("event bus connection lost: %s", exc)
                return
            self._route(event.message)

    async def _beat_until_silent(self) -> None:
        # A backend that silently stopped delivering (a dropped LISTEN connection, a
        # restarted Redis) is found when our own heartbeat does not come back.
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            with contextlib.suppress(Exception):
                await self.publish(HEARTBEAT_CHANNEL, self._instance)
            if time.monotonic() - self._last_heartbeat > 3 * self._heartbeat_seconds:
                log.warning("event bus heartbeat lost; reconnecting")
                return

    def _route(self, envelope: str) -> None:
        try:
            pairs = read_wire_message(json_text.loads(envelope))
        except (ValueError, KeyError, TypeError, IndexError):
            log.warning("dropping malformed bus message")
            return
        for channel, message in pairs:
            if channel == HEARTBEAT_CHANNEL:
                if message == self._instance:
                    self._last_heartbeat = time.monotonic()
                continue
            for subscription in list(self._subscriptions.get(channel, ())):
                subscription.deliver(message)

    async def _reconnect(self) -> None:
        self._resync_all()
        delay = 0.1
        while True:
            with contextlib.suppress(Exception):
                await self._backend.disconnect()
            try:
                await self._connect_backend()
            except Exception as exc:
                log.warning("event bus reconnect failed: %s; retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self.reconnects += 1
            # Anything published while we were away is only in the log.
            self._resync_all()
            return

    def _resync_all(self) -> None:
        for subs in self._subscriptions.values():
            for subscription in subs:
                subscription.deliver(RESYNC)
