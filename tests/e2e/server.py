"""Start the real service (`uvicorn graph.app:app`) on a free port, as a user would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from infra.auth import TokenAuthenticator
from tests.conftest import free_port

JWT_SECRET = "e2e-test-secret-with-enough-entropy-0123456789"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Generous: a start normally takes a second or two, but on a loaded 2-core machine (CI runs
# the suite in parallel workers) importing the app alone has taken over 30 s.
START_TIMEOUT_SECONDS = 120.0


@dataclass
class RunningServer:
    data_dir: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    # What runs after `python`: the API by default; `llm_service_command` for the service.
    command: tuple[str, ...] = ("-m", "graph.serve")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def token(self, user_id: str, **kwargs: Any) -> str:
        return TokenAuthenticator(JWT_SECRET).mint(user_id, **kwargs)

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> RunningServer:
        env = {
            **os.environ,
            "DATA_DIR": str(self.data_dir),
            "AUTH_JWT_SECRET": JWT_SECRET,
            "OFFLINE_STEP_DELAY_MS": "150",
            # The plan's text at once; a test that watches it stream sets a pace.
            "OFFLINE_CHUNK_DELAY_MS": "0",
            "PORT": str(self.port),
            "LOG_LEVEL": "warning",
            **self.env_overrides,
        }
        self.log_path = self.data_dir / f"server-{self.port}.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, *self.command],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_text()}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout}s:\n{self.log_text()}")

    def llm_service_command(self) -> tuple[str, ...]:
        """The standalone LLM service (`mission-planner llm-service serve`) on this port."""
        port = str(self.port)
        return ("-m", "infra.cli", "llm-service", "serve", "--port", port, "--log-level", "warning")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""
