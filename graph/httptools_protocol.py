"""uvicorn's httptools protocol with the limits graph/http_protocol.py describes.

A head is "open" from its first byte (from the connection's opening, for the first
request) until its headers are complete. While one is open a deadline runs, and the
bytes received are counted: past `max_head_bytes` the request is refused with 400,
as h11 refuses an unfinished event over its size. The count may include the tail of
a pipelined request before it (the chunk a head starts in is counted whole): it can
only refuse early, never late. A client that stops reading is cut off as
graph/write_stall.py describes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from graph.http_protocol import HeadDeadline
from graph.write_stall import WriteStallDeadline

log = logging.getLogger(__name__)

# h11's answer to an unfinished head over its cap, through uvicorn.
_TOO_LARGE = "Invalid HTTP request received."


class HeadLimitsHttpToolsProtocol(HeadDeadline, WriteStallDeadline, HttpToolsProtocol):
    max_head_bytes: int = 16 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None
        self._head_open = True  # the first request's head is awaited from the start
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._head_open or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > self.max_head_bytes:
            log.info("refused a request head over %d bytes", self.max_head_bytes)
            self._head_open = False
            self._cancel_head_deadline()
            self.send_400_response(_TOO_LARGE)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    # httptools' callbacks: a message begins at its first byte; its head ends here.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_open = True
        self._head_bytes = 0
        self._arm_head_deadline()

    def on_headers_complete(self) -> None:
        self._head_open = False
        self._cancel_head_deadline()
        super().on_headers_complete()

    def _head_pending(self) -> bool:
        return self._head_open
