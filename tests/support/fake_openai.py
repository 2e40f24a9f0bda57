"""A fake OpenAI-compatible chat completions server, on a real loopback socket.

It streams SSE the way OpenAI and OpenRouter do (a keep-alive comment, a role
delta, content deltas, a finish_reason chunk, a usage chunk with OpenRouter's
`cost`, then `data: [DONE]`) and can instead be told, one `Reply` per request, to
answer an HTTP error, stall, drop the connection or send a malformed chunk. It
records every request, and every stream the client closed before its end.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

MODEL = "anthropic/claude-sonnet-4"
SERVED_MODEL = "anthropic/claude-4-sonnet-20250522"
PARTS = ("# Mission Plan\n\n", "## Executive Summary\n", "Store water. ", "Pack a radio.\n")
USAGE = {"prompt_tokens": 120, "completion_tokens": 340, "total_tokens": 460, "cost": 0.00621}


class DropConnection(Exception):
    """Raised inside the response: uvicorn then closes the socket mid-body."""


@dataclass(frozen=True)
class Reply:
    """What the server answers to one request."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None  # the JSON body of an error status
    parts: tuple[str, ...] = PARTS  # the content deltas of a 200 stream
    usage: dict[str, Any] | None = field(default_factory=lambda: dict(USAGE))
    interval: float = 0.0  # seconds between content deltas
    # After this many content deltas: stall (sleep `stall_seconds`), drop, or send `raw`.
    stall_after: int | None = None
    stall_seconds: float = 30.0
    drop_after: int | None = None
    raw_after: int | None = None
    raw: str = '{"choices": [{"delta": {"content": "unterminated'

    @classmethod
    def http_error(cls, status: int, message: str = "nope", **fields: Any) -> Reply:
        headers = fields.pop("headers", {})
        return cls(status=status, headers=headers, error={"message": message, **fields})


@dataclass
class SeenRequest:
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


@dataclass
class FakeOpenAI:
    replies: list[Reply] = field(default_factory=list)  # consumed in order, then `default`
    default: Reply = field(default_factory=Reply)
    requests: list[SeenRequest] = field(default_factory=list)
    # When the client closed a stream before the server finished it (monotonic seconds).
    disconnects: list[float] = field(default_factory=list)
    base_url: str = ""

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if self.replies else self.default

    def app(self) -> Starlette:
        async def chat_completions(request: Request) -> Response:
            self.requests.append(
                SeenRequest(dict(request.headers), await request.json(), time.monotonic())
            )
            reply = self.next_reply()
            if reply.status != 200:
                return JSONResponse(
                    {"error": reply.error}, status_code=reply.status, headers=reply.headers
                )
            return _SSEStream(self, reply)

        return Starlette(routes=[Route("/v1/chat/completions", chat_completions, methods=["POST"])])


class _SSEStream(Response):
    def __init__(self, fake: FakeOpenAI, reply: Reply) -> None:
        super().__init__(media_type="text/event-stream")
        self._fake = fake
        self._reply = reply

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        streaming = asyncio.ensure_future(self._stream(send))
        disconnected = asyncio.ensure_future(_disconnect(receive))
        done, _ = await asyncio.wait({streaming, disconnected}, return_when="FIRST_COMPLETED")
        if streaming in done:
            disconnected.cancel()
            streaming.result()  # re-raises DropConnection
            return
        self._fake.disconnects.append(time.monotonic())
        streaming.cancel()

    async def _stream(self, send: Send) -> None:
        reply = self._reply

        async def event(data: str) -> None:
            await send({"type": "http.response.body", "body": data.encode(), "more_body": True})

        await event(": OPENROUTER PROCESSING\n\n")
        await event(_chunk({"role": "assistant", "content": ""}))
        for index, part in enumerate(reply.parts):
            if index == reply.stall_after:
                await asyncio.sleep(reply.stall_seconds)
            if index == reply.drop_after:
                raise DropConnection("the fake server drops the connection")
            if index == reply.raw_after:
                await event(f"data: {reply.raw}\n\n")
            if reply.interval:
                await asyncio.sleep(reply.interval)
            await event(_chunk({"content": part}))
        await event(_chunk({}, finish_reason="stop"))
        if reply.usage is not None:
            await event(_data({**_envelope(), "choices": [], "usage": reply.usage}))
        await event("data: [DONE]\n\n")
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _envelope() -> dict[str, Any]:
    return {
        "id": "gen-fake-1",
        "object": "chat.completion.chunk",
        "created": 1_760_000_000,
        "model": SERVED_MODEL,
    }


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> str:
    choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
    return _data({**_envelope(), "choices": [choice]})


def _data(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload)}\n\n"


@asynccontextmanager
async def running_fake_openai(**fields: Any) -> AsyncIterator[FakeOpenAI]:
    """The fake on a free loopback port, served by uvicorn in this event loop."""
    fake = FakeOpenAI(**fields)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    fake.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    config = uvicorn.Config(fake.app(), log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield fake
    finally:
        server.should_exit = True
        # Open streams (a stalled one) would hold a graceful shutdown for their full length.
        server.force_exit = True
        await task
        sock.close()
