"""A connection whose client stops reading is dropped after HTTP_WRITE_STALL_SECONDS.

uvicorn's own protocols (h11, httptools, and its websocket protocol through an upgrade)
run with our deadlines mixed in, over a fake transport whose client reads nothing: what
the server writes stays buffered, `close()` waits for a flush that never comes, and
`abort()` hands the protocol `connection_lost` on the next tick, as asyncio's and
uvloop's transports do. The end-to-end case, under `python -m graph.serve` with a
client that never reads again, is in tests/faults/test_slow_http_subscriber.py.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from graph.http_protocol import head_limits_protocol, header_timeout_protocol
from graph.write_stall import write_stall_ws_protocol

STALL_SECONDS = 0.1
REQUEST = b"GET /stream HTTP/1.1\r\nHost: api\r\n\r\n"
WS_REQUEST = (
    b"GET /ws HTTP/1.1\r\nHost: api\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


class UnreadTransport(asyncio.Transport):
    """The server's side of a connection to a client that reads nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.protocol: Any = None
        self.written = bytearray()
        self.closing = False
        self.aborted = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol

    def get_protocol(self) -> Any:
        return self.protocol

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True  # and waits for the buffer to flush: never, here

    def abort(self) -> None:
        if not self.aborted:
            self.closing = self.aborted = True
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class StreamingApp:
    """Starts a response, then sends once more when told to: after the client stalled."""

    def __init__(self) -> None:
        self.send_more = asyncio.Event()
        self.seen: list[str] = []
        self.done = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            if scope["type"] == "websocket":
                await self._websocket(receive, send)
            else:
                await self._http(receive, send)
        finally:
            self.done.set()

    async def _http(self, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await self.send_more.wait()
        await send({"type": "http.response.body", "body": b"more", "more_body": True})
        self.seen.append("sent more")
        # The request's (empty) body, or the disconnect if the client is gone.
        if (await receive())["type"] == "http.disconnect":
            self.seen.append("client gone")
            return
        await send({"type": "http.response.body", "body": b"end", "more_body": False})
        self.seen.append("completed")

    async def _websocket(self, receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        await self.send_more.wait()
        try:
            await send({"type": "websocket.send", "text": "more"})
        except OSError:  # uvicorn's ClientDisconnected
            self.seen.append("client gone")
            return
        self.seen.append("sent more")


def connect(protocol_class: type[asyncio.Protocol], app: StreamingApp) -> UnreadTransport:
    config = Config(
        app=app,
        lifespan="off",
        proxy_headers=False,
        ws=write_stall_ws_protocol(STALL_SECONDS),
        ws_per_message_deflate=False,
    )
    protocol = protocol_class(  # type: ignore[call-arg]
        config=config, server_state=ServerState(), app_state={}
    )
    transport = UnreadTransport()
    transport.set_protocol(protocol)
    protocol.connection_made(transport)
    return transport


HTTP_PROTOCOLS = {
    "h11": header_timeout_protocol(10.0, STALL_SECONDS),
    "httptools": head_limits_protocol(10.0, 16 * 1024, STALL_SECONDS),
}


async def started(transport: UnreadTransport, request: bytes, app: StreamingApp) -> None:
    transport.protocol.data_received(request)
    for _ in range(20):
        await asyncio.sleep(0)
    assert transport.written, "the app's response never started"
    assert not app.done.is_set()


@pytest.mark.parametrize("parser", HTTP_PROTOCOLS)
async def test_a_response_to_a_client_that_stops_reading_ends_as_a_hang_up(
    parser: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = StreamingApp()
    transport = connect(HTTP_PROTOCOLS[parser], app)
    await started(transport, REQUEST, app)

    transport.protocol.pause_writing()  # the client stopped reading
    app.send_more.set()
    await asyncio.sleep(STALL_SECONDS / 2)
    assert not transport.aborted
    assert app.seen == []  # its send waits for the client

    await asyncio.wait_for(app.done.wait(), 2)
    assert transport.aborted
    # The app sees what it sees when a client hangs up; uvicorn logs nothing as an error.
    assert app.seen == ["sent more", "client gone"]
    assert b"more" not in transport.written
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


@pytest.mark.parametrize("parser", HTTP_PROTOCOLS)
async def test_a_client_that_reads_again_in_time_keeps_its_connection(parser: str) -> None:
    app = StreamingApp()
    transport = connect(HTTP_PROTOCOLS[parser], app)
    await started(transport, REQUEST, app)
    app.send_more.set()

    # Each stall shorter than the deadline, together longer: the clock runs per stall.
    for _ in range(3):
        transport.protocol.pause_writing()
        await asyncio.sleep(STALL_SECONDS * 0.6)
        transport.protocol.resume_writing()
    await asyncio.sleep(STALL_SECONDS * 1.5)

    assert not transport.aborted
    assert app.seen == ["sent more", "completed"]
    assert b"more" in transport.written


@pytest.mark.parametrize("parser", HTTP_PROTOCOLS)
async def test_a_websocket_whose_client_stops_reading_is_dropped(
    parser: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = StreamingApp()
    transport = connect(HTTP_PROTOCOLS[parser], app)
    await started(transport, WS_REQUEST, app)
    assert transport.written.startswith(b"HTTP/1.1 101 ")
    websocket = transport.get_protocol()
    assert type(websocket).__name__ == "WriteStallWebSocketProtocol"

    websocket.pause_writing()
    app.send_more.set()
    await asyncio.wait_for(app.done.wait(), 2)

    assert transport.aborted
    assert app.seen == ["client gone"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
