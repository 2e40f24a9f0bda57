"""The capped body reader every HTTP route of both services uses (llm_service.http_body):
the API's /graphql and webhook route and the LLM service's API answer 413 through it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from llm_service.http_body import BodyTooLarge, read_capped_body

LIMIT = 1000


async def echo_length(request: Request) -> JSONResponse:
    try:
        body = await read_capped_body(request, LIMIT)
    except BodyTooLarge as refused:
        return JSONResponse({"limit_bytes": refused.limit_bytes}, status_code=413)
    return JSONResponse({"length": len(body)})


APP = Starlette(routes=[Route("/", echo_length, methods=["POST"])])


async def post(content: bytes | AsyncIterator[bytes], **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://body.test") as client:
        return await client.post("/", content=content, headers=headers)


async def chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


async def test_a_body_at_the_cap_is_read_whole() -> None:
    response = await post(b"x" * LIMIT)
    assert (response.status_code, response.json()) == (200, {"length": LIMIT})


async def test_a_declared_length_over_the_cap_is_refused() -> None:
    response = await post(b"x" * (LIMIT + 1))
    assert (response.status_code, response.json()) == (413, {"limit_bytes": LIMIT})


async def test_a_chunked_body_is_refused_once_it_passes_the_cap() -> None:
    response = await post(chunks(count=20, size=100))  # no content-length: 2,000 bytes
    assert (response.status_code, response.json()) == (413, {"limit_bytes": LIMIT})
