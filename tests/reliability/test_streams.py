"""Snapshot, then stream, without a gap; publish only after commit; heal lost publishes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.event_log import MissionEvent
from graph.streams import report_events, user_events
from infra.auth import Viewer
from infra.publisher import user_channel
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.support.job_events import PLAN
from tests.support.workflow_steps import (
    BUILD_SCENARIO_LIST,
    BUILD_USER_MESSAGE,
    FORMAT_BUNDLES,
    GENERATE_MISSION_PLAN,
    JOIN_BUNDLES,
)


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    settings = settings_for(
        database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000, SUBSCRIPTION_POLL_SECONDS=0.3
    )
    async with running_api(settings) as harness:
        yield harness


class Report:
    def __init__(self, api: ApiHarness, user: str, data: dict[str, Any]) -> None:
        self.api, self.user, self.id, self.job_id = api, user, data["id"], data["jobId"]
        self.job_sequence = 10

    async def step(self, step_id: str) -> None:
        self.job_sequence += 1
        await self._send("workflow.step_started", step_id=step_id)

    async def complete(self) -> None:
        self.job_sequence += 1
        usage = {
            "model": "offline-planner-v1",
            "input_tokens": 1,
            "output_tokens": 2,
            "duration_ms": 3,
        }
        await self._send("workflow.completed", output={"mission_plan": PLAN, "llm_usage": usage})

    async def _send(self, type_: str, **data: Any) -> None:
        body = {
            "type": type_,
            "job_id": self.job_id,
            "workflow_name": "mission_generation",
            "sequence": self.job_sequence,
            "occurred_at": datetime.now(UTC).isoformat(),
            "metadata": {"report_id": self.id, "attempt": 1},
            "data": data,
        }
        assert (await self.api.webhook(body)).status_code == 200


async def new_report(api: ApiHarness) -> Report:
    user = f"user-{uuid.uuid4().hex[:10]}"
    body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
    return Report(api, user, body["data"]["submitMissionPlan"]["report"])


async def stream(
    api: ApiHarness, report: Report, after: int | None = None
) -> asyncio.Task[list[int]]:
    """Runs the subscription's stream in a task; the result is the sequences it yielded.

    Returns once the stream is on the bus and, without `after`, has read its snapshot,
    so what the test commits next is not in the snapshot by chance.
    """
    viewer = Viewer(report.user, is_admin=False, expires_at=None)
    ready = asyncio.Event()

    async def run() -> list[int]:
        seen: list[int] = []
        async with api.state.bus.subscribe(user_channel(report.user)) as subscription:
            if after is not None:
                ready.set()
            async for item in report_events(api.state, viewer, report.id, after, subscription):
                seen.append(item.sequence)
                ready.set()
        ready.set()
        return seen

    task = asyncio.create_task(run())
    await asyncio.wait_for(ready.wait(), 10)
    return task


def around_snapshot_read(
    api: ApiHarness, action: Callable[[], Awaitable[None]], *, before: bool
) -> None:
    original = api.state.queries.latest_state_and_after

    async def read(report_id: str, limit: int = 500) -> list[MissionEvent]:
        if before:
            await action()
        result = await original(report_id, limit)
        if not before:
            await action()
        return result

    api.state.queries.latest_state_and_after = read  # type: ignore[method-assign]


@pytest.mark.parametrize("commit_lands", ["before_the_read", "after_the_read"])
async def test_a_commit_between_subscribe_and_read_is_shown_once(
    api: ApiHarness, commit_lands: str
) -> None:
    report = await new_report(api)
    around_snapshot_read(
        api, lambda: report.step(BUILD_SCENARIO_LIST), before=commit_lands == "before_the_read"
    )
    task = await stream(api, report)
    await asyncio.sleep(0.1)
    await report.step(GENERATE_MISSION_PLAN)
    await report.complete()
    seen = await asyncio.wait_for(task, 10)
    # snapshot, then 2 (if not in the snapshot), 3, the completion and its notification:
    # no gap, no repeat
    expected = [2, 3, 4, 5] if commit_lands == "before_the_read" else [1, 2, 3, 4, 5]
    assert seen == expected


async def test_a_sequence_gap_is_filled_from_the_log(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = await new_report(api)
    task = await stream(api, report)
    publisher = api.state.deps.publisher
    original = publisher.publish
    dropped: list[int] = []

    async def lossy(events: Any) -> None:
        kept = [e for e in events if e.sequence != 2]
        dropped.extend(e.sequence for e in events if e.sequence == 2)
        await original(kept)

    monkeypatch.setattr(publisher, "publish", lossy)
    await report.step(JOIN_BUNDLES)  # sequence 2: committed, never published
    await report.step(GENERATE_MISSION_PLAN)  # sequence 3 arrives with a gap
    await report.complete()
    assert dropped == [2]
    assert await asyncio.wait_for(task, 10) == [1, 2, 3, 4, 5]


async def test_a_crash_between_commit_and_publish_is_healed(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = await new_report(api)
    task = await stream(api, report)

    async def crashed(events: Any) -> None:
        return None  # the process "died" after commit: nothing reaches the bus

    monkeypatch.setattr(api.state.deps.publisher, "publish", crashed)
    await report.step(GENERATE_MISSION_PLAN)
    await report.complete()
    # The live subscriber finds the events in the log on its idle re-read.
    assert await asyncio.wait_for(task, 10) == [1, 2, 3, 4]
    # A new subscriber starts from the database, so it is right at once: the completion
    # (the report's state) and the notification written with it.
    late = await stream(api, report)
    assert await asyncio.wait_for(late, 5) == [3, 4]


async def test_a_rolled_back_transaction_publishes_nothing(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = await new_report(api)
    published: list[Any] = []
    original = api.state.deps.publisher.publish

    async def recording(events: Any) -> None:
        published.extend(events)
        await original(events)

    monkeypatch.setattr(api.state.deps.publisher, "publish", recording)
    from infra.db.repositories import SqlNotificationRepository

    async def broken_insert(self: Any, notification: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(SqlNotificationRepository, "add", broken_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        await report.complete()
    assert published == []
    stored = await api.state.queries.report(report.id)
    assert stored is not None and stored.status.value == "GENERATING" and stored.last_sequence == 1
    assert [e.sequence for e in await api.state.queries.events_after(report.id, 0)] == [1]


async def test_a_subscriber_that_falls_behind_still_gets_the_terminal_event(
    database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(
        database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000, SUBSCRIBER_QUEUE_SIZE=2
    )
    async with running_api(settings) as api:
        report = await new_report(api)
        viewer = Viewer(report.user, is_admin=False, expires_at=None)
        async with api.state.bus.subscribe(user_channel(report.user)) as subscription:
            events = report_events(api.state, viewer, report.id, None, subscription)
            snapshot = await anext(events)
            assert snapshot.sequence == 1
            # The client reads nothing while six events flood its two-slot queue.
            for step in (FORMAT_BUNDLES, JOIN_BUNDLES, BUILD_SCENARIO_LIST,
                         BUILD_USER_MESSAGE, GENERATE_MISSION_PLAN):  # fmt: skip
                await report.step(step)
            await report.complete()
            assert subscription.pending <= 2
            rest = [event.sequence async for event in events]
        # Progress may be skipped or re-read, but never out of order, and the end arrives.
        assert rest == sorted(set(rest)) and rest[-2:] == [7, 8]
        final = await api.state.queries.events_after(report.id, 6)
        assert [e.type.value for e in final] == ["completed", "notification"]


async def test_my_mission_events_fills_a_gap_from_the_log(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = await new_report(api)
    viewer = Viewer(report.user, is_admin=False, expires_at=None)
    publisher = api.state.deps.publisher
    original = publisher.publish

    async def lossy(events: Any) -> None:
        await original([e for e in events if e.sequence != 3])

    monkeypatch.setattr(publisher, "publish", lossy)
    seen: list[int] = []
    async with api.state.bus.subscribe(user_channel(report.user)) as subscription:
        events = user_events(api.state, viewer, subscription)
        await report.step(JOIN_BUNDLES)  # 2, delivered
        while not seen or seen[-1] < 2:  # the queued event (1) may or may not come first
            seen.append((await asyncio.wait_for(anext(events), 5)).sequence)
        await report.step(BUILD_SCENARIO_LIST)  # 3, never published
        await report.step(GENERATE_MISSION_PLAN)  # 4, arrives after a gap
        while seen[-1] < 4:
            seen.append((await asyncio.wait_for(anext(events), 5)).sequence)
    assert seen[-3:] == [2, 3, 4]
    assert seen == list(range(seen[0], 5))
