"""`make run-cluster`: two API processes, two LLM-service workers, and a front, on one machine.

    front :8000 (infra.front_proxy) -> API :8001, API :8002      (python -m graph.serve)
    LLM front :8100 (infra.front_proxy) -> worker :8101, worker :8102
                                           (mission-planner llm-service serve)

The API processes share one PostgreSQL database (DATABASE, created if missing) and
their events over Redis (BROADCAST_URL); they reach the workers through the LLM
front, and the workers send their webhooks to the front, so a webhook may land on
either API process. The workers share one job table (DATABASE + "_llm"). Redis is a
`redis-server` of the cluster's own on --redis-port, persisting nothing: Redis
pub/sub ignores the db index, so sharing the machine's Redis would mix the
cluster's events with every test run's. Pass --redis-url to use another one.
Ctrl-C (or SIGTERM) stops everything, fronts first.

    python -m infra.cluster                         # the ports above
    python -m infra.cluster --base-port 9000        # 9000, 9001, 9002, 9100, ...
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

START_TIMEOUT_SECONDS = 60.0
POSTGRES_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@dataclass
class Child:
    """One process of the cluster, with its log file and a health URL."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    health_path: str | None = "/healthz"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._healthy():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start; see {self.log_path}")
            time.sleep(0.1)

    def _healthy(self) -> bool:
        if self.health_path is None:
            return _port_open(self.port)
        try:
            return httpx.get(self.url + self.health_path, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if not self.running():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--base-port", type=int, default=8000, help="the front; APIs at +1, +2")
    p.add_argument("--llm-base-port", type=int, help="the LLM front (default: base + 100)")
    p.add_argument("--redis-port", type=int, help="the cluster's redis-server (default: base + 90)")
    p.add_argument("--redis-url", help="use this Redis instead of starting one")
    p.add_argument("--database", default="mission_planner_cluster")
    p.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    p.add_argument("--data-dir", type=Path, default=Path(".data/cluster"))
    p.add_argument("--step-delay-ms", default="300", help="OFFLINE_STEP_DELAY_MS of the workers")
    return p.parse_args(argv)


async def ensure_database(admin_url: str, name: str) -> None:
    if not name.isidentifier():
        raise SystemExit(f"database name must be an identifier: {name!r}")
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            found = await conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if found.first() is None:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


def cluster_secrets(data_dir: Path) -> dict[str, str]:
    """The shared secrets: from the environment, else made once and kept in the data dir."""
    names = ("AUTH_JWT_SECRET", "LLM_SERVICE_API_SECRET", "LLM_WEBHOOK_SECRET")
    stored = data_dir / "secrets.env"
    values: dict[str, str] = {}
    if stored.exists():
        for line in stored.read_text().splitlines():
            key, _, value = line.partition("=")
            values[key] = value
    made = {
        "AUTH_JWT_SECRET": secrets.token_urlsafe(32),
        "LLM_SERVICE_API_SECRET": secrets.token_urlsafe(32),
        "LLM_WEBHOOK_SECRET": "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    chosen = {n: os.environ.get(n) or values.get(n) or made[n] for n in names}
    stored.write_text("".join(f"{k}={v}\n" for k, v in chosen.items()))
    stored.chmod(0o600)
    return chosen


def plan(args: argparse.Namespace) -> tuple[list[Child], Child | None, str]:
    """The processes in start order (fronts last), the redis-server if ours, its URL."""
    base = args.base_port
    llm_base = args.llm_base_port or base + 100
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    shared = {**os.environ, **cluster_secrets(data_dir)}
    python = sys.executable
    redis: Child | None = None
    redis_url = args.redis_url
    if redis_url is None:
        port = args.redis_port or base + 90
        (data_dir / "redis").mkdir(exist_ok=True)
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(data_dir / "redis")]  # fmt: skip
        redis = Child("redis", argv, shared, port, data_dir / "redis.log", health_path=None)
        redis_url = f"redis://127.0.0.1:{port}/0"
    api_db = f"{args.postgres}/{args.database}"
    llm_db = f"{args.postgres}/{args.database}_llm"
    children: list[Child] = []
    for n in (1, 2):
        port = llm_base + n
        env = {**shared, "LLM_DATABASE_URL": llm_db, "LLM_PROVIDER": "offline",
               "OFFLINE_STEP_DELAY_MS": args.step_delay_ms,
               "DATA_DIR": str(data_dir / f"llm{n}")}  # fmt: skip
        argv = [python, "-m", "infra.cli", "llm-service", "serve", "--port", str(port),
                "--log-level", "warning"]  # fmt: skip
        children.append(Child(f"llm-worker-{n}", argv, env, port, data_dir / f"llm{n}.log"))
    children.append(_front("llm-front", llm_base, children[-2:], shared, data_dir))
    front_url = f"http://127.0.0.1:{base}"
    for n in (1, 2):
        port = base + n
        env = {**shared, "DATABASE_URL": api_db, "BROADCAST_URL": redis_url, "HOST": "127.0.0.1",
               "PORT": str(port), "LLM_SERVICE_URL": f"http://127.0.0.1:{llm_base}",
               "PUBLIC_BASE_URL": front_url, "DATA_DIR": str(data_dir / f"api{n}"),
               "LOG_LEVEL": "warning"}  # fmt: skip
        argv = [python, "-m", "graph.serve"]
        children.append(Child(f"api-{n}", argv, env, port, data_dir / f"api{n}.log"))
    children.append(_front("front", base, children[-2:], shared, data_dir))
    return children, redis, redis_url


def _front(
    name: str, port: int, upstreams: list[Child], env: dict[str, str], data_dir: Path
) -> Child:
    argv = [sys.executable, "-m", "infra.front_proxy", "--port", str(port)]
    for upstream in upstreams:
        argv += ["--upstream", upstream.url]
    return Child(name, argv, env, port, data_dir / f"{name}.log")


class Stop(Exception):
    pass


def _stop_requested(signum: int, frame: FrameType | None) -> None:
    raise Stop()


def run(args: argparse.Namespace) -> int:
    if args.redis_url is None and shutil.which("redis-server") is None:
        raise SystemExit("redis-server not found: apt-get install redis-server, or --redis-url")
    admin = f"{args.postgres}/postgres"
    for name in (args.database, f"{args.database}_llm"):
        asyncio.run(ensure_database(admin, name))
    children, redis, redis_url = plan(args)
    started: list[Child] = []
    signal.signal(signal.SIGTERM, _stop_requested)
    signal.signal(signal.SIGINT, _stop_requested)
    try:
        for child in [c for c in (redis,) if c is not None] + children:
            child.start()
            started.append(child)
            print(f"{child.name:12} {child.url}  (log {child.log_path})", flush=True)
        print(f"cluster ready: http://127.0.0.1:{args.base_port}/graphql  (Redis {redis_url})",
              flush=True)  # fmt: skip
        while all(c.running() for c in started):
            time.sleep(0.5)
        dead = [c.name for c in started if not c.running()]
        print(f"stopping: {', '.join(dead)} exited", flush=True)
        return 1
    except Stop:
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for child in reversed(started):
            child.stop()


def main() -> None:
    sys.exit(run(parse_args()))


if __name__ == "__main__":
    main()
