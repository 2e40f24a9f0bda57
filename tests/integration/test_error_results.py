"""Mutation failures as a client sees them: each one what it is, none passed off as another."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from domain.errors import DomainError
from domain.operations import IN_FLIGHT_RETRY_AFTER_SECONDS, cancel_mission_plan
from domain.ports import LLMService
from tests.e2e.client import WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.unit.builders import generating_report

SUBMIT = """
mutation Submit($input: MissionPlanInput!, $key: String) {
  submitMissionPlan(input: $input, idempotencyKey: $key) {
    __typename
    ... on SubmissionInProgressError { message retryAfter }
    ... on ServiceUnavailableError { message retryAfter }
    ... on NotFoundError { message }
  }
}
"""

RETRY = """
mutation Retry($id: ID!) {
  retryMissionPlan(reportId: $id) { __typename ... on NotFoundError { message } }
}
"""


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    async with running_api(
        settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=0)
    ) as harness:
        yield harness


def new_user() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


def use_llm(api: ApiHarness, llm: LLMService, **changes: Any) -> None:
    api.state.deps = dataclasses.replace(api.state.deps, llm=llm, **changes)


class LLMStandIn:
    """The real client, with one call replaced by a test."""

    def __init__(self, real: LLMService) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


async def test_a_key_still_in_flight_is_a_submission_in_progress_not_a_down_generator(
    api: ApiHarness,
) -> None:
    user = new_user()
    # Another request with this key committed its report and is still starting the job.
    in_flight = generating_report(
        id=str(uuid.uuid4()), user_id=user, job_id=None, idempotency_key="wizard-1"
    )
    async with api.state.deps.uow() as uow:
        await uow.reports.add(in_flight)
        await uow.commit()
    api.state.deps = dataclasses.replace(api.state.deps, submit_wait_seconds=0.2)

    body = await api.graphql(SUBMIT, {"input": WIZARD, "key": "wizard-1"}, user=user)

    result = body["data"]["submitMissionPlan"]
    assert result["__typename"] == "SubmissionInProgressError", body
    assert result["retryAfter"] == IN_FLIGHT_RETRY_AFTER_SECONDS
    assert "unavailable" not in result["message"]
    async with api.state.deps.uow() as uow:
        assert await uow.reports.count_by_status(user, in_flight.status) == 1


async def test_a_plan_cancelled_while_its_job_starts_is_not_found_not_unexpected(
    api: ApiHarness,
) -> None:
    user = new_user()

    class CancelledMeanwhile(LLMStandIn):
        async def submit_workflow(
            self, workflow_name: str, input_data: dict[str, Any], metadata: dict[str, Any]
        ) -> str:
            await cancel_mission_plan(api.state.deps, user, metadata["report_id"])
            return await self.real.submit_workflow(workflow_name, input_data, metadata)

    use_llm(api, CancelledMeanwhile(api.state.deps.llm))

    body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)

    assert body["data"]["submitMissionPlan"]["__typename"] == "NotFoundError", body


async def test_an_unmapped_domain_error_is_an_unexpected_error_with_a_traceback(
    api: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    class SomethingNew(DomainError):
        message = "a failure nobody gave a union member"

    class Broken(LLMStandIn):
        async def get_workflow(self, name: str) -> Any:
            raise SomethingNew()

    use_llm(api, Broken(api.state.deps.llm))

    with caplog.at_level(logging.INFO):
        # Retry's union has NotFoundError, where an unmapped error used to land.
        body = await api.graphql(RETRY, {"id": str(uuid.uuid4())}, user=new_user())

    assert body["data"] is None
    assert [error["message"] for error in body["errors"]] == ["Unexpected error."]
    logged = [record for record in caplog.records if record.exc_info]
    assert logged and isinstance(logged[0].exc_info[1], SomethingNew)  # type: ignore[index]
