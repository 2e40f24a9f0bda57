"""Broadcast backends: broadcaster's memory and Postgres ones, and our own Redis one.

broadcaster 0.3.1's Redis backend hangs with redis-py 8, so `RedisPubSubBackend`
implements the same `BroadcastBackend` interface on `redis.asyncio` directly.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlparse

import redis.asyncio as aioredis
from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend


class RedisPubSubBackend(BroadcastBackend):
    def __init__(self, url: str) -> None:
        self._url = url
        self._client: aioredis.Redis | None = None
        self._pubsub: Any = None
        self._channels: set[str] = set()

    async def connect(self) -> None:
        self._client = aioredis.from_url(
            self._url, socket_connect_timeout=3, socket_timeout=None, health_check_interval=5
        )
        await self._client.ping()
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        for channel in self._channels:
            await self._pubsub.subscribe(channel)

    async def disconnect(self) -> None:
        if self._pubsub is not None:
            try:
                await self._pubsub.aclose()
            except Exception:
                pass
        if self._client is not None:
            try:
                await self._client.aclose()
            except Exception:
                pass
        self._pubsub = self._client = None

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        await self._pubsub.subscribe(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        assert self._client is not None, "backend is not connected"
        await self._client.publish(channel, message)

    async def next_published(self) -> Event:
        while True:
            if not self._pubsub.subscribed:
                await asyncio.sleep(0.05)
                continue
            message = await self._pubsub.get_message(timeout=1.0)
            if message is None or message.get("type") != "message":
                continue
            return Event(_text(message["channel"]), _text(message["data"]))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def create_backend(url: str) -> BroadcastBackend:
    scheme = urlparse(url).scheme
    if scheme in ("redis", "rediss"):
        return RedisPubSubBackend(url)
    if scheme in ("postgres", "postgresql", "postgresql+asyncpg"):
        from broadcaster._backends.postgres import PostgresBackend

        return PostgresBackend(url.replace("postgresql+asyncpg://", "postgresql://"))
    if scheme == "memory":
        from broadcaster._backends.memory import MemoryBackend

        return MemoryBackend(url)
    raise ValueError(f"unsupported BROADCAST_URL scheme: {scheme!r}")
