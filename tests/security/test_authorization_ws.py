"""Issue 3, point 11 over the websocket of the real server: queries, mutations sent on
the socket and subscriptions treat another user's id exactly like a missing one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.server import RunningServer
from tests.security.helpers import (
    CANCEL,
    DISMISS,
    EVENTS,
    MISSION_REPORT,
    RETRY,
    GraphQLSocket,
    completed_event,
    failed_event,
    missing_id,
    new_user,
    server_graphql,
    server_submit,
    server_webhook,
)

pytestmark = pytest.mark.e2e

OWNER_VIEW = """{ missionReports { nodes { id status attempt jobId } }
                  notifications(includeDismissed: true) { id dismissedAt } }"""


NOT_FOUND = {"__typename": "NotFoundError", "message": "No mission report with this id."}
EXPECTED: dict[str, Any] = {
    MISSION_REPORT: {"missionReport": None},
    CANCEL: {"cancelMissionPlan": NOT_FOUND},
    RETRY: {"retryMissionPlan": NOT_FOUND},
    EVENTS: ["No mission report with this id."],
}


def outcome(result: dict[str, Any]) -> Any:
    """The data of a result, or its error messages when it has errors."""
    if result.get("errors"):
        return [e["message"] for e in result["errors"]]
    return result["data"]


async def owners_reports(server: RunningServer, owner: str) -> tuple[dict[str, str], str]:
    failed = await server_submit(server, owner)
    await server_webhook(server, failed_event(failed))
    completed = await server_submit(server, owner)
    await server_webhook(server, completed_event(completed))
    generating = await server_submit(server, owner)
    cancelled = await server_submit(server, owner)
    cancel = await server_graphql(server, owner, CANCEL, {"id": cancelled["id"]})
    assert cancel["data"]["cancelMissionPlan"]["__typename"] == "CancelMissionPlanSuccess"
    notes = await server_graphql(server, owner, "{ notifications { id } }")
    (note,) = notes["data"]["notifications"]
    reports = {
        "generating": generating["id"],
        "failed": failed["id"],
        "completed": completed["id"],
        "cancelled": cancelled["id"],
    }
    return reports, note["id"]


async def test_every_operation_on_the_socket_treats_foreign_ids_as_missing(
    ws_server: RunningServer,
) -> None:
    owner, intruder = new_user(), new_user()
    reports, notification_id = await owners_reports(ws_server, owner)
    before = await server_graphql(ws_server, owner, OWNER_VIEW)

    operations: list[tuple[str, str, dict[str, Any]]] = [
        (name, query, {})
        for name, query in (("missionReport", MISSION_REPORT), ("cancel", CANCEL), ("retry", RETRY))
    ]
    operations += [
        (f"missionEvents after={after}", EVENTS, {"after": after}) for after in (None, 0, 2)
    ]
    async with GraphQLSocket.open(ws_server, ws_server.token(intruder)) as socket:
        for state, report_id in reports.items():
            for name, query, extra in operations:
                seen = await socket.execute(query, {"id": report_id, **extra})
                absent = await socket.execute(query, {"id": missing_id(), **extra})
                assert seen == absent, (state, name, seen, absent)
                assert outcome(seen) == EXPECTED[query], (state, name, seen)
        seen = await socket.execute(DISMISS, {"id": notification_id})
        absent = await socket.execute(DISMISS, {"id": missing_id()})
        assert (
            seen
            == absent
            == {
                "data": {
                    "dismissNotification": {
                        "__typename": "NotFoundError",
                        "message": "No notification with this id.",
                    }
                }
            }
        )
        subscribed = await socket.execute(EVENTS, {"id": reports["generating"], "after": None})
        assert [e["message"] for e in subscribed["errors"]] == ["No mission report with this id."]

    assert await server_graphql(ws_server, owner, OWNER_VIEW) == before
