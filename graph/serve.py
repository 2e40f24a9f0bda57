"""Run the API with the server settings it needs: `python -m graph.serve`.

`uvicorn graph.app:app` works too, but these defaults matter: per-message
deflate off (it nearly doubles memory per websocket), a websocket message cap,
and a graceful-shutdown window that lets in-flight requests finish on SIGTERM.
"""

from __future__ import annotations

import os
import signal
from types import FrameType

import uvicorn

WS_MAX_MESSAGE_BYTES = 64 * 1024
GRACEFUL_SHUTDOWN_SECONDS = 20


def _stopped_on_request(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main() -> None:
    # uvicorn drains on SIGTERM, then re-raises the signal to whatever handler was there
    # before it; with the default one the process would die of it (status 143) after a
    # clean shutdown. A stop that was asked for and drained is a success: exit 0.
    signal.signal(signal.SIGTERM, _stopped_on_request)
    uvicorn.run(
        "graph.app:app",
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        ws_per_message_deflate=False,
        ws_max_size=WS_MAX_MESSAGE_BYTES,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_level=os.environ.get("LOG_LEVEL", "info"),
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
