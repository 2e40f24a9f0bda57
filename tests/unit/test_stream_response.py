"""An SSE or multipart stream hung up on ends as its protocol ends a failed stream.

StreamResponse runs against a fake server connection that behaves as uvicorn's does
where it matters: a body message is written whole once the connection can take it,
and a send waits while the client is not reading. The end-to-end case, under uvicorn
with a client that stops reading, is tests/faults/test_slow_http_subscriber.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from starlette.types import Message
from strawberry.http.streaming import (
    HTTPStreamTransport,
    MultipartSubscriptionTransport,
    SSETransport,
)

from graph.http_responses import GraphQLSubResponse, StreamResponse

TOO_SLOW = "subscriber too slow; resume with afterSequence"


class Connection:
    """The server's side of one response; its client stops reading after `reads` messages."""

    def __init__(self, reads: int | None = None) -> None:
        self.written: list[Message] = []
        self.reads = reads
        self.writable = asyncio.Event()
        self.writable.set()
        self.gone = asyncio.Event()
        self.waiting_to_write = asyncio.Event()

    async def send(self, message: Message) -> None:
        if len(self.written) == self.reads:
            self.writable.clear()
        if not self.writable.is_set():
            self.waiting_to_write.set()
            await self.writable.wait()
        self.written.append(message)

    async def receive(self) -> Message:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    def body(self) -> str:
        return "".join(m.get("body", b"").decode() for m in self.written[1:])


class Events:
    """An endless stream of encoded events that notes when it is closed."""

    def __init__(self, transport: HTTPStreamTransport) -> None:
        self.transport = transport
        self.sent = 0
        self.closed = False

    async def __call__(self) -> AsyncIterator[str]:
        try:
            while True:
                self.sent += 1
                yield self.transport.encode_next({"data": {"n": self.sent}}, json.dumps)
                await asyncio.sleep(0)
        finally:
            self.closed = True


class Slots:
    def __init__(self) -> None:
        self.released = 0

    def release(self) -> None:
        self.released += 1


def stream_response(
    events: Events, slots: Slots, sub_response: GraphQLSubResponse
) -> StreamResponse:
    return StreamResponse(
        events(),
        sub_response=sub_response,
        on_close=slots.release,
        transport=events.transport,
        encode_json=json.dumps,
        headers=dict(events.transport.headers),
    )


async def hung_up_while_stalled(
    transport: HTTPStreamTransport,
) -> tuple[Connection, Events, Slots, asyncio.Task[None]]:
    """A stream whose client stopped reading, just hung up on; the response still runs."""
    connection, events, slots = Connection(reads=4), Events(transport), Slots()
    sub_response = GraphQLSubResponse(graphql_response_json=False)
    response = stream_response(events, slots, sub_response)
    scope = {"type": "http", "asgi": {"spec_version": "2.4"}}
    serving = asyncio.create_task(response(scope, connection.receive, connection.send))
    await asyncio.wait_for(connection.waiting_to_write.wait(), 5)
    assert sub_response.hang_up is not None
    sub_response.hang_up(TOO_SLOW)
    for _ in range(10):
        await asyncio.sleep(0)
    return connection, events, slots, serving


@pytest.mark.parametrize("transport", [SSETransport(), MultipartSubscriptionTransport()])
async def test_a_stream_hung_up_on_ends_with_the_error_once_its_client_reads(
    transport: HTTPStreamTransport,
) -> None:
    connection, events, slots, serving = await hung_up_while_stalled(transport)
    # Given back at once, while the client still reads nothing.
    assert events.closed
    assert slots.released == 1
    assert not serving.done()
    written_before = connection.body()

    connection.writable.set()  # the client reads again
    await asyncio.wait_for(serving, 5)

    ending = transport.encode_next({"data": None, "errors": [{"message": TOO_SLOW}]}, json.dumps)
    ending += transport.encode_complete()
    assert connection.body() == written_before + ending
    assert connection.written[-1]["more_body"] is False
    # The events before it went out whole and in order; the one waiting to be written
    # when the stream was hung up on never did.
    chunks = [message["body"].decode() for message in connection.written[1:-1]]
    assert chunks == [
        transport.encode_next({"data": {"n": n}}, json.dumps) for n in range(1, events.sent)
    ]
    assert slots.released == 1


async def test_a_client_gone_before_taking_the_ending_ends_the_response() -> None:
    connection, events, slots, serving = await hung_up_while_stalled(SSETransport())

    connection.gone.set()
    await asyncio.wait_for(serving, 5)

    assert events.closed
    assert slots.released == 1
    assert "event: complete" not in connection.body()


async def test_a_stream_that_ends_by_itself_is_not_given_an_error() -> None:
    connection, slots = Connection(), Slots()
    transport = SSETransport()

    async def two_events() -> AsyncIterator[str]:
        yield transport.encode_next({"data": {"n": 1}}, json.dumps)
        yield transport.encode_complete()

    sub_response = GraphQLSubResponse(graphql_response_json=False)
    response = StreamResponse(
        two_events(),
        sub_response=sub_response,
        on_close=slots.release,
        transport=transport,
        encode_json=json.dumps,
    )
    scope = {"type": "http", "asgi": {"spec_version": "2.4"}}
    await asyncio.wait_for(response(scope, connection.receive, connection.send), 5)

    assert connection.body() == 'event: next\r\ndata: {"data": {"n": 1}}\r\n\r\n' + (
        "event: complete\r\ndata: \r\n\r\n"
    )
    assert connection.written[-1]["more_body"] is False
    assert slots.released == 1
    assert sub_response.hang_up is None
