"""What the bus puts on its one wire channel, and how publishes are put there together.

A wire message is one envelope, `{"c": channel, "m": message}`, or a bundle of them,
`{"b": [[channel, message], ...]}`. Publishes made while the previous wire message is
still on its way leave together as one bundle: with Redis each PUBLISH costs the
sender a round trip through redis-py and every listening process a read, and a
group-commit batch publishes a dozen events at once (benchmarks/README.md, "The bus
on Redis"). A bundle stays under `MAX_WIRE_BYTES`, PostgreSQL NOTIFY's limit, so
several may leave one after another; they leave in the order their publishes came.
A lone publish is sent as a plain envelope, which processes of earlier releases read.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Final

# PostgreSQL's NOTIFY refuses a payload of 8,000 bytes or more; the rest is headroom.
# The publisher keeps every message under it (infra/publisher.py).
MAX_WIRE_BYTES: Final = 7000

# Bytes a bundle adds around its envelopes: `{"b":[` and `]}`, and a comma between two.
_BUNDLE_OVERHEAD: Final = 7


def wire_envelope(channel: str, message: str) -> str:
    """What one message is on the wire: its logical channel and itself (ASCII JSON)."""
    return json.dumps({"c": channel, "m": message}, separators=(",", ":"))


def _pair(channel: str, message: str) -> str:
    return json.dumps([channel, message], separators=(",", ":"))


def wire_messages(pairs: list[tuple[str, str]]) -> Iterator[str]:
    """`pairs` as few wire messages as fit the limit, in order.

    A group of one goes as a plain envelope, which fits: the publisher sees to that.
    """
    group: list[tuple[str, str]] = []
    items: list[str] = []
    size = _BUNDLE_OVERHEAD
    for channel, message in pairs:
        item = _pair(channel, message)
        if group and size + len(item) + 1 > MAX_WIRE_BYTES:
            yield _encoded(group, items)
            group, items, size = [], [], _BUNDLE_OVERHEAD
        group.append((channel, message))
        items.append(item)
        size += len(item) + 1
    if group:
        yield _encoded(group, items)


def _encoded(group: list[tuple[str, str]], items: list[str]) -> str:
    if len(group) == 1:
        return wire_envelope(*group[0])
    return '{"b":[' + ",".join(items) + "]}"


def read_wire_message(decoded: Any) -> list[tuple[str, str]]:
    """The (channel, message) pairs of a decoded wire message; raises on any other shape."""
    if "b" in decoded:
        pairs = [(item[0], item[1]) for item in decoded["b"]]
    else:
        pairs = [(decoded["c"], decoded["m"])]
    if not all(type(c) is str and type(m) is str for c, m in pairs):
        raise TypeError("wire message fields must be strings")
    return pairs


class _Outgoing:
    __slots__ = ("done", "pairs")

    def __init__(self, done: asyncio.Future[None]) -> None:
        self.pairs: list[tuple[str, str]] = []
        self.done = done


class CoalescingSender:
    """Sends publishes through `send(wire_message)` one wire message at a time, in order,
    gathering those that arrive while an earlier one is on its way.

    `publish` returns once its message was handed to the backend, and raises what the
    backend raised, as an unbatched publish would; a publisher cancelled meanwhile does
    not stop the send its neighbours wait for.
    """

    def __init__(self, send: Callable[[str], Awaitable[None]]) -> None:
        self._send = send
        self._open: _Outgoing | None = None  # the batch later publishes still join
        self._turn = asyncio.Lock()  # FIFO: batches leave in the order they formed
        self._senders: set[asyncio.Task[None]] = set()

    async def publish(self, pairs: list[tuple[str, str]]) -> None:
        """(channel, message) pairs, sent in this order after those published before."""
        if not pairs:
            return
        outgoing = self._open
        if outgoing is None:
            outgoing = self._open = _Outgoing(asyncio.get_running_loop().create_future())
            task = asyncio.create_task(self._send_when_its_turn(outgoing))
            self._senders.add(task)
            task.add_done_callback(self._senders.discard)
        outgoing.pairs += pairs
        await asyncio.shield(outgoing.done)

    async def _send_when_its_turn(self, outgoing: _Outgoing) -> None:
        done = outgoing.done
        try:
            async with self._turn:
                if self._open is outgoing:
                    self._open = None  # closed: later publishes wait for the next batch
                for wire in wire_messages(outgoing.pairs):
                    await self._send(wire)
        except asyncio.CancelledError:
            done.cancel()
            raise
        except Exception as exc:
            done.set_exception(exc)
            done.exception()  # retrieved: no "never retrieved" warning if all waiters left
        else:
            done.set_result(None)
        finally:
            if self._open is outgoing:  # cancelled before its turn
                self._open = None

    async def close(self) -> None:
        """Waits for what is already on its way (a bus disconnecting lets it leave)."""
        if self._senders:
            await asyncio.gather(*self._senders, return_exceptions=True)
