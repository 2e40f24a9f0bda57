"""A client that stops reading: the server's memory stays bounded and others are served."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from graph.subscriptions import TOO_SLOW
from tests.e2e.client import graphql
from tests.e2e.server import RunningServer
from tests.faults.conftest import (
    MISSION_EVENTS_QUERY,
    Collector,
    StartServer,
    assert_ends_with_the_completion,
    assert_in_order_without_gaps,
    new_user,
    poll,
    rss_bytes,
    submit_plan,
)

pytestmark = pytest.mark.e2e

SLOW_CONNECTIONS = 4
SUBSCRIPTIONS_PER_CONNECTION = 20  # the server's default cap per connection
SATURATING_PLANS = 6
FLOOD_PLANS = 20
MAX_RSS_GROWTH_BYTES = 50 * 1024 * 1024
# HTTP_WRITE_STALL_SECONDS for a client that never reads again: long enough that a slow
# subscriber is hung up on first (its ending is what the deadline then abandons).
WRITE_STALL_SECONDS = 6.0
STALL_MARGIN_SECONDS = 5.0  # how late the server may drop it on a busy machine
PLAN_COPIES = 10  # aliases; the schema allows 15
# A fat selection: each completion carries the plan (~7 KB with 365 days) ten times. A
# server that kept buffering frames for clients that do not read would grow by about
# connections x subscriptions x plans x 75 KB (here ~120 MB) during the flood.
FAT_EVENTS = (
    "subscription { myMissionEvents { __typename "
    "... on MissionProgressEvent { sequence reportId progress { stepId stepName percentage } } "
    "... on MissionCompletedEvent { sequence reportId report { id status "
    + " ".join(f"p{n}: plan {{ content }}" for n in range(PLAN_COPIES))
    + " } } ... on NotificationEvent { sequence reportId notification { id title body } } } }"
)


@asynccontextmanager
async def slow_client(server: RunningServer, token: str) -> AsyncIterator[ClientConnection]:
    """Subscribes, then never reads again; a tiny receive buffer makes the back-up quick."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
    ws = await websockets.connect(
        server.ws_url,
        sock=sock,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        max_queue=4,
        ping_interval=None,
        compression=None,
    )
    try:
        payload = {"authorization": f"Bearer {token}"}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        for n in range(SUBSCRIPTIONS_PER_CONNECTION):
            message = {"id": str(n), "type": "subscribe", "payload": {"query": FAT_EVENTS}}
            await ws.send(json.dumps(message))
        yield ws  # ...and from here on nobody calls recv()
    finally:
        # A closing handshake would wait behind megabytes of unread frames: just hang up.
        ws.transport.abort()


def server_send_queues(server_port: int, client_ports: set[int]) -> list[int]:
    """Bytes the kernel holds unsent on the server's side of each slow connection."""
    queues = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if local_port == server_port and remote_port in client_ports:
            queues.append(int(fields[4].split(":")[0], 16))
    return queues


def server_end_established(server_port: int, client_port: int) -> bool:
    """Whether the server's end of the connection from `client_port` is still open."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if (local_port, remote_port) == (server_port, client_port):
            return fields[3] == "01"  # TCP_ESTABLISHED
    return False


async def assert_dropped_for_its_stall(
    server: RunningServer, client_port: int, stopped_reading: float, plans_done: float
) -> None:
    """The server drops the connection from `client_port`, whose client stopped reading
    at `stopped_reading`, once the write deadline passed and not much later than that
    after the plans (what it had to send) were done."""
    await poll(
        lambda: not server_end_established(server.port, client_port),
        timeout=WRITE_STALL_SECONDS + STALL_MARGIN_SECONDS,
        interval=0.1,
        what="the server dropping the connection",
    )
    dropped = time.monotonic()
    assert dropped - stopped_reading >= WRITE_STALL_SECONDS
    assert dropped - plans_done <= WRITE_STALL_SECONDS + STALL_MARGIN_SECONDS


async def _all_done(server: RunningServer, token: str) -> bool:
    body = await graphql(server, token, "{ activeMissions { id } }")
    return not body["data"]["activeMissions"]


async def _submit_many(server: RunningServer, token: str, count: int) -> list[str]:
    limit = asyncio.Semaphore(4)

    async def one() -> str:
        async with limit:
            return await submit_plan(server, token, durationDays=365)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_client_that_stops_reading_costs_bounded_memory(
    start_server: StartServer,
) -> None:
    server = start_server(
        OFFLINE_STEP_DELAY_MS="0", MAX_ACTIVE_JOBS_PER_USER="10000", SUBMISSION_RATE_LIMIT="0"
    )
    assert server.process is not None
    pid = server.process.pid
    slow_user = new_user()
    token = server.token(slow_user)
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(slow_client(server, token))
            for _ in range(SLOW_CONNECTIONS)
        ]
        client_ports = {ws.local_address[1] for ws in clients}

        # Fill every buffer on the way to the slow clients (the kernel alone takes a few MB
        # per connection), then take the baseline: from here on a server that keeps
        # nothing for them stays flat.
        await _submit_many(server, token, SATURATING_PLANS)
        await poll(lambda: _all_done(server, token), timeout=90, what="saturation done")
        await asyncio.sleep(1.0)
        baseline = rss_bytes(pid)

        peak = baseline
        sampling = True

        async def sample() -> None:
            nonlocal peak
            while sampling:
                peak = max(peak, rss_bytes(pid))
                await asyncio.sleep(0.1)

        sampler = asyncio.create_task(sample())
        stack.push_async_callback(_cancel, sampler)
        started = time.monotonic()
        flood = asyncio.create_task(_submit_many(server, token, FLOOD_PLANS))

        # Meanwhile other clients are served: another user's whole job, and a fresh
        # watcher of one of the slow user's own reports.
        other = server.token(new_user())
        others_report = await submit_plan(server, other)
        watcher = Collector(server, other, MISSION_EVENTS_QUERY, id=others_report)
        own_report = await submit_plan(server, token)
        own_watcher = Collector(server, token, MISSION_EVENTS_QUERY, id=own_report)
        assert not flood.done(), "the flood was over before the other clients came"
        for collector in (watcher, own_watcher):
            events = await collector.finished(timeout=90)
            assert collector.error is None, repr(collector.error)
            assert_ends_with_the_completion(events)
            assert_in_order_without_gaps(events)
        await flood
        await poll(lambda: _all_done(server, token), timeout=120, what="flood done")
        sampling = False
        await sampler
        flood_seconds = time.monotonic() - started

        queues = server_send_queues(server.port, client_ports)
        growth = peak - baseline
        assert growth < MAX_RSS_GROWTH_BYTES, (
            f"RSS grew {growth / 1e6:.1f} MB (baseline {baseline / 1e6:.1f} MB) over "
            f"{FLOOD_PLANS} plans in {flood_seconds:.1f}s"
        )
        # The scenario really happened: the slow connections are backed up, or the server
        # hung up on every one of them.
        assert queues == [] or all(q > 0 for q in queues), f"server send queues {queues}"
        health = await graphql(server, other, "{ viewer { id } }")
        assert "errors" not in health, health


async def test_a_client_that_stays_behind_is_disconnected(start_server: StartServer) -> None:
    server = start_server(
        OFFLINE_STEP_DELAY_MS="0",
        MAX_ACTIVE_JOBS_PER_USER="10000",
        SUBMISSION_RATE_LIMIT="0",
        SUBSCRIBER_QUEUE_SIZE="4",
    )
    token = server.token(new_user())
    async with slow_client(server, token) as ws:
        # Enough events that each subscription overflows its queue more than 3 times.
        await _submit_many(server, token, 3 * SATURATING_PLANS)
        await poll(lambda: _all_done(server, token), timeout=90, what="plans done")
        # The client wakes up and reads what was sent: the stream must end in a hang-up,
        # not wait forever for events the server dropped for it.
        closed = None
        try:
            async with asyncio.timeout(60):
                async for _ in ws:
                    pass
        except websockets.ConnectionClosed as exc:
            closed = exc
        except TimeoutError:
            pytest.fail("the server kept the slow client connected")
        assert closed is not None and closed.rcvd is not None, ws.close_code
        assert (closed.rcvd.code, closed.rcvd.reason) == (1013, TOO_SLOW)
    # Its operations, still sending when the socket closed, ended quietly.
    log = server.log_text()
    assert "slow subscriber: closing the websocket" in log, log[-4000:]
    for error in (
        "Exception in worker task",
        "Exception in ASGI application",
        "ERROR",
        "Traceback",
    ):
        assert error not in log, log[-4000:]


async def test_a_client_that_never_reads_again_is_dropped_without_an_error(
    start_server: StartServer,
) -> None:
    """Its subscriptions blocked in their sends, without overflowing their queues enough to
    be hung up on (or hung up on while blocked: the close waits behind the same sends),
    it would be held for ever: the write deadline (HTTP_WRITE_STALL_SECONDS) drops its
    connection as if it had hung up, and nothing is logged as an error."""
    server = start_server(
        OFFLINE_STEP_DELAY_MS="0",
        MAX_ACTIVE_JOBS_PER_USER="10000",
        SUBMISSION_RATE_LIMIT="0",
        HTTP_WRITE_STALL_SECONDS=str(WRITE_STALL_SECONDS),
    )
    token = server.token(new_user())
    async with slow_client(server, token) as ws:
        stopped_reading = time.monotonic()
        client_port = ws.local_address[1]
        await _submit_many(server, token, 3 * SATURATING_PLANS)
        await poll(lambda: _all_done(server, token), timeout=90, what="plans done")
        plans_done = time.monotonic()
        await assert_dropped_for_its_stall(server, client_port, stopped_reading, plans_done)
    log = server.log_text()
    assert "read nothing for" in log, log[-4000:]
    for error in ("Exception in ASGI application", "ERROR", "Traceback"):
        assert error not in log, log[-4000:]
