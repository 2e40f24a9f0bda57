"""Reading a request body with a size cap: the one reader of both services' HTTP routes.

Here, not in the API's `graph`, for the reason llm_service.db gives: the API depends on
the LLM service, never the other way round. uvicorn reads bodies without any limit.
"""

from __future__ import annotations

from starlette.requests import Request


class BodyTooLarge(Exception):
    """The body is longer than the route accepts; the route answers 413."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"the request body is over {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


async def read_capped_body(request: Request, limit_bytes: int) -> bytes:
    """The body, refused before reading when its declared length is over the cap, and
    as soon as the bytes read pass it (a body sent chunked declares no length)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit_bytes:
        raise BodyTooLarge(limit_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit_bytes:
            raise BodyTooLarge(limit_bytes)
        chunks.append(chunk)
    return b"".join(chunks)
