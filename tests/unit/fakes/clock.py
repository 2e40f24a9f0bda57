"""Time that moves only when a test moves it, a sleep that does not wait, and ids in order."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tests.unit.builders import T0


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def set(self, now: datetime) -> None:
        self.current = now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self.current += delta if delta is not None else timedelta(**kwargs)
        return self.current


class FakeSleep:
    """`Dependencies.sleep` without the wait: moves the fake clock on, then yields once.

    Yielding lets the other tasks of a test (a concurrent request) take their turn,
    so code that polls behaves as it would in real time, but instantly.
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(seconds=seconds)
        await asyncio.sleep(0)


class SequentialIds:
    def __init__(self, prefix: str = "id") -> None:
        self.prefix = prefix
        self.issued = 0

    def __call__(self) -> str:
        self.issued += 1
        return f"{self.prefix}-{self.issued}"
