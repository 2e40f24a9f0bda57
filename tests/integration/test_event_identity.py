"""One (report, sequence) is one event, whether it arrives live, replayed or as the snapshot.

Each way a client can receive a report's events is collected through the schema, as a
websocket would run it, and compared sequence by sequence with the log (a replay from
afterSequence 0): the same typename and the same occurredAt, no sequence missing.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.support.job_events import completed_event, failed_event, webhook_event
from tests.support.waiting import wait_until
from tests.support.workflow_steps import FORMAT_BUNDLES, JOIN_BUNDLES

FIELDS = """
  __typename
  ... on MissionEventBase { sequence reportId occurredAt }
  ... on MissionProgressEvent { attempt progress { stepId stepIndex stepCount percentage } }
"""
MISSION_EVENTS = f"""
subscription ($id: ID!, $after: Int) {{
  missionEvents(reportId: $id, afterSequence: $after) {{ {FIELDS} }}
}}
"""
MY_EVENTS = f"subscription {{ myMissionEvents {{ {FIELDS} }} }}"
CANCEL = "mutation ($id: ID!) { cancelMissionPlan(reportId: $id) { __typename } }"
RETRY = "mutation ($id: ID!) { retryMissionPlan(reportId: $id) { __typename } }"
# What ends a report's events on a stream that never completes (myMissionEvents).
LAST_OF_A_RUN = {"NotificationEvent", "MissionFailedEvent", "MissionCancelledEvent"}


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    # The embedded job stays in its first step: the test sends the webhooks itself.
    settings = settings_for(
        database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000, SUBSCRIPTION_POLL_SECONDS=0.3
    )
    async with running_api(settings) as harness:
        yield harness


Event = dict[str, Any]


def identity(event: Event) -> tuple[str, str]:
    return event["__typename"], event["occurredAt"]


def sequences(events: list[Event]) -> list[int]:
    return [e["sequence"] for e in events]


async def mission_events(
    api: ApiHarness, user: str, report_id: str, after: int | None = None
) -> list[Event]:
    stream = api.subscribe(MISSION_EVENTS, {"id": report_id, "after": after}, user=user)
    return await asyncio.wait_for(_all(stream), 10)


async def _all(stream: AsyncIterator[dict[str, Any]]) -> list[Event]:
    return [data["missionEvents"] async for data in stream]


async def my_events_until_the_end(api: ApiHarness, user: str, report_id: str) -> list[Event]:
    seen: list[Event] = []
    async for data in api.subscribe(MY_EVENTS, user=user):
        event = data["myMissionEvents"]
        if event["reportId"] == report_id:
            seen.append(event)
            if event["__typename"] in LAST_OF_A_RUN:
                return seen
    return seen


class Job:
    """The report's job, its webhooks sent by the test; sequences above the real job's."""

    def __init__(self, api: ApiHarness, report: dict[str, Any], attempt: int = 1) -> None:
        self.api, self.report, self.attempt, self.sequence = api, report, attempt, 10

    async def send(self, type_: str, **data: Any) -> None:
        self.sequence += 1
        body = webhook_event(self.report, type_, self.sequence, attempt=self.attempt, **data)
        assert (await self.api.webhook(body)).status_code == 200

    async def run_two_steps(self) -> None:
        await self.send("workflow.started", step_count=6)
        await self.send("workflow.step_started", step_id=FORMAT_BUNDLES)
        await self.send("workflow.progress", step_id=FORMAT_BUNDLES)
        await self.send("workflow.step_started", step_id=JOIN_BUNDLES)

    async def end(self, ending: str, user: str) -> None:
        self.sequence += 1
        if ending == "completed":
            body = completed_event(self.report, self.sequence)
        elif ending == "failed":
            body = failed_event(self.report, self.sequence)
        else:
            result = await self.api.graphql(CANCEL, {"id": self.report["id"]}, user=user)
            assert result["data"]["cancelMissionPlan"]["__typename"] == "CancelMissionPlanSuccess"
            return
        body["metadata"]["attempt"] = self.attempt
        assert (await self.api.webhook(body)).status_code == 200


def assert_same_as_the_log(log: list[Event], *streams: list[Event]) -> None:
    by_sequence = {e["sequence"]: identity(e) for e in log}
    assert sequences(log) == list(range(1, len(log) + 1)), "the replay skipped a sequence"
    for stream in streams:
        for event in stream:
            assert identity(event) == by_sequence[event["sequence"]], (event, log)


ENDINGS = {
    "completed": ["MissionCompletedEvent", "NotificationEvent"],
    "failed": ["MissionFailedEvent"],
    "cancelled": ["MissionCancelledEvent"],
}


@pytest.mark.parametrize("ending", list(ENDINGS))
async def test_every_sequence_is_the_same_event_live_replayed_and_snapshotted(
    api: ApiHarness, ending: str
) -> None:
    user = f"user-{uuid.uuid4().hex[:10]}"
    body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
    report = body["data"]["submitMissionPlan"]["report"]
    listening = api.state.bus.subscriber_count
    mine = asyncio.create_task(my_events_until_the_end(api, user, report["id"]))

    async def mine_subscribed() -> bool:  # myMissionEvents has no snapshot to wait for
        return api.state.bus.subscriber_count > listening

    await wait_until(mine_subscribed, interval=0.01)
    live_stream = api.subscribe(MISSION_EVENTS, {"id": report["id"]}, user=user)
    # The first item is the snapshot; from then on the subscription is on the bus.
    live = [(await anext(live_stream))["missionEvents"]]
    live_rest = asyncio.create_task(_all(live_stream))
    job = Job(api, report)
    await job.run_two_steps()
    generating = await _first(api, user, report["id"])
    await job.end(ending, user)

    live += await asyncio.wait_for(live_rest, 10)
    mine_seen = await asyncio.wait_for(mine, 10)
    log = await mission_events(api, user, report["id"], after=0)
    snapshot = await mission_events(api, user, report["id"])

    assert_same_as_the_log(log, live, [generating], snapshot, mine_seen)
    last = len(log)
    ending_types = ENDINGS[ending]
    # The snapshot is the event that set the report's state, then what was written with it.
    assert [e["__typename"] for e in snapshot] == ending_types
    assert sequences(snapshot) == list(range(last - len(ending_types) + 1, last + 1))
    assert generating == max(
        (e for e in log if e["__typename"] == "MissionProgressEvent"),
        key=lambda e: e["sequence"],
    )
    # "Step X of N": N is the workflow's six steps from the queued event on; X never goes back.
    progress = [e["progress"] for e in log if e["__typename"] == "MissionProgressEvent"]
    assert progress[0]["stepId"] == "queued"
    assert {p["stepCount"] for p in progress} == {6}
    assert [p["stepIndex"] for p in progress] == sorted(p["stepIndex"] for p in progress)
    assert [p["percentage"] for p in progress] == sorted(p["percentage"] for p in progress)
    # Live, nothing is missed, the notification included, and nothing is repeated.
    assert sequences(live) == list(range(1, last + 1))
    # It subscribed after the submission (the embedded job may have reported a step by then).
    assert sequences(mine_seen) == list(range(mine_seen[0]["sequence"], last + 1))


async def _first(api: ApiHarness, user: str, report_id: str) -> Event:
    stream = api.subscribe(MISSION_EVENTS, {"id": report_id}, user=user)
    try:
        return (await asyncio.wait_for(anext(stream), 5))["missionEvents"]
    finally:
        await stream.aclose()  # type: ignore[attr-defined]


async def test_a_replay_goes_on_past_a_failure_that_was_retried(api: ApiHarness) -> None:
    user = f"user-{uuid.uuid4().hex[:10]}"
    body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
    report = body["data"]["submitMissionPlan"]["report"]
    await Job(api, report).end("failed", user)
    retried = await api.graphql(RETRY, {"id": report["id"]}, user=user)
    assert retried["data"]["retryMissionPlan"]["__typename"] == "RetryMissionPlanSuccess"
    stored = await api.state.queries.report(report["id"])
    assert stored is not None and stored.job_id is not None
    second = Job(api, {**report, "jobId": stored.job_id}, attempt=2)
    await second.run_two_steps()
    await second.end("completed", user)

    log = await mission_events(api, user, report["id"], after=0)
    # Attempt 1's failure is not the end of the report: its replay reaches attempt 2's end.
    kinds = [e["__typename"] for e in log]
    assert "MissionFailedEvent" in kinds
    assert kinds[-2:] == ["MissionCompletedEvent", "NotificationEvent"]
    failed_at = kinds.index("MissionFailedEvent") + 1
    resumed = await mission_events(api, user, report["id"], after=failed_at)
    assert resumed == log[failed_at:]
    assert_same_as_the_log(log, resumed, await mission_events(api, user, report["id"]))
