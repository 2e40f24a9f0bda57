"""Values made once per event-loop iteration and shared by whoever asks in it.

One bus message wakes every subscriber of its channel in the same loop iteration
(`infra/bus.py` delivers to all of them at once, each wake-up is a `call_soon`), so
work keyed on what they all received (the decoded message, an event's result for
the same document and variables) is done by the first of them and reused by the
others. A value lives until the next iteration only: a subscriber served later, e.g.
one replaying the log, makes its own, so nothing read "when the event is delivered"
(a completed event's report) is older than the delivery it belongs to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class PerTick(Generic[K, V]):
    def __init__(self) -> None:
        self._values: dict[K, V] = {}
        # The loop whose next iteration clears the values: a loop that closed before it
        # ran (a test's) leaves values that the next loop's first put clears.
        self._clearing_on: asyncio.AbstractEventLoop | None = None

    def get(self, key: K) -> V | None:
        if self._clearing_on is not asyncio.get_running_loop():
            return None
        return self._values.get(key)

    def put(self, key: K, value: V) -> None:
        loop = asyncio.get_running_loop()
        if self._clearing_on is not loop:
            self._values.clear()
            self._clearing_on = loop
            loop.call_soon(self._clear)
        self._values[key] = value

    def _clear(self) -> None:
        self._values.clear()
        self._clearing_on = None
