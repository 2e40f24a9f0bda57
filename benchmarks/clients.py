"""Load clients for the benchmarks: raw keep-alive HTTP, graphql-transport-ws, API calls.

The HTTP client sends prebuilt request bytes over keep-alive connections: the
load generator shares the CPUs with the servers, so it must stay light (httpx
costs several times more CPU per request than the servers being measured).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from benchmarks.common import JWT_SECRET, Server
from infra.auth import TokenAuthenticator

WS_SUBPROTOCOL = Subprotocol("graphql-transport-ws")
SUBMIT = """mutation Submit($input: MissionPlanInput!) { submitMissionPlan(input: $input) {
  __typename ... on SubmitMissionPlanSuccess { report { id jobId } } } }"""
WIZARD = {
    "location": {"city": "Miami", "state": "FL"},
    "scenarios": ["HURRICANE", "POWER_GRID_FAILURE"],
    "familyMembers": [{"name": "Ana", "age": 38}, {"name": "Luis", "age": 71}],
    "mobilityPlan": {"strategy": "FLEXIBLE", "hasVehicle": True},
    "budgetTier": "STANDARD",
}
# What a dashboard watching one report asks for.
WATCH = """subscription Watch($id: ID!) { missionEvents(reportId: $id) { __typename
  ... on MissionProgressEvent { sequence reportId occurredAt attempt
        progress { stepId stepName stepIndex stepCount percentage } }
  ... on MissionCompletedEvent { sequence reportId }
  ... on MissionFailedEvent { sequence reportId error { code message } } } }"""


# ---------------------------------------------------------------- HTTP load client


def http_request(method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """Raw HTTP/1.1 bytes, built once so the load loop only writes them."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class HttpConnection:
    """A keep-alive connection that sends prebuilt requests: far lighter than httpx.

    Reads responses framed by Content-Length, which Starlette always sends.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> HttpConnection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return int(head[9:12]), await self._reader.readexactly(length)

    async def close(self) -> None:
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except OSError:
            pass


@dataclass
class LoadResult:
    latencies: list[float]
    errors: int
    elapsed: float

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


async def closed_loop(
    port: int, requests: Sequence[bytes], *, clients: int, duration: float, cycle: bool = True
) -> LoadResult:
    """`clients` connections, each sending its next request once the last is answered.

    Stops after `duration` seconds, or when `requests` run out unless `cycle`.
    """
    connections = [await HttpConnection.open(port) for _ in range(clients)]
    latencies: list[float] = []
    errors = 0
    position = 0
    started = time.perf_counter()
    deadline = started + duration

    async def worker(conn: HttpConnection) -> None:
        nonlocal errors, position
        while (now := time.perf_counter()) < deadline:
            if position >= len(requests) and not cycle:
                return
            request = requests[position % len(requests)]
            position += 1
            status, _ = await conn.send(request)
            latencies.append(time.perf_counter() - now)
            errors += status >= 300

    try:
        await asyncio.wait_for(asyncio.gather(*map(worker, connections)), duration + 30)
    finally:
        for conn in connections:
            await conn.close()
    return LoadResult(latencies, errors, time.perf_counter() - started)


# ---------------------------------------------------------------- websocket client


async def subscribe(
    ws_url: str, token: str, query: str, variables: dict[str, Any], *, wait_first: bool = True
) -> ClientConnection:
    """A graphql-transport-ws connection with one subscription running on the server.

    With `wait_first`, returns once the first frame (the report's snapshot) is read;
    else once a ping sent after the subscribe message is answered.
    """
    ws = await connect(
        ws_url, subprotocols=[WS_SUBPROTOCOL], compression=None, ping_interval=None, open_timeout=30
    )
    try:
        payload = {"authorization": f"Bearer {token}"}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"no connection_ack: {ack}")
        subscribe = {"query": query, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        if not wait_first:
            await ws.send(json.dumps({"type": "ping"}))
        wanted = "next" if wait_first else "pong"
        first = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if first.get("type") != wanted:
            raise RuntimeError(f"subscription failed: {first}")
        return ws
    except BaseException:
        await ws.close()
        raise


async def subscribe_many(
    ws_url: str,
    jobs: Sequence[tuple[str, str, dict[str, Any]]],
    *,
    concurrency: int = 50,
    wait_first: bool = True,
) -> list[ClientConnection]:
    """Opens one connection per (token, query, variables), `concurrency` at a time."""
    limit = asyncio.Semaphore(concurrency)

    async def one(job: tuple[str, str, dict[str, Any]]) -> ClientConnection:
        async with limit:
            return await subscribe(ws_url, *job, wait_first=wait_first)

    results = await asyncio.gather(*map(one, jobs), return_exceptions=True)
    opened = [r for r in results if isinstance(r, ClientConnection)]
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        await close_all(opened)
        raise RuntimeError(f"{len(failures)} subscriptions failed, e.g. {failures[0]!r}")
    return opened


async def close_all(connections: Sequence[ClientConnection]) -> None:
    await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)


# ---------------------------------------------------------------- the API's own calls


def token(user: str) -> str:
    return TokenAuthenticator(JWT_SECRET).mint(user)


async def submit_reports(server: Server, users: Sequence[str]) -> list[dict[str, Any]]:
    """One `submitMissionPlan` per user; returns the reports ({id, jobId, user})."""
    body = json.dumps({"query": SUBMIT, "variables": {"input": WIZARD}}).encode()
    limit = asyncio.Semaphore(8)

    async def one(user: str) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token(user)}"}
        async with limit:
            conn = await HttpConnection.open(server.port)
            try:
                _, answer = await conn.send(http_request("POST", "/graphql", body, headers))
            finally:
                await conn.close()
        result = json.loads(answer)["data"]["submitMissionPlan"]
        if result["__typename"] != "SubmitMissionPlanSuccess":
            raise RuntimeError(f"submit failed: {result}")
        return {**result["report"], "user": user}

    return list(await asyncio.wait_for(asyncio.gather(*map(one, users)), 300))


async def outbox_drained(url: str) -> None:
    """Waits (30 s at most) until the embedded LLM service delivered its first webhooks."""
    engine = create_async_engine(url)
    query = text("SELECT count(*) FROM llm_webhook_outbox WHERE delivered_at IS NULL")
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            async with engine.connect() as conn:
                if (await conn.execute(query)).scalar_one() == 0:
                    return
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()
