"""The API in-process on SQLite and PostgreSQL: submit to plan, errors as data, isolation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.client import REPORT, SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.support.waiting import wait_until


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    async with running_api(
        settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=0)
    ) as harness:
        yield harness


def new_user() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


async def submit(api: ApiHarness, user: str, **variables: object) -> dict:
    body = await api.graphql(SUBMIT, {"input": WIZARD, **variables}, user=user)
    return body["data"]["submitMissionPlan"]


async def completed_report(api: ApiHarness, user: str, report_id: str) -> dict:
    async def done() -> dict | None:
        body = await api.graphql(REPORT, {"id": report_id}, user=user)
        report = body["data"]["missionReport"]
        return report if report and report["status"] != "GENERATING" else None

    return await wait_until(done, timeout=20)


async def test_a_submitted_plan_completes_with_sections_usage_and_notification(
    api: ApiHarness,
) -> None:
    user = new_user()
    result = await submit(api, user)
    assert result["__typename"] == "SubmitMissionPlanSuccess"
    assert result["report"]["status"] == "GENERATING"
    assert result["report"]["jobId"]

    report = await completed_report(api, user, result["report"]["id"])
    assert report["status"] == "COMPLETED", report
    assert report["completedAt"]
    sections = report["plan"]["sections"]
    assert sections["executiveSummary"]
    assert len(sections["riskAssessment"]) == 2
    assert all(b["bundle"]["id"] == b["bundleId"] for b in sections["bundles"])
    # A FLEXIBLE family gets an evacuation plan, and the offline plan reads whole.
    evacuation = sections["evacuation"]
    assert evacuation["whenToLeave"] and evacuation["destination"] and evacuation["routes"]
    assert evacuation["steps"][0] == {"topic": "WHEN_TO_LEAVE", "title": "When to leave"}
    assert sections["unparsed"] == []
    assert report["plan"]["content"].startswith("# ")
    assert report["usage"]["inputTokens"] > 0 and report["usage"]["outputTokens"] > 0
    assert (
        report["usage"]["totalTokens"]
        == report["usage"]["inputTokens"] + report["usage"]["outputTokens"]
    )

    notes = await api.graphql("{ notifications { id title reportId } }", user=user)
    [note] = notes["data"]["notifications"]
    assert note["title"] == "Your plan is ready" and note["reportId"] == report["id"]
    dismiss = "mutation($id: ID!) { dismissNotification(id: $id) { __typename } }"
    for _ in range(2):  # idempotent
        body = await api.graphql(dismiss, {"id": note["id"]}, user=user)
        assert body["data"]["dismissNotification"]["__typename"] == "DismissNotificationSuccess"
    assert (await api.graphql("{ notifications { id } }", user=user))["data"]["notifications"] == []
    kept = await api.graphql("{ notifications(includeDismissed: true) { id } }", user=user)
    assert len(kept["data"]["notifications"]) == 1


async def test_invalid_input_is_a_typed_error_naming_the_field_and_creates_nothing(
    api: ApiHarness,
) -> None:
    user = new_user()
    bad = {**WIZARD, "durationDays": 2, "familyMembers": [{"age": 130}]}
    body = await api.graphql(SUBMIT, {"input": bad}, user=user)
    result = body["data"]["submitMissionPlan"]
    assert result["__typename"] == "ValidationError"
    fields = {e["field"] for e in result["errors"]}
    assert {"durationDays", "familyMembers[0].age"} <= fields
    listed = await api.graphql("{ missionReports { nodes { id } } }", user=user)
    assert listed["data"]["missionReports"]["nodes"] == []


async def test_idempotency_key_returns_the_same_report(api: ApiHarness) -> None:
    user = new_user()
    first = await submit(api, user, key="wizard-42")
    second = await submit(api, user, key="wizard-42")
    assert first["report"]["id"] == second["report"]["id"]
    listed = await api.graphql("{ missionReports { nodes { id } } }", user=user)
    assert len(listed["data"]["missionReports"]["nodes"]) == 1


async def test_reports_paginate_newest_first_and_are_private(api: ApiHarness) -> None:
    user, other = new_user(), new_user()
    ids = [(await submit(api, user))["report"]["id"] for _ in range(3)]
    query = """query($after: String) { missionReports(first: 2, after: $after) {
        nodes { id } pageInfo { hasNextPage endCursor } } }"""
    page1 = (await api.graphql(query, user=user))["data"]["missionReports"]
    assert page1["pageInfo"]["hasNextPage"] is True
    page2 = (await api.graphql(query, {"after": page1["pageInfo"]["endCursor"]}, user=user))[
        "data"
    ]["missionReports"]
    seen = [n["id"] for n in page1["nodes"] + page2["nodes"]]
    assert seen == list(reversed(ids))
    assert page2["pageInfo"]["hasNextPage"] is False
    assert (await api.graphql(query, user=other))["data"]["missionReports"]["nodes"] == []
    active = await api.graphql("{ activeMissions { id } }", user=other)
    assert active["data"]["activeMissions"] == []


REPORT_FIELDS = """fragment Fields on MissionReport {
  id jobId status attempt location { city state country postalCode } scenarios
  createdAt updatedAt completedAt draft
  progress { stepId stepName stepIndex stepCount percentage } error { code message retryable }
  input { location { city state country postalCode } scenarios familyMembers { name age medicalNeeds }
    mobilityPlan { strategy hasVehicle } budgetTier durationDays petCount notes }
}"""
FULL_PAGE = (
    """query($after: String) { missionReports(first: 2, after: $after) {
  edges { cursor node { ...Fields } } nodes { ...Fields }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
    + REPORT_FIELDS
)
ONE_REPORT = """query($id: ID!) { missionReport(id: $id) { ...Fields } }""" + REPORT_FIELDS


async def test_a_page_shows_every_field_and_cursor_as_the_report_alone_does(
    api: ApiHarness,
) -> None:
    # A page reads fewer columns and builds its nodes, cursors and wizard input its own
    # way (infra.db.mapping.ReportListing, benchmarks/README.md "Branch h/dashfast").
    user = new_user()
    ids = [(await submit(api, user))["report"]["id"] for _ in range(3)]
    for report_id in ids:
        await completed_report(api, user, report_id)
    page1 = (await api.graphql(FULL_PAGE, user=user))["data"]["missionReports"]
    after = page1["pageInfo"]["endCursor"]
    page2 = (await api.graphql(FULL_PAGE, {"after": after}, user=user))["data"]["missionReports"]
    for page in (page1, page2):
        assert [edge["node"] for edge in page["edges"]] == page["nodes"]
        info = page["pageInfo"]
        assert info["startCursor"] == page["edges"][0]["cursor"]
        assert info["endCursor"] == page["edges"][-1]["cursor"]
        for node in page["nodes"]:
            alone = await api.graphql(ONE_REPORT, {"id": node["id"]}, user=user)
            assert node == alone["data"]["missionReport"]
    assert [n["id"] for n in page1["nodes"] + page2["nodes"]] == list(reversed(ids))
    assert page1["pageInfo"]["hasPreviousPage"] is False
    assert page2["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": page2["edges"][0]["cursor"],
        "endCursor": page2["edges"][0]["cursor"],
    }
    assert page1["nodes"][0]["input"]["familyMembers"][1]["medicalNeeds"] == ["insulin"]


async def test_active_job_limit_is_a_typed_error_with_retry_after(
    database_url: str, tmp_path: Path
) -> None:
    user = new_user()
    async with running_api(
        settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=2000)
    ) as slow:
        for _ in range(3):
            assert (await submit(slow, user))["__typename"] == "SubmitMissionPlanSuccess"
        limited = await submit(slow, user)
        assert limited["__typename"] == "ActiveJobLimitError"
        assert limited["retryAfter"] > 0
        active = await slow.graphql("{ activeMissions { id } }", user=user)
        assert len(active["data"]["activeMissions"]) == 3


async def test_unauthenticated_requests_get_a_clear_error(api: ApiHarness) -> None:
    body = await api.graphql("{ viewer { id } }")
    assert body["errors"][0]["message"].startswith("Authentication required")
    viewer = await api.graphql("{ viewer { id isAdmin } }", user="alice")
    assert viewer["data"]["viewer"] == {"id": "alice", "isAdmin": False}
    admin = await api.graphql("{ viewer { isAdmin } }", user=None)
    assert admin["data"] is None


async def test_bundles_catalog_is_seeded_and_filterable(api: ApiHarness) -> None:
    everything = (await api.graphql("{ bundles { id scenarios priceUsd } }"))["data"]["bundles"]
    assert len(everything) >= 15
    quakes = (await api.graphql("{ bundles(scenario: EARTHQUAKE) { id scenarios } }"))["data"][
        "bundles"
    ]
    assert quakes and all("EARTHQUAKE" in b["scenarios"] for b in quakes)


async def test_an_idempotency_key_reused_for_another_input_is_a_typed_error(
    api: ApiHarness,
) -> None:
    user = new_user()
    first = await submit(api, user, key="wizard-7")
    other = {**WIZARD, "durationDays": 30}
    body = await api.graphql(SUBMIT, {"input": other, "key": "wizard-7"}, user=user)
    result = body["data"]["submitMissionPlan"]
    assert result["__typename"] == "IdempotencyKeyConflictError"
    assert result["field"] == "idempotencyKey" and "different wizard input" in result["message"]
    listed = await api.graphql("{ missionReports { nodes { id } } }", user=user)
    assert [n["id"] for n in listed["data"]["missionReports"]["nodes"]] == [first["report"]["id"]]


PAGE_WITH_PLANS = """{ missionReports { nodes { id status plan {
  content sections { executiveSummary bundles { bundleId bundle { id name priceUsd } } }
} } } }"""
ONE_WITH_PLAN = """query($id: ID!) { missionReport(id: $id) { id status plan {
  content sections { executiveSummary bundles { bundleId bundle { id name priceUsd } } }
} } }"""


async def test_a_page_shows_each_plan_as_the_report_itself_does(api: ApiHarness) -> None:
    # A page reads its rows without the plan columns and loads the plans only when
    # selected (benchmarks/README.md, fix 2): what a client sees must not differ.
    user = new_user()
    first = await submit(api, user)
    second = await submit(api, user)
    for result in (first, second):
        await completed_report(api, user, result["report"]["id"])
    page = (await api.graphql(PAGE_WITH_PLANS, user=user))["data"]["missionReports"]["nodes"]
    assert [n["id"] for n in page] == [second["report"]["id"], first["report"]["id"]]
    for node in page:
        alone = await api.graphql(ONE_WITH_PLAN, {"id": node["id"]}, user=user)
        assert node == alone["data"]["missionReport"]
        assert node["plan"]["content"].startswith("# ")
    without = await api.graphql("{ missionReports { nodes { id status } } }", user=user)
    assert [n["id"] for n in without["data"]["missionReports"]["nodes"]] == [n["id"] for n in page]
    active = await api.graphql("{ activeMissions { id plan { content } } }", user=user)
    assert active["data"]["activeMissions"] == []
