"""Issue 6, point 7: uvicorn header and keep-alive timeouts and a connection cap against
slowloris, on the real server (`python -m graph.serve`).

uvicorn has no deadline for a request's headers: each byte that arrives cancels the
keep-alive timer. graph/http_protocol.py adds one; these tests dribble header bytes.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import RunningServer

HEADER_TIMEOUT = 1.0
MAX_CONNECTIONS = 8


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = RunningServer(
        Path(tmp_path_factory.mktemp("slow-clients")),
        env_overrides={
            "HTTP_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
            "HTTP_KEEP_ALIVE_SECONDS": "1",
            "HTTP_MAX_CONCURRENCY": str(MAX_CONNECTIONS),
        },
    ).start()
    yield running
    running.stop()


def connect(server: RunningServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return sock


def dribble_until_closed(sock: socket.socket, limit: float = 6.0) -> tuple[float, bytes]:
    """Sends a header line every 0.2 s; returns when the server closes (elapsed, answer)."""
    sock.settimeout(0.2)
    started = time.monotonic()
    answer = b""
    while time.monotonic() - started < limit:
        try:
            sock.sendall(b"X-Slow: 1\r\n")
        except OSError:
            break
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        except OSError:
            break
        if not chunk:
            break
        answer += chunk
    return time.monotonic() - started, answer


def read_healthz_response(sock: socket.socket) -> bytes:
    """One whole /healthz response (head and body may come in separate reads)."""
    answer = b""
    while not answer.endswith(b'{"status":"ok"}'):
        chunk = sock.recv(4096)
        assert chunk, answer
        answer += chunk
    return answer


def healthz(server: RunningServer) -> int:
    return httpx.get(server.base_url + "/healthz", timeout=5).status_code


def test_a_client_dribbling_headers_is_cut_off_while_others_are_served(
    server: RunningServer,
) -> None:
    sock = connect(server)
    try:
        assert healthz(server) == 200  # served while the slow one is still dribbling
        elapsed, answer = dribble_until_closed(sock)
    finally:
        sock.close()
    assert elapsed < HEADER_TIMEOUT + 1.5, f"held for {elapsed:.1f} s"
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert healthz(server) == 200


def test_a_connection_that_sends_nothing_is_closed(server: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        started = time.monotonic()
        sock.recv(4096)  # the 408, then EOF; or EOF
        assert sock.recv(4096) == b""
        assert time.monotonic() - started < HEADER_TIMEOUT + 1.5


def test_slow_clients_cannot_hold_the_connection_cap(server: RunningServer) -> None:
    """At the cap new requests answer 503; once the deadline cuts the slow ones, 200."""
    slow = [connect(server) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)
        assert healthz(server) == 503
        time.sleep(HEADER_TIMEOUT + 0.5)
        assert healthz(server) == 200
    finally:
        for sock in slow:
            sock.close()


def test_an_idle_keep_alive_connection_is_closed(server: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_healthz_response(sock).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert sock.recv(4096) == b""
        assert time.monotonic() - started < 3.0


def test_a_second_request_on_a_kept_alive_connection_has_a_deadline_too(
    server: RunningServer,
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_healthz_response(sock).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        elapsed, answer = dribble_until_closed(sock)
    assert elapsed < HEADER_TIMEOUT + 1.5
    assert answer.startswith(b"HTTP/1.1 408"), answer


def test_a_request_head_over_the_cap_is_refused(server: RunningServer) -> None:
    """The server buffers at most HTTP_MAX_HEADER_BYTES (16 KiB) of an unfinished head."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 20_000)
        assert sock.recv(4096).startswith(b"HTTP/1.1 400")


def test_a_head_over_the_cap_in_several_pieces_is_refused(server: RunningServer) -> None:
    """The cap holds for a head that arrives in pieces, each under it."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        answer = b""
        for n in range(8):
            try:
                sock.sendall(f"X-Part-{n}: ".encode() + b"a" * 4000 + b"\r\n")
            except OSError:
                break
            time.sleep(0.05)
        while not answer.endswith(b"Invalid HTTP request received."):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 400"), answer


def test_a_large_body_sent_with_its_head_is_not_taken_for_a_head(server: RunningServer) -> None:
    """Only the head counts against the cap: a 200 KB body in the same writes is served."""
    body = json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 200_000}}).encode()
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head + body)
        answer = b""
        while b"__typename" not in answer:
            chunk = sock.recv(4096)
            assert chunk, answer
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer
