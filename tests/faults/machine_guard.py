"""What the machine's own PostgreSQL (5432) and Redis (6379) look like, read-only.

The fault tests break only their throwaway servers; a snapshot before and after the
run proves the shared ones were neither restarted nor reconfigured.
"""

from __future__ import annotations

import asyncio
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import asyncpg
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

MACHINE_HOST = "127.0.0.1"
MACHINE_PG_PORT = 5432
MACHINE_REDIS_PORT = 6379


@dataclass(frozen=True)
class MachineServers:
    pg_isready: str
    pg_postmaster_start_time: str | None
    redis_save: str | None
    redis_run_id: str | None
    redis_uptime_seconds: int | None

    def changes_since(self, before: MachineServers) -> list[str]:
        """What differs from `before`, except Redis uptime, which may only have grown."""
        changes = [
            f"{name}: {getattr(before, name)!r} -> {getattr(self, name)!r}"
            for name in ("pg_isready", "pg_postmaster_start_time", "redis_save", "redis_run_id")
            if getattr(before, name) != getattr(self, name)
        ]
        if (before.redis_uptime_seconds or 0) > (self.redis_uptime_seconds or 0):
            changes.append(
                f"redis uptime went back: {before.redis_uptime_seconds} -> "
                f"{self.redis_uptime_seconds} s"
            )
        return changes


def snapshot(
    host: str = MACHINE_HOST, pg_port: int = MACHINE_PG_PORT, redis_port: int = MACHINE_REDIS_PORT
) -> MachineServers:
    """Read-only: `pg_isready`, one SELECT, and Redis CONFIG GET / INFO."""
    redis_state = _redis_state(host, redis_port)
    return MachineServers(
        pg_isready=_pg_isready(host, pg_port),
        pg_postmaster_start_time=_postmaster_start_time(host, pg_port),
        redis_save=redis_state[0],
        redis_run_id=redis_state[1],
        redis_uptime_seconds=redis_state[2],
    )


def _pg_isready(host: str, port: int) -> str:
    try:
        done = subprocess.run(
            ["pg_isready", "-h", host, "-p", str(port)],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"pg_isready failed: {exc!r}"
    return f"exit {done.returncode}: {done.stdout.strip()}"


def _postmaster_start_time(host: str, port: int) -> str | None:
    async def query() -> str:
        conn = await asyncpg.connect(
            host=host, port=port, user="postgres", database="postgres", timeout=5
        )  # fmt: skip
        try:
            return str(await conn.fetchval("SELECT pg_postmaster_start_time()"))
        finally:
            await conn.close()

    # A loop of its own: this may be called while a test's loop is running.
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(asyncio.run, query()).result()
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return None


def _redis_state(host: str, port: int) -> tuple[str | None, str | None, int | None]:
    client = redis.Redis(
        host=host, port=port, socket_timeout=5, decode_responses=True, retry=Retry(NoBackoff(), 0)
    )  # no retries: a server that is down is simply reported as down
    try:
        save = client.config_get("save").get("save")
        server = client.info("server")
        return str(save), str(server["run_id"]), int(server["uptime_in_seconds"])
    except redis.RedisError:
        return None, None, None
    finally:
        client.close()
