"""The frontend's subscription client (npm graphql-ws) against the real server."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from tests.e2e.client import SUBMIT, WIZARD, graphql
from tests.e2e.node_clients import node_script
from tests.e2e.server import RunningServer

pytestmark = pytest.mark.e2e


def node_client() -> list[str]:
    return node_script("subscribe.mjs", "graphql-ws")


async def test_graphql_ws_client_follows_a_plan_to_completion(server: RunningServer) -> None:
    command = node_client()
    token = server.token(f"user-{uuid.uuid4().hex[:8]}")
    body = await graphql(server, token, SUBMIT, {"input": WIZARD})
    report_id = body["data"]["submitMissionPlan"]["report"]["id"]

    process = await asyncio.create_subprocess_exec(
        *command, server.ws_url, token, report_id,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    events = [json.loads(line)["data"]["missionEvents"] for line in stdout.decode().splitlines()]
    # The stream ends with the completion and the notification written with it.
    completed, notification = events[-2:]
    assert completed == {
        "__typename": "MissionCompletedEvent",
        "sequence": completed["sequence"],
        "report": {"status": "COMPLETED"},
    }
    assert notification == {
        "__typename": "NotificationEvent",
        "sequence": completed["sequence"] + 1,
        "notification": {"kind": "PLAN_READY"},
    }
    percentages = [e["progress"]["percentage"] for e in events if "progress" in e]
    assert percentages == sorted(percentages)
