"""Reading a request body with a size cap: the one reader of both services' HTTP routes.

Here, not in the API's `graph`, for the reason llm_service.db gives: the API depends on
the LLM service, never the other way round. uvicorn reads bodies without any limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive


class BodyTooLarge(Exception):
    """The body is longer than the route accepts; the route answers 413."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"the request body is over {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


async def read_capped_body(request: Request, limit_bytes: int) -> bytes:
    """The body, refused before reading when its declared length is over the cap, and
    as soon as the bytes read pass it (a body sent chunked declares no length)."""
    declared = request.headers.get("content-length", "")
    return await _capped(declared, request.stream(), limit_bytes)


async def read_capped_asgi_body(declared: str, receive: Receive, limit_bytes: int) -> bytes:
    """read_capped_body for a route written as a bare ASGI app (no Request): `declared`
    is the content-length header's value ("" when there is none)."""
    return await _capped(declared, _chunks(receive), limit_bytes)


async def _capped(declared: str, chunks: AsyncIterator[bytes], limit_bytes: int) -> bytes:
    if declared.isdigit() and int(declared) > limit_bytes:
        raise BodyTooLarge(limit_bytes)
    read: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit_bytes:
            raise BodyTooLarge(limit_bytes)
        read.append(chunk)
    return b"".join(read)


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The body's chunks as ASGI brings them, as `Request.stream` reads them."""
    while True:
        message = await receive()
        if message["type"] == "http.request":
            body: bytes = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                return
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()
