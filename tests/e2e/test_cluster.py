"""`make run-cluster` driven end to end: two API processes, two LLM-service workers and
the round-robin front (infra/cluster.py), started exactly as the Makefile does, on free
ports, a scratch database pair and the cluster's own redis-server.

A plan is submitted through the front, followed to completion over the front's
websocket (the webhooks reach either API process through the front, so events cross
processes over Redis), and the whole cluster stops on SIGTERM.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from benchmarks.common import settle
from infra.auth import TokenAuthenticator
from tests.conftest import POSTGRES_URL, _admin, _run_in_own_loop, require_server, skip_or_fail
from tests.e2e.client import SUBMIT, WIZARD

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

JWT_SECRET = "e2e-cluster-jwt-secret-0123456789-0123456789"
WATCH = """subscription($id: ID!) { missionEvents(reportId: $id) { __typename
  ... on MissionProgressEvent { sequence } ... on MissionCompletedEvent { sequence report { status } }
  ... on NotificationEvent { sequence } } }"""


def free_block(size: int) -> int:
    """A base port with `size` free ports after it (the cluster numbers its ports so)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + size < 65535 and all(_free(base + n) for n in range(size)):
            return base
    raise RuntimeError("no block of free ports")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Cluster:
    def __init__(self, root: Path, database: str) -> None:
        self.base, self.llm_base, self.redis = free_block(3), free_block(3), free_block(1)
        self.root, self.database = root, database
        argv = [
            sys.executable, "-m", "infra.cluster", "--base-port", str(self.base),
            "--llm-base-port", str(self.llm_base), "--redis-port", str(self.redis),
            "--database", database, "--postgres", POSTGRES_URL.rsplit("/", 1)[0],
            "--data-dir", str(root / "cluster"), "--step-delay-ms", "100",
        ]  # fmt: skip
        env = {**os.environ, "AUTH_JWT_SECRET": JWT_SECRET}
        self.log = root / "cluster.out"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.base}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def logs(self) -> str:
        parts = [self.output()]
        for log in sorted((self.root / "cluster").glob("*.log")):
            parts.append(f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}")
        return "\n".join(parts)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    require_server("PostgreSQL", "127.0.0.1", 5432)
    if shutil.which("redis-server") is None:
        skip_or_fail("redis-server not installed", "cluster")
    database = f"mp_e2e_cluster_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    running = Cluster(tmp_path, database)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGTERM)
            try:
                running.process.wait(60)
            except subprocess.TimeoutExpired:
                running.process.kill()
        for name in (database, f"{database}_llm"):
            _run_in_own_loop(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.redis
@pytest.mark.timeout(240)
async def test_a_plan_submitted_through_the_front_is_followed_to_completion(
    cluster: Cluster,
) -> None:
    ready = await settle(lambda: "cluster ready" in cluster.output(), 150.0, step=0.2)
    assert ready and cluster.process.poll() is None, cluster.logs()
    token = TokenAuthenticator(JWT_SECRET).mint(f"cluster-{uuid.uuid4().hex[:8]}")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=cluster.url, timeout=30, headers=headers) as client:
        body = {"query": SUBMIT, "variables": {"input": WIZARD}}
        answer = (await client.post("/graphql", json=body)).json()
    result = answer["data"]["submitMissionPlan"]
    assert result["__typename"] == "SubmitMissionPlanSuccess", answer
    events = await follow(cluster, token, result["report"]["id"])
    kinds = [e["__typename"] for e in events]
    assert "MissionCompletedEvent" in kinds, (kinds, cluster.logs())
    completed = next(e for e in events if e["__typename"] == "MissionCompletedEvent")
    assert completed["report"]["status"] == "COMPLETED"
    sequences = [e["sequence"] for e in events]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences))), sequences

    cluster.process.send_signal(signal.SIGTERM)
    assert cluster.process.wait(90) == 0, cluster.logs()
    ports = [cluster.base + n for n in range(3)] + [cluster.llm_base + n for n in range(3)]
    listening = [p for p in [*ports, cluster.redis] if _listening(p)]
    assert not listening, f"ports {listening} still answer: a process of the cluster kept running"


async def follow(cluster: Cluster, token: str, report_id: str) -> list[dict[str, Any]]:
    """missionEvents over the front's websocket until the server completes the stream."""
    ws_url = cluster.url.replace("http", "ws") + "/graphql"
    events: list[dict[str, Any]] = []
    async with connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": WATCH, "variables": {"id": report_id}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        for _ in range(500):
            message = json.loads(await ws.recv())
            if message["type"] == "complete":
                break
            assert message["type"] == "next" and "errors" not in message["payload"], message
            events.append(message["payload"]["data"]["missionEvents"])
    return events
