"""Run the API with the server settings it needs: `python -m graph.serve`.

`uvicorn graph.app:app` works too, but these defaults matter: per-message
deflate off (it nearly doubles memory per websocket), a websocket message cap,
and a graceful-shutdown window that lets in-flight requests finish on SIGTERM.
"""

from __future__ import annotations

import os

import uvicorn

WS_MAX_MESSAGE_BYTES = 64 * 1024
GRACEFUL_SHUTDOWN_SECONDS = 20


def main() -> None:
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
