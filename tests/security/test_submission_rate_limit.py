"""Issue 6, points 7 and 9 over GraphQL: the per-user submission rate limit answers a
typed RateLimitedError with retryAfter, counted in the database (so it holds across API
processes, cancelled plans included); a failure marked retryable: false is not retried."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.client import WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.security.helpers import CANCEL, new_user, submit, webhook_event

LIMITED_SUBMIT = """mutation($input: MissionPlanInput!) { submitMissionPlan(input: $input) {
  __typename
  ... on SubmitMissionPlanSuccess { report { id jobId } }
  ... on RateLimitedError { message retryAfter limit windowSeconds } } }"""
RETRY = """mutation($id: ID!) { retryMissionPlan(reportId: $id) {
  __typename
  ... on RetryMissionPlanSuccess { report { id attempt: status } }
  ... on RateLimitedError { message retryAfter }
  ... on NotRetryableError { message reason errorCode } } }"""


def limited_settings(database_url: str, data_dir: Path) -> Any:
    return settings_for(
        database_url,
        data_dir,
        OFFLINE_STEP_DELAY_MS=600_000,
        SUBMISSION_RATE_LIMIT=3,
        SUBMISSION_RATE_WINDOW_SECONDS=600,
        MAX_ACTIVE_JOBS_PER_USER=50,
    )


@pytest.fixture
async def two_processes(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[ApiHarness, ApiHarness]]:
    """Two API instances on one database, as two processes behind a load balancer."""
    settings = limited_settings(database_url, tmp_path)
    async with running_api(settings) as first, running_api(settings) as second:
        yield first, second


async def submit_result(api: ApiHarness, user: str) -> dict[str, Any]:
    body = await api.graphql(LIMITED_SUBMIT, {"input": WIZARD}, user=user)
    return body["data"]["submitMissionPlan"]


async def test_submit_and_cancel_across_processes_is_rate_limited(
    two_processes: tuple[ApiHarness, ApiHarness],
) -> None:
    first, second = two_processes
    user = new_user()
    for api in (first, second, first):
        started = await submit_result(api, user)
        assert started["__typename"] == "SubmitMissionPlanSuccess", started
        cancel = await api.graphql(CANCEL, {"id": started["report"]["id"]}, user=user)
        assert cancel["data"]["cancelMissionPlan"]["__typename"] == "CancelMissionPlanSuccess"

    refused = await submit_result(second, user)
    assert refused["__typename"] == "RateLimitedError"
    assert (refused["limit"], refused["windowSeconds"]) == (3, 600)
    assert 590 <= refused["retryAfter"] <= 600
    assert f"try again in {refused['retryAfter']} seconds" in refused["message"]
    # Nothing was created for the refused one; another user is not affected.
    page = await second.graphql("{ missionReports { nodes { id } } }", user=user)
    assert page["data"]["missionReports"]["nodes"] == []
    assert (await submit_result(first, new_user()))["__typename"] == "SubmitMissionPlanSuccess"


async def test_a_retry_over_the_limit_is_rate_limited(
    two_processes: tuple[ApiHarness, ApiHarness],
) -> None:
    api, _ = two_processes
    user = new_user()
    report = await submit(api, user)
    failed = webhook_event(report, "workflow.failed", 90, error=_error(retryable=True))
    assert (await api.webhook(failed)).status_code == 200
    for _ in range(2):
        await submit(api, user)

    body = await api.graphql(RETRY, {"id": report["id"]}, user=user)
    assert body["data"]["retryMissionPlan"]["__typename"] == "RateLimitedError"
    stored = await api.state.queries.report(report["id"])
    assert stored is not None and stored.status.value == "FAILED" and stored.attempt == 1


async def test_a_failure_marked_not_retryable_is_refused(api: ApiHarness) -> None:
    user = new_user()
    report = await submit(api, user)
    failed = webhook_event(report, "workflow.failed", 90, error=_error(retryable=False))
    assert (await api.webhook(failed)).status_code == 200

    body = await api.graphql(RETRY, {"id": report["id"]}, user=user)
    assert body["data"]["retryMissionPlan"] == {
        "__typename": "NotRetryableError",
        "message": "This plan failed with an error a retry cannot fix; "
        "change the wizard answers and submit a new plan.",
        "reason": "PERMANENT_ERROR",
        "errorCode": "INVALID_INPUT",
    }
    stored = await api.state.queries.report(report["id"])
    assert stored is not None and stored.status.value == "FAILED" and stored.attempt == 1


def _error(*, retryable: bool) -> dict[str, Any]:
    code = "provider_timeout" if retryable else "invalid_input"
    return {"code": code, "message": "It did not work.", "retryable": retryable}
