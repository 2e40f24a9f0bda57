"""Issue 3, point 11 over HTTP: another user's id behaves exactly like a missing one.

For every operation that takes an id, and for the owner's reports in every state
(generating, failed, completed, cancelled), an intruder gets the very result a
random missing id gets, the owner's data is untouched, and both requests run the
same SQL statements: the same work, so the same timing class, without a flaky
stopwatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.context import Context
from graph.schema import schema
from tests.integration.harness import ApiHarness
from tests.security.helpers import (
    CANCEL,
    DISMISS,
    EVENTS,
    MISSION_REPORT,
    RETRY,
    app_engines,
    completed_event,
    failed_event,
    missing_id,
    new_user,
    recorded_statements,
    submit,
)

NOT_FOUND = {"__typename": "NotFoundError", "message": "No mission report with this id."}
NOTIFICATION_NOT_FOUND = {"__typename": "NotFoundError", "message": "No notification with this id."}


@dataclass
class OwnersData:
    owner: str
    reports: dict[str, str]  # state -> report id
    notification_id: str


async def owners_data(api: ApiHarness) -> OwnersData:
    owner = new_user()
    failed = await submit(api, owner)
    assert (await api.webhook(failed_event(failed))).status_code == 200
    completed = await submit(api, owner)
    assert (await api.webhook(completed_event(completed))).status_code == 200
    generating = await submit(api, owner)
    cancelled = await submit(api, owner)
    cancel = await api.graphql(CANCEL, {"id": cancelled["id"]}, user=owner)
    assert cancel["data"]["cancelMissionPlan"]["__typename"] == "CancelMissionPlanSuccess"
    notes = await api.graphql("{ notifications { id } }", user=owner)
    (note,) = notes["data"]["notifications"]
    reports = {
        "generating": generating["id"],
        "failed": failed["id"],
        "completed": completed["id"],
        "cancelled": cancelled["id"],
    }
    return OwnersData(owner, reports, note["id"])


async def owners_view(api: ApiHarness, data: OwnersData) -> Any:
    query = """{ missionReports { nodes { id status attempt jobId progress { percentage } } }
                 notifications(includeDismissed: true) { id dismissedAt } }"""
    return (await api.graphql(query, user=data.owner))["data"]


async def run_recorded(
    api: ApiHarness, query: str, variables: dict[str, Any], user: str
) -> tuple[dict[str, Any], list[str]]:
    with recorded_statements(*app_engines(api)) as statements:
        body = await api.graphql(query, variables, user=user)
    return body, statements


async def assert_like_missing(
    api: ApiHarness, query: str, foreign: dict[str, Any], missing: dict[str, Any], user: str
) -> dict[str, Any]:
    seen, seen_sql = await run_recorded(api, query, foreign, user)
    absent, absent_sql = await run_recorded(api, query, missing, user)
    assert seen == absent, (foreign, seen, absent)
    assert seen_sql == absent_sql, (foreign, seen_sql, absent_sql)
    assert seen_sql, "the request ran no SQL at all: the recorder is not listening"
    return seen


async def test_queries_and_mutations_treat_foreign_ids_as_missing(api: ApiHarness) -> None:
    data = await owners_data(api)
    before = await owners_view(api, data)
    intruder = new_user()
    expected = {
        MISSION_REPORT: {"missionReport": None},
        CANCEL: {"cancelMissionPlan": NOT_FOUND},
        RETRY: {"retryMissionPlan": NOT_FOUND},
    }
    for state, report_id in data.reports.items():
        for query, result in expected.items():
            seen = await assert_like_missing(
                api, query, {"id": report_id}, {"id": missing_id()}, intruder
            )
            assert seen == {"data": result}, (state, query)
    dismissed = await assert_like_missing(
        api, DISMISS, {"id": data.notification_id}, {"id": missing_id()}, intruder
    )
    assert dismissed == {"data": {"dismissNotification": NOTIFICATION_NOT_FOUND}}
    # A report id is no notification id and the other way round, for the owner too.
    assert (await api.graphql(DISMISS, {"id": data.reports["completed"]}, user=data.owner))["data"][
        "dismissNotification"
    ] == NOTIFICATION_NOT_FOUND

    assert await owners_view(api, data) == before
    # The owner can still do what the intruder could not.
    retry = await api.graphql(RETRY, {"id": data.reports["failed"]}, user=data.owner)
    assert retry["data"]["retryMissionPlan"]["__typename"] == "RetryMissionPlanSuccess"
    dismiss = await api.graphql(DISMISS, {"id": data.notification_id}, user=data.owner)
    assert dismiss["data"]["dismissNotification"]["__typename"] == "DismissNotificationSuccess"


async def test_lists_never_show_another_users_reports(api: ApiHarness) -> None:
    data = await owners_data(api)
    intruder = new_user()
    lists = """{ missionReports { nodes { id } } activeMissions { id }
                 notifications(includeDismissed: true) { id } }"""
    assert (await api.graphql(lists, user=intruder))["data"] == {
        "missionReports": {"nodes": []},
        "activeMissions": [],
        "notifications": [],
    }
    # A cursor made from the owner's report pages through the intruder's reports only.
    owners = await api.graphql("{ missionReports { edges { cursor } } }", user=data.owner)
    cursor = owners["data"]["missionReports"]["edges"][0]["cursor"]
    page = await api.graphql(
        "query($after: String) { missionReports(after: $after) { nodes { id } } }",
        {"after": cursor},
        user=intruder,
    )
    assert page["data"]["missionReports"]["nodes"] == []


async def first_event(api: ApiHarness, user: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The first result of a missionEvents subscription, run on the app's own state."""
    viewer = api.state.authenticator.viewer_from_token(api.token(user))
    context = Context(state=api.state, request=None, response=None, viewer=viewer)
    stream = await schema.subscribe(EVENTS, variable_values=variables, context_value=context)
    try:
        result = await anext(stream)
    finally:
        await stream.aclose()
    return {"data": result.data, "errors": [e.formatted for e in result.errors or []]}


async def test_subscriptions_treat_foreign_ids_as_missing(api: ApiHarness) -> None:
    data = await owners_data(api)
    intruder = new_user()
    for state, report_id in data.reports.items():
        for after in (None, 0, 1):
            with recorded_statements(*app_engines(api)) as seen_sql:
                seen = await first_event(api, intruder, {"id": report_id, "after": after})
            with recorded_statements(*app_engines(api)) as absent_sql:
                absent = await first_event(api, intruder, {"id": missing_id(), "after": after})
            assert seen == absent, (state, after, seen, absent)
            assert seen["errors"][0]["message"] == "No mission report with this id."
            assert seen_sql == absent_sql and seen_sql, (state, after)
    # The owner, by contrast, sees the end of the cancelled report's log.
    owned = await first_event(api, data.owner, {"id": data.reports["cancelled"], "after": None})
    assert owned["data"]["missionEvents"]["__typename"] == "MissionCancelledEvent"
