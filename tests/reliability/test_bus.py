"""broadcaster 0.3.1's faults, each shown and each fixed by our EventBus."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import pytest
from broadcaster import Broadcast
from broadcaster._backends.memory import MemoryBackend

from infra.bus import RESYNC, EventBus, SlowSubscriber
from infra.bus_backends import RedisPubSubBackend, create_backend
from tests.support.waiting import wait_until


class SlowSubscribeBackend(MemoryBackend):
    """Awaits I/O on subscribe, as the Redis and Postgres backends do."""

    async def subscribe(self, channel: str) -> None:
        await asyncio.sleep(0.05)
        await super().subscribe(channel)


async def next_message(subscription: Any, timeout: float = 5.0) -> Any:
    item = await subscription.get(timeout=timeout)
    assert item is not None, "nothing arrived in time"
    return item


async def test_raw_broadcaster_loses_a_concurrent_first_subscriber() -> None:
    """The fault itself: the second of two racing first subscribers never hears anything."""
    broadcast = Broadcast(backend=SlowSubscribeBackend("memory://"))
    await broadcast.connect()
    received: list[str] = []

    async def listen() -> None:
        async with broadcast.subscribe("news") as subscriber:
            event = await subscriber.get()
            received.append(event.message)

    listeners = [asyncio.create_task(listen()) for _ in range(2)]
    await asyncio.sleep(0.2)
    await broadcast.publish("news", "hello")
    await asyncio.sleep(0.2)
    assert len(received) == 1  # one of the two queues was overwritten
    for task in listeners:
        task.cancel()
    await broadcast.disconnect()


async def test_concurrent_first_subscribers_all_receive() -> None:
    async with EventBus(SlowSubscribeBackend("memory://")) as bus:

        async def listen() -> str:
            async with bus.subscribe("news") as subscription:
                await started.wait()
                return str(await next_message(subscription))

        started = asyncio.Event()
        listeners = [asyncio.create_task(listen()) for _ in range(5)]
        await asyncio.sleep(0.1)
        started.set()
        await bus.publish("news", "hello")
        assert await asyncio.gather(*listeners) == ["hello"] * 5


async def test_queues_are_bounded_and_overflow_means_resync() -> None:
    async with EventBus(MemoryBackend("memory://"), queue_size=5) as bus:
        async with bus.subscribe("busy") as subscription:
            for index in range(20):
                await bus.publish("busy", f"progress {index}")
            await asyncio.sleep(0.1)
            assert subscription.pending <= 5
            items = []
            while (item := await subscription.get(timeout=0.1)) is not None:
                items.append(item)
            assert RESYNC in items  # told to re-read the log instead of growing without bound


async def test_a_subscriber_that_stays_behind_is_disconnected() -> None:
    async with EventBus(MemoryBackend("memory://"), queue_size=2, max_overflows=2) as bus:
        async with bus.subscribe("busy") as subscription:
            for index in range(50):
                await bus.publish("busy", f"progress {index}")
                await asyncio.sleep(0)
            await asyncio.sleep(0.1)
            with pytest.raises(SlowSubscriber):
                while True:
                    await subscription.get(timeout=1)
                    await asyncio.sleep(0)  # keeps falling behind: never drains the queue


@pytest.mark.redis
async def test_redis_backend_works_with_redis_py_8(redis_url: str) -> None:
    import redis

    assert int(redis.__version__.split(".")[0]) >= 8
    channel = own_channel()
    async with EventBus(create_backend(redis_url)) as bus:
        async with bus.subscribe(channel) as subscription:
            await asyncio.sleep(0.1)
            await bus.publish(channel, "over redis")
            assert await next_message(subscription) == "over redis"


@pytest.mark.redis
async def test_a_dropped_redis_connection_is_detected_and_subscribers_resync(
    redis_url: str,
) -> None:
    import redis.asyncio as aioredis

    channel = own_channel()
    backend = RedisPubSubBackend(redis_url)
    async with EventBus(backend, heartbeat_seconds=0.2) as bus:
        async with bus.subscribe(channel) as subscription:
            await asyncio.sleep(0.2)
            admin = aioredis.from_url(redis_url)
            # Only our own subscriber connection: the server is the machine's, and other
            # test processes (pytest-xdist workers, other runs) have theirs on it.
            await admin.execute_command("CLIENT", "KILL", "ADDR", pubsub_address(backend))
            await admin.aclose()
            assert await next_message(subscription) is RESYNC
            await wait_until(lambda: bus.reconnects >= 1)
            await drain(subscription)
            await bus.publish(channel, "after reconnect")
            assert await next_message(subscription) == "after reconnect"


@pytest.mark.postgres
async def test_a_dropped_postgres_listen_connection_is_detected(postgres_url: str) -> None:
    import asyncpg

    plain_url = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    async with EventBus(create_backend(plain_url), heartbeat_seconds=0.2) as bus:
        async with bus.subscribe("p") as subscription:
            await bus.publish("p", "before")
            assert await next_message(subscription) == "before"
            admin = await asyncpg.connect(plain_url)
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND (query LIKE 'LISTEN%' OR query LIKE '%pg_notify%')"
            )
            await admin.close()
            # The LISTEN connection dies silently; the missing heartbeat gives it away.
            assert await next_message(subscription, timeout=10) is RESYNC
            await wait_until(lambda: bus.reconnects >= 1, timeout=10)
            await drain(subscription)
            await bus.publish("p", "after reconnect")
            assert await next_message(subscription) == "after reconnect"


def own_channel() -> str:
    """A logical channel no other process on the shared Redis publishes to."""
    return f"r-{uuid.uuid4().hex}"


def pubsub_address(backend: RedisPubSubBackend) -> str:
    """`ip:port` of the backend's subscriber connection, as Redis's CLIENT LIST shows it."""
    writer = backend._pubsub.connection._writer
    host, port = writer.get_extra_info("sockname")[:2]
    return f"{host}:{port}"


async def drain(subscription: Any) -> None:
    with contextlib.suppress(TimeoutError):
        while await subscription.get(timeout=0.3) is not None:
            pass


@pytest.mark.redis
async def test_a_burst_published_on_one_process_reaches_another_whole_and_in_order(
    redis_url: str,
) -> None:
    channel = own_channel()
    async with EventBus(create_backend(redis_url), queue_size=1000) as sender:
        async with EventBus(create_backend(redis_url), queue_size=1000) as receiver:
            async with receiver.subscribe(channel) as subscription:
                await asyncio.sleep(0.2)
                burst = [f"event {n} " + "x" * (n * 37 % 900) for n in range(300)]
                await asyncio.gather(*(sender.publish(channel, m) for m in burst[:150]))
                await sender.publish_many([(channel, m) for m in burst[150:]])
                got = [await next_message(subscription) for _ in burst]
    assert got == burst
