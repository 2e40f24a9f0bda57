"""The end-of-session check of the machine's servers sees a restart or a lost setting.

Shown on the throwaway servers: restarting them is what the old fault tests did to
the machine's, and the check must have caught it.
"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from tests.faults.conftest import postgres_stopped, redis_stopped
from tests.faults.machine_guard import MachineServers, snapshot
from tests.faults.servers import HOST, ThrowawayPostgres, ThrowawayRedis


def _ours(postgres: ThrowawayPostgres, redis: ThrowawayRedis) -> MachineServers:
    return snapshot(HOST, pg_port=postgres.port, redis_port=redis.port)


async def test_the_guard_sees_both_servers_restarted(
    throwaway_postgres: ThrowawayPostgres, throwaway_redis: ThrowawayRedis
) -> None:
    before = await asyncio.to_thread(_ours, throwaway_postgres, throwaway_redis)
    assert before.pg_postmaster_start_time and before.redis_run_id, before
    assert before.pg_isready.startswith("exit 0"), before
    assert (await asyncio.to_thread(_ours, throwaway_postgres, throwaway_redis)).changes_since(
        before
    ) == []

    async with postgres_stopped(throwaway_postgres), redis_stopped(throwaway_redis):
        during = await asyncio.to_thread(_ours, throwaway_postgres, throwaway_redis)
    after = await asyncio.to_thread(_ours, throwaway_postgres, throwaway_redis)

    assert {c.split(":")[0] for c in during.changes_since(before)} >= {
        "pg_isready",
        "pg_postmaster_start_time",
        "redis_run_id",
    }
    changed = {c.split(":")[0] for c in after.changes_since(before)}
    assert {"pg_postmaster_start_time", "redis_run_id"} <= changed, changed


async def test_the_guard_sees_a_lost_redis_setting(
    throwaway_postgres: ThrowawayPostgres, throwaway_redis: ThrowawayRedis
) -> None:
    before = await asyncio.to_thread(_ours, throwaway_postgres, throwaway_redis)
    client = aioredis.Redis(host=HOST, port=throwaway_redis.port)
    try:
        await client.config_set("save", "3600 1")
        after = await asyncio.to_thread(_ours, throwaway_postgres, throwaway_redis)
    finally:
        await client.config_set("save", "")
        await client.aclose()
    assert after.changes_since(before) == ["redis_save: '' -> '3600 1'"]
