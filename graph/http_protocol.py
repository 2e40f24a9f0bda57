"""uvicorn's HTTP protocols with a deadline for each request's head (slowloris) and,
for httptools, a cap on its size.

uvicorn times out idle keep-alive connections, but not a request whose line and
headers arrive a byte at a time: each byte cancels the keep-alive timer, and nothing
else is armed until the headers are complete. A client that dribbles header bytes
holds its connection (and, under `limit_concurrency`, a place) forever. Here every
request head must be complete within `header_timeout` seconds of its first byte (of
the connection's opening, for the first request), or the connection is closed.

The server uses httptools (C, llhttp) when it is installed, as it is with
`uvicorn[standard]`: h11, pure Python, cost ~0.1 ms of CPU per request more. h11
caps an unfinished head itself (`h11_max_incomplete_event_size`); uvicorn's httptools
protocol has no cap, so HeadLimitsHttpToolsProtocol counts the bytes of an unfinished
head and answers 400 past `max_head_bytes`, as h11 does.

Both also close a connection whose client stopped reading (graph/write_stall.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from graph.write_stall import WriteStallDeadline

log = logging.getLogger(__name__)

TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\n"
    b"content-length: 37\r\n\r\n"
    b"Request headers took too long. Retry."
)


class HeadDeadline:
    """The head deadline both protocols share; each says when its head is pending."""

    header_timeout: float = 10.0
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _head_deadline: asyncio.TimerHandle | None

    def _head_pending(self) -> bool:
        raise NotImplementedError

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _cancel_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if self.transport.is_closing() or not self._head_pending():
            return
        log.info("closed a connection whose request head took over %.0f s", self.header_timeout)
        self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()


class HeaderTimeoutProtocol(HeadDeadline, WriteStallDeadline, H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    # uvicorn's H11Protocol narrows BaseProtocol's BaseTransport to Transport the same way.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing():
            self._cancel_head_deadline()
        elif self.conn.their_state is h11.IDLE:
            # Part of a request head so far: the clock runs from its first byte.
            self._arm_head_deadline()
        else:
            # The head is complete (or the connection became a websocket).
            self._cancel_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def _head_pending(self) -> bool:
        return self.conn.their_state is h11.IDLE


def header_timeout_protocol(
    header_timeout: float, write_stall_seconds: float = WriteStallDeadline.write_stall_seconds
) -> type[HeaderTimeoutProtocol]:
    """The h11 protocol class for `uvicorn.run(http=...)`, with these deadlines."""
    deadlines = {"header_timeout": header_timeout, "write_stall_seconds": write_stall_seconds}
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), deadlines)


def head_limits_protocol(
    header_timeout: float,
    max_head_bytes: int,
    write_stall_seconds: float = WriteStallDeadline.write_stall_seconds,
) -> type[asyncio.Protocol]:
    """httptools' protocol with these limits, or h11's when httptools is not installed
    (the caller then passes `h11_max_incomplete_event_size`: see `uses_httptools`)."""
    if not uses_httptools():
        return header_timeout_protocol(header_timeout, write_stall_seconds)
    from graph.httptools_protocol import HeadLimitsHttpToolsProtocol

    limits = {
        "header_timeout": header_timeout,
        "max_head_bytes": max_head_bytes,
        "write_stall_seconds": write_stall_seconds,
    }
    return type("HeadLimitsHttpToolsProtocol", (HeadLimitsHttpToolsProtocol,), limits)


def uses_httptools() -> bool:
    try:
        import httptools  # noqa: F401
    except ImportError:
        return False
    return True
