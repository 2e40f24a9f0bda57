"""Run the API with the server settings it needs: `python -m graph.serve`.

`uvicorn graph.app:app` works too, but these defaults matter: per-message
deflate off (it nearly doubles memory per websocket), a websocket message cap,
a graceful-shutdown window that lets in-flight requests finish on SIGTERM, and the
limits against slow or flooding clients: a deadline for each request's headers
(uvicorn has none: see graph/http_protocol.py), a keep-alive timeout, a cap on
header size, a cap on open connections, and a deadline for a client that stops reading
(graph/write_stall.py), on HTTP connections and websockets alike.
"""

from __future__ import annotations

import importlib
import os
import signal
from types import FrameType
from typing import Any

import uvicorn

from graph.http_protocol import head_limits_protocol, uses_httptools
from graph.write_stall import write_stall_ws_protocol
from graph.ws_protocol import MAX_WS_MESSAGE_BYTES
from infra.settings import Settings

GRACEFUL_SHUTDOWN_SECONDS = 20


def event_loop() -> str:
    """uvloop when installed (a dependency: `uvicorn[standard]`), else asyncio's own.

    The HTTP parser is httptools when installed, else h11, each with the head deadline
    and the header-size cap of graph/http_protocol.py.
    """
    try:
        importlib.import_module("uvloop")
    except ImportError:
        return "asyncio"
    return "uvloop"


def _stopped_on_request(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's settings for the API (also used by benchmarks that serve it in-process)."""
    max_head_bytes = settings.http_max_header_bytes
    h11_cap = {} if uses_httptools() else {"h11_max_incomplete_event_size": max_head_bytes}
    write_stall = settings.http_write_stall_seconds
    return {
        "http": head_limits_protocol(
            settings.http_header_timeout_seconds, max_head_bytes, write_stall
        ),
        **h11_cap,
        "ws": write_stall_ws_protocol(write_stall),
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        "limit_concurrency": settings.http_max_concurrency,
        "ws_per_message_deflate": False,
        "ws_max_size": MAX_WS_MESSAGE_BYTES,
        "ws_ping_interval": settings.ws_ping_seconds,
        "ws_ping_timeout": settings.ws_ping_timeout_seconds,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "log_level": os.environ.get("LOG_LEVEL", "info"),
        "proxy_headers": True,
    }


def main() -> None:
    # uvicorn drains on SIGTERM, then re-raises the signal to whatever handler was there
    # before it; with the default one the process would die of it (status 143) after a
    # clean shutdown. A stop that was asked for and drained is a success: exit 0.
    signal.signal(signal.SIGTERM, _stopped_on_request)
    settings = Settings()
    uvicorn.run(
        "graph.app:app",
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        loop=event_loop(),
        **server_options(settings),
    )


if __name__ == "__main__":
    main()
