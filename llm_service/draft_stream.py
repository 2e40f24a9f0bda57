"""The plan's text as the model writes it, sent on as throttled `workflow.progress` events.

A step that streams text appends each piece to the `DraftStream` the runner puts in
its context (`DRAFT_STREAM`). The stream sends what came since its last send at most
every `interval_seconds` while the model writes, and the rest once the model stops,
so each job writes a few events a second however fast its model streams. Each send
is cut into pieces that fit a bus message (`domain.draft.delta_pieces`), one event
each. Its percentage moves inside the step's range by the text received against the
text expected (`step_fraction`), and never reaches the step's end: that is the
step's own finished event.

While a model call is in flight (`begin_call` .. `end_call`) each event also
checkpoints the call's usage so far on the job row (`live_usage`), and so does
`begin_call` itself: if the worker dies mid-stream, whoever takes the job over
counts the call from the checkpoint (llm_service.usage).
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from domain.draft import delta_pieces
from domain.workflow import StepProgress
from llm_service.usage import ModelCall

# The context key under which a step finds its DraftStream.
DRAFT_STREAM = "draft_stream"

# Sends one piece: (delta, the draft's length after it, the step's fraction done, the
# usage so far of the model call in flight or None). Returns False once the job is no
# longer this runner's (cancelled, taken over).
SendDraft = Callable[[str, int, float, dict[str, Any] | None], Awaitable[bool]]
# Writes the usage so far of the call in flight on the job row; False once the job is gone.
Checkpoint = Callable[[dict[str, Any]], Awaitable[bool]]

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

    async def send(
        delta: str, draft_length: int, fraction: float, live: dict[str, Any] | None
    ) -> bool:
        progress = round(start + (end - start) * fraction, 1)
        data = {**step, "progress": progress, "delta": delta, "draft_length": draft_length}
        changes: dict[str, Any] = {"progress": progress}
        if live is not None:
            changes["live_usage"] = live  # rides on the event's write: no extra write
        return await emit("workflow.progress", data, changes)

    return send


class DraftStream:
    """Collects a step's streamed text and sends it on in throttled, bounded pieces."""

    def __init__(
        self,
        send: SendDraft,
        *,
        checkpoint: Checkpoint | None = None,
        interval_seconds: float,
        expected_chars: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._checkpoint = checkpoint
        self._call: ModelCall | None = None
        self._interval = interval_seconds
        self._expected = expected_chars
        self._clock = clock
        self._pending: list[str] = []
        self._length = 0  # the draft's length, sent or not
        # Counted from the stream's start: a model that answers at once sends its text
        # in one go at the end instead of a first event of a few words.
        self._last_sent = clock()
        self._open = True

    async def begin_call(self, call: ModelCall) -> None:
        """A model call starts: checkpointed now (its prompt counts even if no text comes),
        and with each event until `end_call`."""
        self._call = call
        if self._checkpoint is not None and self._open:
            await self._checkpoint(call.estimate())

    def end_call(self) -> None:
        """The call ended; the step records its usage, and the next event clears the
        checkpoint (job_runner)."""
        self._call = None

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
        live = self._call.estimate() if self._call is not None else None
        for piece in delta_pieces(text):
            length += len(piece)
            fraction = step_fraction(length, self._expected)
            if not await self._send(piece, length, fraction, live):
                self._open = False  # the job is over here: the step's end says so
                return
        # Counted from the end of the writes too: a write slowed by a busy database does
        # not bring the next event closer than the interval.
        self._last_sent = self._clock()


class NoDraftStream:
    """For a step run without a runner (tests, tools): the text goes nowhere."""

    async def begin_call(self, call: ModelCall) -> None:
        return None

    def end_call(self) -> None:
        return None

    async def append(self, text: str) -> None:
        return None

    async def finish(self) -> None:
        return None


def draft_stream_of(context: dict[str, Any]) -> DraftStream | NoDraftStream:
    stream = context.get(DRAFT_STREAM)
    return stream if isinstance(stream, DraftStream) else NoDraftStream()
