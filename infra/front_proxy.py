"""A small load-balancing front: HTTP and websockets, round-robin over upstream servers.

For `make run-cluster` and its tests: one port in front of several API processes
(or LLM-service workers). Each HTTP request and each websocket connection goes to
the next upstream in turn; a websocket is then pumped both ways, frame for frame,
until either side closes (the close code and reason are passed on). Responses are
streamed, so SSE and multipart subscriptions pass through. Not a production
proxy: no health checks, no retries (an upstream that is down answers 502).

    python -m infra.front_proxy --port 8000 --upstream http://127.0.0.1:8001 \
        --upstream http://127.0.0.1:8002
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

log = logging.getLogger(__name__)

# Headers about one hop, never forwarded (RFC 9110 section 7.6.1), plus those httpx sets.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
     "transfer-encoding", "upgrade", "host", "content-length"}
)  # fmt: skip
# What a websocket upstream needs to see of the client's handshake.
WS_FORWARDED = ("authorization", "cookie", "origin", "user-agent")
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
UPSTREAM_TIMEOUT = httpx.Timeout(30.0, read=None)  # subscriptions over HTTP stay open
MAX_WS_MESSAGE_BYTES = 1 << 20


class RoundRobin:
    def __init__(self, upstreams: Iterable[str]) -> None:
        self.upstreams = [u.rstrip("/") for u in upstreams]
        if not self.upstreams:
            raise ValueError("at least one upstream is needed")
        self._next = itertools.cycle(self.upstreams)

    def pick(self) -> str:
        return next(self._next)


def forwarded_headers(headers: Iterable[tuple[str, str]], client: str) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
    return [*kept, ("x-forwarded-for", client), ("x-forwarded-proto", "http")]


def create_proxy(upstreams: Iterable[str]) -> Starlette:
    balance = RoundRobin(upstreams)
    client = httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT, follow_redirects=False)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await client.aclose()

    async def forward(request: Request) -> Response:
        target = balance.pick() + request.url.path
        if request.url.query:
            target += "?" + request.url.query
        peer = request.client.host if request.client else "unknown"
        upstream_request = client.build_request(
            request.method, target, content=await request.body(),
            headers=forwarded_headers(request.headers.items(), peer),
        )  # fmt: skip
        try:
            upstream = await client.send(upstream_request, stream=True)
        except httpx.HTTPError as exc:
            log.warning("upstream %s unreachable: %s", target, type(exc).__name__)
            return Response("upstream unreachable\n", status_code=502)
        headers = [(k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP]
        return StreamingResponse(
            upstream.aiter_raw(), status_code=upstream.status_code, headers=dict(headers),
            background=BackgroundTask(upstream.aclose),
        )  # fmt: skip

    async def tunnel(websocket: WebSocket) -> None:
        target = balance.pick().replace("http", "ws", 1) + websocket.url.path
        if websocket.url.query:
            target += "?" + websocket.url.query
        offered = [Subprotocol(p.strip()) for p in _offered_subprotocols(websocket)]
        extra = [(k, websocket.headers[k]) for k in WS_FORWARDED if k in websocket.headers]
        try:
            upstream = await connect(
                target, subprotocols=offered or None, additional_headers=extra,
                compression=None, max_size=MAX_WS_MESSAGE_BYTES, ping_interval=None,
                open_timeout=10,
            )  # fmt: skip
        except InvalidStatus as exc:
            await websocket.close(code=1011, reason=f"upstream refused: {exc.response.status_code}")
            return
        except (OSError, InvalidHandshake, TimeoutError):
            await websocket.close(code=1011, reason="upstream unreachable")
            return
        await websocket.accept(subprotocol=upstream.subprotocol)
        await _pump(websocket, upstream)

    routes = [
        WebSocketRoute("/{path:path}", tunnel),
        Route("/{path:path}", forward, methods=METHODS),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def _offered_subprotocols(websocket: WebSocket) -> list[str]:
    header = websocket.headers.get("sec-websocket-protocol", "")
    return [p for p in header.split(",") if p.strip()]


async def _pump(websocket: WebSocket, upstream: ClientConnection) -> None:
    """Frames both ways until one side closes; the other is closed with its code."""

    async def client_to_upstream() -> None:
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    await upstream.close(code=message.get("code", 1000))
                    return
                data: Any = message.get("text") or message.get("bytes")
                if data is not None:
                    await upstream.send(data)
        except (WebSocketDisconnect, ConnectionClosed):
            await upstream.close()

    async def upstream_to_client() -> None:
        try:
            async for data in upstream:
                if isinstance(data, str):
                    await websocket.send_text(data)
                else:
                    await websocket.send_bytes(data)
        except ConnectionClosed:
            pass
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(
                code=upstream.close_code or 1011, reason=upstream.close_reason or ""
            )

    tasks = [asyncio.create_task(client_to_upstream()), asyncio.create_task(upstream_to_client())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await upstream.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", action="append", required=True, help="http://host:port")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    uvicorn.run(
        create_proxy(args.upstream), host=args.host, port=args.port, log_level=args.log_level,
        ws_per_message_deflate=False, ws_max_size=MAX_WS_MESSAGE_BYTES,
    )  # fmt: skip


if __name__ == "__main__":
    main()
