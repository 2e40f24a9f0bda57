"""The plan's text as the model writes it, sent on as throttled `workflow.progress` events.

A step that streams text appends each piece to the `DraftStream` the runner puts in
its context (`DRAFT_STREAM`). The stream sends what came since its last send at most
every `interval_seconds` while the model writes, and the rest once the model stops,
so each job writes a few events a second however fast its model streams. Each send
is cut into pieces that fit a bus message (`domain.draft.delta_pieces`), one event
each. Its percentage moves inside the step's range by the text received against the
text expected (`step_fraction`), and never reaches the step's end: that is the
step's own finished event.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from domain.draft import delta_pieces
from domain.workflow import StepProgress

# The context key under which a step finds its DraftStream.
DRAFT_STREAM = "draft_stream"

# Sends one piece: (delta, the draft's length after it, the step's fraction done).
# Returns False once the job is no longer this runner's (cancelled, taken over).
SendDraft = Callable[[str, int, float], Awaitable[bool]]

# The step's fraction grows as the text does, linearly up to the knee, then more and more
# slowly towards the cap: a plan longer than expected still moves and never looks done.
_KNEE = 0.9
_CAP = 0.99


def step_fraction(received_chars: int, expected_chars: int) -> float:
    """How far through the step a text of `received_chars` is: 0 .. 0.99, never falling."""
    ratio = received_chars / max(expected_chars, 1)
    if ratio <= _KNEE:
        return ratio
    # Continuous and smooth at the knee (same value, same slope), below the cap for ever.
    room = _CAP - _KNEE
    return _CAP - room * math.exp(-(ratio - _KNEE) / room)


# Writes one job event: (type, data, changes to the job row); False once the job is gone.
EmitEvent = Callable[[str, dict[str, Any], dict[str, Any]], Awaitable[bool]]


def progress_sender(emit: EmitEvent, step: dict[str, Any], percentages: StepProgress) -> SendDraft:
    """Sends each piece as a `workflow.progress` of `step` (its id, name, index, count),
    its percentage that far through the step's range (docs/llm-service-api.md)."""
    start, end = percentages.start_percentage, percentages.end_percentage

    async def send(delta: str, draft_length: int, fraction: float) -> bool:
        progress = round(start + (end - start) * fraction, 1)
        data = {**step, "progress": progress, "delta": delta, "draft_length": draft_length}
        return await emit("workflow.progress", data, {"progress": progress})

    return send


class DraftStream:
    """Collects a step's streamed text and sends it on in throttled, bounded pieces."""

    def __init__(
        self,
        send: SendDraft,
        *,
        interval_seconds: float,
        expected_chars: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._interval = interval_seconds
        self._expected = expected_chars
        self._clock = clock
        self._pending: list[str] = []
        self._length = 0  # the draft's length, sent or not
        # Counted from the stream's start: a model that answers at once sends its text
        # in one go at the end instead of a first event of a few words.
        self._last_sent = clock()
        self._open = True

    async def append(self, text: str) -> None:
        """Adds `text`; sends everything pending once the interval has passed."""
        if not text or not self._open:
            return
        self._pending.append(text)
        self._length += len(text)
        if self._clock() - self._last_sent >= self._interval:
            await self._flush()

    async def finish(self) -> None:
        """The model stopped: sends what is pending at once."""
        if self._open:
            await self._flush()
        self._open = False

    async def _flush(self) -> None:
        text = "".join(self._pending)
        self._pending.clear()
        self._last_sent = self._clock()
        length = self._length - len(text)
        for piece in delta_pieces(text):
            length += len(piece)
            if not await self._send(piece, length, step_fraction(length, self._expected)):
                self._open = False  # the job is over here: the step's end says so
                return


class NoDraftStream:
    """For a step run without a runner (tests, tools): the text goes nowhere."""

    async def append(self, text: str) -> None:
        return None

    async def finish(self) -> None:
        return None


def draft_stream_of(context: dict[str, Any]) -> DraftStream | NoDraftStream:
    stream = context.get(DRAFT_STREAM)
    return stream if isinstance(stream, DraftStream) else NoDraftStream()
