"""GraphiQL at /graphql in headless chromium, with no internet: it renders from the
API's own files, runs a query and a subscription with the token's header prefilled."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from graph.graphiql import NPM_PROJECT
from tests.e2e.client import SUBMIT, WIZARD, graphql
from tests.e2e.node_clients import node_script, run_node, skip_or_fail
from tests.e2e.server import RunningServer

pytestmark = pytest.mark.e2e

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Screenshots a person can look at after the run.
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"


def browser_command() -> list[str]:
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing (make test installs Debian's chromium)")
    if not (NPM_PROJECT / "node_modules" / "graphiql").exists():
        skip_or_fail("GraphiQL's npm files are missing (make graphiql-assets)")
    return node_script("graphiql_check.mjs", "playwright-core")


async def test_graphiql_runs_a_query_and_a_subscription_offline(server: RunningServer) -> None:
    command = browser_command()
    user = f"user-{uuid.uuid4().hex[:8]}"
    token = server.token(user)
    body = await graphql(server, token, SUBMIT, {"input": WIZARD})
    report_id = body["data"]["submitMissionPlan"]["report"]["id"]
    subscription = (
        f'subscription {{ missionEvents(reportId: "{report_id}") {{ __typename '
        "... on NotificationEvent { notification { kind } } } }"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    run = await run_node(
        command, server.base_url, token, "{ viewer { id } }", subscription, "PLAN_READY",
        str(SCREENSHOTS), timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert "error" not in seen, (seen["error"], seen.get("editorsAtError"))

    # Everything came from the API itself: nothing off the loopback was even asked for.
    assert seen["offLoopback"] == [] and seen["offLoopbackSockets"] == []
    assets = [url for url in seen["requests"] if "/graphiql/assets/" in url]
    assert len(assets) == 7, seen["requests"]
    assert not seen["stillLoading"]
    # The token was read from the fragment, which left the address bar. (GraphiQL may
    # already have written its editor's query as `?q=`, depending on when it loaded.)
    address = seen["urlAfterLoad"]
    assert address.split("?")[0] == f"{server.base_url}/graphql"
    assert "#" not in address and token not in address
    assert json.loads(seen["headers"]) == {"Authorization": f"Bearer {token}"}

    assert json.loads(seen["queryResponse"]) == {"data": {"viewer": {"id": user}}}
    assert json.loads(seen["subscriptionResponse"]) == {
        "data": {
            "missionEvents": {
                "__typename": "NotificationEvent",
                "notification": {"kind": "PLAN_READY"},
            }
        }
    }
    # The subscription went over graphql-transport-ws, authorised by the prefilled header.
    (socket,) = seen["sockets"]
    assert socket["url"] == server.ws_url
    init = json.loads(socket["sent"][0])
    assert init == {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    received = [json.loads(frame)["type"] for frame in socket["received"]]
    assert received[0] == "connection_ack" and "next" in received
