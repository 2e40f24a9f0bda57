"""Run the LLM service on its own: `mission-planner llm-service serve --port 8100`.

It reads LLM_DATABASE_URL (default: a SQLite file in DATA_DIR), LLM_SERVICE_API_SECRET
and LLM_WEBHOOK_SECRET, migrates its database at start and runs the jobs it holds,
resuming those a previous process left queued or running. The API reaches it with
LLM_SERVICE_URL and the same two secrets.
"""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn

GRACEFUL_SHUTDOWN_SECONDS = 20


def _stopped_on_request(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(host: str = "127.0.0.1", port: int = 8100, log_level: str = "info") -> None:
    # As in graph.serve: a SIGTERM that drained cleanly is a success (exit 0), not status 143.
    signal.signal(signal.SIGTERM, _stopped_on_request)
    uvicorn.run(
        "llm_service.app:app",
        host=host,
        port=port,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_level=log_level,
        proxy_headers=True,
    )
