"""Redis goes away while clients subscribe: they resynchronise and lose no terminal event."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime

import pytest
import redis.asyncio as aioredis

from infra.settings import Settings
from tests.faults.conftest import (
    MISSION_EVENTS_QUERY,
    MY_EVENTS_QUERY,
    Collector,
    StartServer,
    assert_ends_with_the_completion,
    assert_in_order_without_gaps,
    log_tail,
    new_user,
    poll,
    redis_stopped,
    submit_plan,
)
from tests.faults.servers import HOST, ThrowawayRedis

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

# How often a quiet missionEvents subscription re-reads the log by itself (the default).
IDLE_POLL_SECONDS = Settings.model_fields["subscription_poll_seconds"].default

REDIS_DB = 5


@asynccontextmanager
async def restart_redis(server: ThrowawayRedis) -> AsyncIterator[None]:
    async with redis_stopped(server):
        await asyncio.sleep(1.0)
    yield


@asynccontextmanager
async def kill_redis_connections(server: ThrowawayRedis) -> AsyncIterator[None]:
    """Drops every pub/sub and plain client connection; the server itself keeps running."""
    client = aioredis.Redis(host=HOST, port=server.port)
    try:
        await client.client_kill_filter(_type="pubsub")
        await client.client_kill_filter(_type="normal", skipme=True)
    finally:
        await client.aclose()
    yield


FAULTS: dict[str, Callable[[ThrowawayRedis], AbstractAsyncContextManager[None]]] = {
    "kill-connections": kill_redis_connections,
    "restart": restart_redis,
}


@pytest.mark.parametrize(
    "fault", ["kill-connections", pytest.param("restart", marks=pytest.mark.faults)]
)
async def test_subscribers_get_every_event_across_a_redis_outage(
    throwaway_redis: ThrowawayRedis, start_server: StartServer, fault: str
) -> None:
    server = start_server(
        BROADCAST_URL=throwaway_redis.url(REDIS_DB),
        OFFLINE_STEP_DELAY_MS="500",
    )
    token = server.token(new_user())
    mine = Collector(server, token, MY_EVENTS_QUERY)
    first = await submit_plan(server, token)
    watcher = Collector(server, token, MISSION_EVENTS_QUERY, id=first)
    try:
        await poll(
            lambda: len(watcher.events) >= 2,
            timeout=30,
            interval=0.02,
            what="the job running and watched live",
        )
        fault_at = time.time()
        async with FAULTS[fault](throwaway_redis):
            pass

        events = await watcher.finished(timeout=60)
        assert watcher.error is None, f"{watcher.error!r}\n{log_tail(server)}"
        assert_ends_with_the_completion(events)
        assert_in_order_without_gaps(events)
        completed_at = datetime.fromisoformat(events[-2]["occurredAt"]).timestamp()
        assert completed_at > fault_at, "the job finished before the fault: nothing was proven"
        # Live again, not only healed by the idle re-read of the log (SUBSCRIPTION_POLL_SECONDS).
        lag = watcher.arrived[-2] - completed_at
        assert lag < IDLE_POLL_SECONDS * 2 / 3, f"terminal event {lag:.1f}s late"

        # The user-wide stream recovers what the outage hid (RESYNC from the log)...
        await poll(
            lambda: mine.has(first, "NotificationEvent"),
            timeout=45,
            what=f"myMissionEvents got the end of {first}",
        )
        # ...and delivers live again: a job submitted after the outage reaches it too.
        # Without a bus reconnect this waits for the 300 s idle re-read, far past the timeout.
        second = await submit_plan(server, token)
        await poll(
            lambda: mine.has(second, "NotificationEvent"),
            timeout=45,
            what=f"myMissionEvents got {second} live after the outage",
        )
        for report_id in (first, second):
            sequences = [e["sequence"] for e in mine.of(report_id)]
            assert sequences == sorted(set(sequences)), f"{report_id}: {sequences}"
        assert mine.has(first, "MissionCompletedEvent")
        assert mine.has(second, "MissionCompletedEvent")
        assert_in_order_without_gaps(mine.of(second))
    finally:
        await watcher.cancel()
        await mine.cancel()
