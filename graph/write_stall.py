"""A deadline for a connection whose client stopped reading (HTTP and websockets).

uvicorn waits in its flow control for as long as the transport stays paused for
writing (its buffer above the high-water mark): an HTTP send in `FlowControl.drain`, a
websocket send on its `writable` event, with no bound. A client that starts a long
response (a subscription stream, a large body) and then never reads holds its
connection, the buffers and whatever the response holds, for ever. uvicorn's own
timeouts do not free it: its keep-alive and websocket ping timeouts call
`transport.close()`, which waits for the buffer to flush first, and a client that does
not read never lets it flush.

Here a transport paused for writing longer than `write_stall_seconds` is aborted.
uvicorn then sees the connection lost, as when a client hangs up: the app's pending
send returns (a websocket's raises ClientDisconnected, which uvicorn expects), it
receives `http.disconnect` (`websocket.disconnect`), and nothing is logged as an
error. It costs one timer per pause, none per write: armed by `pause_writing`,
cancelled by `resume_writing`.
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

log = logging.getLogger(__name__)


class WriteStallDeadline(asyncio.BaseProtocol):
    """Mixed in before one of uvicorn's protocols, which gives `loop` and `transport`."""

    write_stall_seconds: float = 60.0
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    client: tuple[str, int] | None
    # Set only while paused: a connection that never stalls carries no timer.
    _write_stall: asyncio.TimerHandle | None = None

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_stall is None:
            self._write_stall = self.loop.call_later(self.write_stall_seconds, self._stalled)

    def resume_writing(self) -> None:
        self._cancel_write_stall()
        super().resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_write_stall()
        super().connection_lost(exc)

    def _cancel_write_stall(self) -> None:
        if self._write_stall is not None:
            self._write_stall.cancel()
            self._write_stall = None

    def _stalled(self) -> None:
        self._write_stall = None
        # Upgraded to a websocket while paused: the transport's resume_writing now goes to
        # the websocket's protocol, so this one cannot tell whether the client reads. A
        # transport already closing is aborted all the same: it is waiting for a flush.
        if self.transport.get_protocol() is not self:
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        seconds = self.write_stall_seconds
        log.warning("closed the connection of %s: it read nothing for %g s", client, seconds)
        # Not close(): it would wait for the buffer to flush, which is what never happens.
        self.transport.abort()


class WriteStallWebSocketProtocol(WriteStallDeadline, WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol (`ws="auto"` with websockets installed) with the deadline."""


def write_stall_ws_protocol(write_stall_seconds: float) -> type[WriteStallWebSocketProtocol]:
    """The websocket protocol class for `uvicorn.run(ws=...)`, with this deadline."""
    deadline = {"write_stall_seconds": write_stall_seconds}
    return type("WriteStallWebSocketProtocol", (WriteStallWebSocketProtocol,), deadline)
