"""An ASGI app served by uvicorn on a free loopback port, inside the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from tests.conftest import free_port
from tests.support.waiting import wait_until


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Yields the server's base URL (`http://127.0.0.1:<port>`); stops it without waiting
    for requests still open (a receiver that hangs on purpose must not hold the test)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name=f"local-server-{port}")
    try:
        await wait_until(lambda: server.started or task.done(), what="the local server to start")
        if task.done():
            task.result()  # raises what stopped it
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True
        await task
