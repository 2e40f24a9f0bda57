"""A slow subscriber over SSE (graphql-sse) or multipart HTTP (Apollo) is cut off.

The websocket case is in test_slow_client.py. Here a raw socket POSTs a fat
myMissionEvents subscription asking for a stream, reads the response head, then stops
reading, so the server's sends to it block and its bus queue (SUBSCRIBER_QUEUE_SIZE)
overflows again and again. The server must hang up on it and say so in its log, while
a normal subscriber on the same protocol follows one of the same user's reports and
gets every event. When the slow client finally reads, it gets what the kernel and the
server had buffered when it was cut off, then the protocol's ending of a failed stream
(the "too slow" error, the end marker, the end of the chunked body) and the end of the
connection: far less than the whole stream, because the server stopped producing for it.
The server logs no error for it (uvicorn logged "ASGI callable returned without
completing response" when the stream was cut off mid-body). Meanwhile the cut-off stream
has given back its user's connection slot.

Without the cut-off (checked: the slot check then sees 429) the stream's task stays
blocked in its send, holding the slot, until the client reads again; only then does it
send the "slow subscriber" error and end.

A client that never reads again would leave that ending waiting for ever: the server's
write deadline (HTTP_WRITE_STALL_SECONDS, graph/write_stall.py) drops its connection as
if it had hung up, and still nothing is logged as an error.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from typing import Any

import httpx
import pytest

from tests.faults.conftest import (
    MISSION_EVENTS_QUERY,
    StartServer,
    assert_ends_with_the_completion,
    assert_in_order_without_gaps,
    log_tail,
    new_user,
    poll,
    rss_bytes,
    submit_plan,
)
from tests.faults.test_slow_client import (
    WRITE_STALL_SECONDS,
    _all_done,
    _submit_many,
    assert_dropped_for_its_stall,
)

pytestmark = pytest.mark.e2e

PROTOCOLS = {
    "graphql-sse": "text/event-stream",
    "multipart": "multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json",
}
# First enough plans to fill every buffer between the server and the slow client (the
# kernel's take a few MB on loopback), so the server's sends to it block; then more while
# a normal subscriber follows one report.
SATURATING_PLANS = 12
FLOOD_PLANS = 12
REPORT_COPIES = 15  # aliases; the schema allows 15
# Each completion carries its plan three times over (draft, content, sections) in 15
# copies: a few hundred KB per plan.
REPORT_SELECTION = (
    "id draft plan { content sections { executiveSummary simulation { title details } "
    "riskAssessment { summary } } }"
)
FAT_EVENTS = (
    "subscription { myMissionEvents { __typename "
    "... on MissionProgressEvent { sequence reportId draftDelta } "
    "... on MissionCompletedEvent { sequence reportId "
    + " ".join(f"r{n}: report {{ {REPORT_SELECTION} }}" for n in range(REPORT_COPIES))
    + " } ... on NotificationEvent { sequence reportId } } }"
)
CUT_OFF_LOG = "slow subscriber: cutting off the HTTP stream of user"
INCOMPLETE_RESPONSE_LOG = "ASGI callable returned without completing response"
STALL_LOG = "read nothing for"
# The last chunk of a chunked body, then the chunked terminator, as uvicorn writes them.
CHUNKED_END = b"\r\n0\r\n\r\n"
MAX_RSS_GROWTH_BYTES = 50 * 1024 * 1024
# What the slow client may still read after the hang-up: the kernel's buffers on both
# sides and the server's write buffer. The whole stream is several times more.
MAX_BUFFERED_BYTES = 12 * 1024 * 1024


@contextmanager
def stalled_subscriber(port: int, token: str, accept: str) -> Iterator[socket.socket]:
    """Opens the stream, reads its head, then reads nothing until the caller drains it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    body = json.dumps({"query": FAT_EVENTS}).encode()
    head = (
        "POST /graphql HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\n"
        f"Accept: {accept}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    sock.sendall(head.encode() + body)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(1024)
        assert chunk, f"the server closed before answering: {received!r}"
        received += chunk
    status_line = received.split(b"\r\n", 1)[0]
    assert b" 200 " in status_line, received
    try:
        yield sock
    finally:
        sock.close()


def drain(sock: socket.socket, timeout: float) -> tuple[bytes, bool]:
    """Everything left to read, and whether the server ended the connection (EOF/reset)."""
    sock.settimeout(timeout)
    tail = bytearray()
    try:
        while chunk := sock.recv(65536):
            tail += chunk
    except TimeoutError:
        return bytes(tail), False
    except ConnectionResetError:
        pass
    return bytes(tail), True


async def follow(base_url: str, token: str, accept: str, report_id: str) -> list[dict[str, Any]]:
    """A normal client of the same protocol: the report's events, to the stream's end."""
    payload = {"query": MISSION_EVENTS_QUERY, "variables": {"id": report_id}}
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(90)) as client,
        client.stream("POST", f"{base_url}/graphql", json=payload, headers=headers) as response,
    ):
        assert response.status_code == 200, await response.aread()
        text = "".join([chunk async for chunk in response.aiter_text()])
    return parse_stream(text, accept)


async def open_streams(base_url: str, token: str, accept: str, count: int) -> list[int]:
    """The status codes of `count` myMissionEvents streams held open at once."""
    payload = {"query": "subscription { myMissionEvents { __typename } }"}
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
        statuses = []
        for _ in range(count):
            stream = client.stream("POST", f"{base_url}/graphql", json=payload, headers=headers)
            statuses.append((await stack.enter_async_context(stream)).status_code)
        return statuses


def last_error(tail: bytes, accept: str) -> str:
    """The error message of the stream's last result, and that the end marker followed it."""
    text = tail.decode(errors="replace")
    if accept.startswith("text/event-stream"):
        last_next, _, after = text.rpartition("event: next\r\ndata: ")
        assert last_next, text[-500:]
        data, _, rest = after.partition("\r\n")
        assert rest.startswith("\r\nevent: complete\r\n"), text[-500:]
        result = json.loads(data)
    else:
        assert text.endswith("\r\n--graphql--\r\n" + CHUNKED_END.decode()), text[-500:]
        # The part's JSON follows its headers (and, before them, a chunk-size line).
        last_part = text.split("--graphql")[-3]
        result = json.loads(last_part.rpartition("\r\n\r\n")[2])["payload"]
    assert result["data"] is None, result
    return str(result["errors"][0]["message"])


def parse_stream(text: str, accept: str) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    if accept.startswith("text/event-stream"):
        assert "event: complete" in text, text[-500:]
        for line in text.splitlines():
            if line.startswith("data: ") and line[6:].strip():
                results.append(json.loads(line[6:]))
    else:
        assert text.rstrip().endswith("--graphql--"), text[-500:]
        for part in text.split("--graphql"):
            _, _, body = part.partition("\r\n\r\n")
            document = json.loads(body) if body.strip() else {}
            if document.get("payload"):
                results.append(document["payload"])
    assert all(not result.get("errors") for result in results), [
        r["errors"] for r in results if r.get("errors")
    ]
    return [result["data"]["missionEvents"] for result in results]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_slow_http_subscriber_is_cut_off_while_others_are_served(
    start_server: StartServer, protocol: str
) -> None:
    accept = PROTOCOLS[protocol]
    server = start_server(
        OFFLINE_STEP_DELAY_MS="0",
        MAX_ACTIVE_JOBS_PER_USER="10000",
        SUBMISSION_RATE_LIMIT="0",
        # Small enough that the blocked slow stream overflows soon, large enough that the
        # follower, which sees every event of the same user, keeps up on a busy machine.
        SUBSCRIBER_QUEUE_SIZE="16",
        # The slow stream and the follower; then two new streams once the slow one is gone.
        WS_MAX_CONNECTIONS_PER_USER="2",
    )
    assert server.process is not None
    pid = server.process.pid
    token = server.token(new_user())
    with stalled_subscriber(server.port, token, accept) as slow:
        baseline = rss_bytes(pid)
        await _submit_many(server, token, SATURATING_PLANS)
        await poll(lambda: _all_done(server, token), timeout=120, what="saturation done")
        followed = await submit_plan(server, token, durationDays=365)
        normal = asyncio.create_task(follow(server.base_url, token, accept, followed))
        await _submit_many(server, token, FLOOD_PLANS)
        events = await asyncio.wait_for(normal, 120)
        assert_ends_with_the_completion(events)
        assert_in_order_without_gaps(events)
        await poll(lambda: _all_done(server, token), timeout=120, what="plans done")
        await poll(
            lambda: CUT_OFF_LOG in server.log_text(), timeout=30, what="the hang-up's log line"
        )
        growth = rss_bytes(pid) - baseline
        # Still unread, the cut-off stream no longer holds one of its user's two slots.
        assert await open_streams(server.base_url, token, accept, 2) == [200, 200]
        tail, ended = await asyncio.to_thread(drain, slow, 30)
    assert ended, "the server kept the slow subscriber's stream open"
    assert len(tail) < MAX_BUFFERED_BYTES, f"{len(tail)} bytes were kept for the slow client"
    # Cut off, and told so in the protocol's own terms: a last error, then the end.
    assert tail.endswith(CHUNKED_END), tail[-500:]
    assert "resume with afterSequence" in last_error(tail, accept)
    assert INCOMPLETE_RESPONSE_LOG not in server.log_text(), log_tail(server)
    assert "Exception in ASGI application" not in server.log_text(), log_tail(server)
    assert growth < MAX_RSS_GROWTH_BYTES, f"RSS grew {growth / 1e6:.1f} MB"
    health = await httpx.AsyncClient().get(f"{server.base_url}/healthz")
    assert health.status_code == 200


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_subscriber_that_never_reads_again_is_dropped_without_an_error(
    start_server: StartServer, protocol: str
) -> None:
    """The hang-up's ending waits for a client that never takes it: the write deadline
    drops the connection, as if the client had hung up, and nothing is logged as an error."""
    server = start_server(
        OFFLINE_STEP_DELAY_MS="0",
        MAX_ACTIVE_JOBS_PER_USER="10000",
        SUBMISSION_RATE_LIMIT="0",
        SUBSCRIBER_QUEUE_SIZE="16",
        HTTP_WRITE_STALL_SECONDS=str(WRITE_STALL_SECONDS),
    )
    token = server.token(new_user())
    with stalled_subscriber(server.port, token, PROTOCOLS[protocol]) as slow:
        stopped_reading = time.monotonic()
        client_port = slow.getsockname()[1]
        await _submit_many(server, token, SATURATING_PLANS + FLOOD_PLANS)
        await poll(lambda: _all_done(server, token), timeout=120, what="plans done")
        # By now every buffer on the way is full: the server's writes are paused.
        plans_done = time.monotonic()
        await assert_dropped_for_its_stall(server, client_port, stopped_reading, plans_done)
        log = server.log_text()
        assert CUT_OFF_LOG in log and STALL_LOG in log, log_tail(server)
        # The stream was hung up on, and its ending abandoned, before the connection went.
        assert log.index(CUT_OFF_LOG) < log.index(STALL_LOG), log_tail(server)
        _, ended = await asyncio.to_thread(drain, slow, 30)
    assert ended, "the connection was not closed"
    assert INCOMPLETE_RESPONSE_LOG not in server.log_text(), log_tail(server)
    assert "Exception in ASGI application" not in server.log_text(), log_tail(server)
