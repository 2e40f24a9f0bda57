"""Publishes that leave together: bundled wire messages, in order, with failures reported."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from broadcaster._backends.memory import MemoryBackend

from infra import bus as bus_module
from infra.bus import WIRE_CHANNEL, EventBus
from infra.bus_wire import MAX_WIRE_BYTES, read_wire_message, wire_envelope, wire_messages


class CountingBackend(MemoryBackend):
    """The memory backend, counting wire messages and able to be slow or broken."""

    def __init__(self) -> None:
        super().__init__("memory://")
        self.sent: list[str] = []
        self.delay = 0.0
        self.failure: Exception | None = None
        self.hang = False

    async def publish(self, channel: str, message: Any) -> None:
        if self.hang:
            await asyncio.Event().wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failure is not None:
            raise self.failure
        if channel == WIRE_CHANNEL and "__heartbeat__" not in message:
            self.sent.append(message)
        await super().publish(channel, message)


async def received(subscription: Any, count: int) -> list[Any]:
    return [await asyncio.wait_for(subscription.get(), 5) for _ in range(count)]


def test_one_message_goes_as_a_plain_envelope() -> None:
    assert list(wire_messages([("u.1", "hello")])) == [wire_envelope("u.1", "hello")]


@pytest.mark.parametrize("size", [10, 600, 3000, MAX_WIRE_BYTES - 40])
def test_many_messages_go_in_as_few_bundles_as_fit_and_read_back_in_order(size: int) -> None:
    pairs = [(f"u.{n % 3}", f"{n:04d}" + "x" * size) for n in range(40)]
    wires = list(wire_messages(pairs))

    assert all(len(wire.encode()) <= MAX_WIRE_BYTES for wire in wires)
    assert [pair for wire in wires for pair in read_wire_message(json.loads(wire))] == pairs
    per_wire = max(1, MAX_WIRE_BYTES // (size + 20))
    assert len(wires) <= -(-len(pairs) // per_wire) + 1


def test_a_message_whose_envelope_just_fits_still_goes() -> None:
    message = "y" * (MAX_WIRE_BYTES - len(wire_envelope("u.1", "")))
    pairs = [("u.1", "a"), ("u.1", message), ("u.1", "b")]
    wires = list(wire_messages(pairs))

    assert wire_envelope("u.1", message) in wires
    assert all(len(wire.encode()) <= MAX_WIRE_BYTES for wire in wires)
    assert [pair for wire in wires for pair in read_wire_message(json.loads(wire))] == pairs


@pytest.mark.parametrize(
    "decoded", [{"b": [["u.1"]]}, {"b": [[1, "m"]]}, {"b": "text"}, {"c": "u.1"}, {"b": [[]]}]
)
def test_a_wire_message_of_another_shape_is_refused(decoded: Any) -> None:
    with pytest.raises((KeyError, TypeError, IndexError, ValueError)):
        read_wire_message(decoded)


async def test_concurrent_publishes_leave_together_and_arrive_in_order() -> None:
    backend = CountingBackend()
    async with EventBus(backend, queue_size=1000) as bus:
        async with bus.subscribe("u.1") as subscription:
            backend.delay = 0.01  # each wire send takes a while: publishes gather behind it
            await asyncio.gather(*(bus.publish("u.1", f"m{n}") for n in range(100)))

            assert await received(subscription, 100) == [f"m{n}" for n in range(100)]
    assert len(backend.sent) <= 5


async def test_a_failed_send_fails_each_of_its_publishers_and_the_next_ones_go() -> None:
    backend = CountingBackend()
    async with EventBus(backend) as bus:
        async with bus.subscribe("u.1") as subscription:
            backend.failure = ConnectionError("backend down")
            results = await asyncio.gather(
                *(bus.publish("u.1", f"lost{n}") for n in range(5)), return_exceptions=True
            )
            assert all(isinstance(r, ConnectionError) for r in results)

            backend.failure = None
            await bus.publish("u.1", "after")
            assert await received(subscription, 1) == ["after"]


async def test_a_cancelled_publisher_does_not_stop_its_neighbours_message() -> None:
    backend = CountingBackend()
    async with EventBus(backend) as bus:
        async with bus.subscribe("u.1") as subscription:
            backend.delay = 0.05
            first = asyncio.create_task(bus.publish("u.1", "first"))
            second = asyncio.create_task(bus.publish("u.1", "second"))
            await asyncio.sleep(0.01)
            first.cancel()
            await second

            assert await received(subscription, 2) == ["first", "second"]


async def test_a_hung_backend_fails_publishers_after_the_send_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bus_module, "SEND_TIMEOUT_SECONDS", 0.1)
    backend = CountingBackend()
    async with EventBus(backend) as bus:
        backend.hang = True
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(bus.publish("u.1", "stuck"), 5)
        backend.hang = False


async def test_a_plain_envelope_from_an_earlier_release_is_still_read() -> None:
    backend = CountingBackend()
    async with EventBus(backend) as bus:
        async with bus.subscribe("u.1") as subscription:
            await backend.publish(WIRE_CHANNEL, wire_envelope("u.1", "from an older process"))
            await backend.publish(WIRE_CHANNEL, '{"b": [["u.1"]]}')  # malformed: dropped
            await bus.publish("u.1", "still listening")

            assert await received(subscription, 2) == ["from an older process", "still listening"]
