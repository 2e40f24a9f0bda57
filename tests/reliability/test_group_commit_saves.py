"""Group commit's saves: a batch's report changes and events written together at its commit.

On PostgreSQL the saves of a batch are one statement before its commit
(infra.db.batch_saves). Updates of the same report in one batch merge into its last
state, a duplicate inside the batch changes nothing, and a batch whose combined write
the database refuses falls back to one transaction per update. What a user sees is
checked: the report, its events in order with their sequences, its draft.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from domain.event_log import ProgressPayload
from domain.jobs import JobUpdate
from infra.llm_payloads import webhook_to_update
from tests.e2e.client import SUBMIT, WIZARD
from tests.integration.harness import ApiHarness, running_api, settings_for
from tests.support.job_events import completed_event, webhook_event
from tests.support.workflow_steps import GENERATE_MISSION_PLAN, PARSE_SECTIONS

REPORT = """query ($id: ID!) { missionReport(id: $id) {
  status draft error { code } progress { stepId percentage } } }"""


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[ApiHarness]:
    # The embedded job stalls on its first step: only our updates move the reports.
    settings = settings_for(database_url, tmp_path, OFFLINE_STEP_DELAY_MS=600_000)
    async with running_api(settings) as harness:
        yield harness


async def generating(api: ApiHarness) -> tuple[str, dict[str, Any]]:
    """A new report (its own user) whose job is writing the plan."""
    user = f"user-{uuid.uuid4().hex[:10]}"
    body = await api.graphql(SUBMIT, {"input": WIZARD}, user=user)
    report = body["data"]["submitMissionPlan"]["report"]
    started = webhook_event(report, "workflow.step_started", 10, step_id=GENERATE_MISSION_PLAN)
    assert (await api.webhook(started)).status_code == 200
    return user, report


def delta(report: dict[str, Any], sequence: int, text: str, end: int) -> JobUpdate:
    return webhook_to_update(
        webhook_event(
            report,
            "workflow.progress",
            sequence,
            step_id=GENERATE_MISSION_PLAN,
            progress=40.0 + sequence,
            delta=text,
            draft_length=end,
        )
    )


class Batches:
    """Updates handed to the batcher at once: all of them wait for one batch. Webhook
    ids are this test's own (the PostgreSQL test database keeps every receipt)."""

    def __init__(self, api: ApiHarness) -> None:
        self.api, self.run = api, uuid.uuid4().hex[:10]

    async def apply(self, updates: list[tuple[JobUpdate, str]]) -> list[bool]:
        batcher = self.api.state.job_updates
        applied = (batcher.apply(u, f"{wid}-{self.run}") for u, wid in updates)
        return list(await asyncio.gather(*applied))


async def shown(api: ApiHarness, user: str, report_id: str) -> dict[str, Any]:
    body = await api.graphql(REPORT, {"id": report_id}, user=user)
    return dict(body["data"]["missionReport"])


async def test_updates_of_one_report_in_a_batch_merge_and_a_duplicate_changes_nothing(
    api: ApiHarness,
) -> None:
    user, report = await generating(api)
    other_user, other = await generating(api)
    before = await api.state.queries.events_after(report["id"], 0)
    batches = api.state.job_updates.batches
    first, second = delta(report, 11, "Fill the ", 9), delta(report, 12, "tub ✓.", 15)
    moved = webhook_to_update(
        webhook_event(other, "workflow.step_started", 11, step_id=PARSE_SECTIONS)
    )

    batch = Batches(api)
    answers = await batch.apply([(first, "d-1"), (moved, "m-1"), (second, "d-2")])

    assert answers == [True, True, True]
    assert api.state.job_updates.batches > batches  # they went together
    seen = await shown(api, user, report["id"])
    assert seen["status"] == "GENERATING" and seen["draft"] == "Fill the tub ✓."
    assert seen["progress"]["percentage"] == 52.0
    events = await api.state.queries.events_after(report["id"], 0)
    added = events[len(before) :]
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))  # no gap
    deltas = [e.payload for e in added if isinstance(e.payload, ProgressPayload)]
    assert [(p.draft_delta, p.draft_length) for p in deltas] == [("Fill the ", 9), ("tub ✓.", 15)]
    assert (await shown(api, other_user, other["id"]))["progress"]["stepId"] == PARSE_SECTIONS

    # The next batch appends to what the merged one wrote; a duplicate inside it (a
    # delivery of the same webhook twice, and one of a webhook already applied) is
    # ignored, and a completion replaces the draft.
    done = webhook_to_update(completed_event(report, 20))
    go = delta(report, 13, " Go.", 19)
    answers = await batch.apply(
        [(go, "d-3"), (first, "d-1"), (go, "d-3"), (done, "c-1"), (go, "d-3")]
    )
    assert answers == [True, False, False, True, False]
    seen = await shown(api, user, report["id"])
    assert seen["status"] == "COMPLETED" and seen["draft"] is None
    sequences = [e.sequence for e in await api.state.queries.events_after(report["id"], 0)]
    assert sequences == list(range(1, len(sequences) + 1))


# PostgreSQL only: SQLite stores a NUL.
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_a_batch_whose_write_is_refused_is_applied_one_by_one(
    api: ApiHarness, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A value the database refuses (here a NUL, which the webhook boundary would have
    removed) fails the one write of the whole batch: each update is then applied alone,
    and only the refused one fails its report."""
    caplog.set_level(logging.INFO, logger="domain.job_update_batches")
    reports = [await generating(api) for _ in range(3)]
    updates = [
        (delta(report, 11, "Fill ", 5), f"d-{index}") for index, (_, report) in enumerate(reports)
    ]
    poisoned = dataclasses.replace(updates[1][0], draft_delta="Fi\x00l ")
    updates[1] = (poisoned, updates[1][1])
    repeated = (delta(reports[0][1], 12, "it.", 8), "d-again")

    answers = await Batches(api).apply([*updates, repeated, updates[0]])

    assert answers == [True, True, True, True, False]
    # (The embedded job's own first webhooks may join the batch.)
    assert "job updates is applied one by one" in caplog.text
    first, refused, third = [await shown(api, user, r["id"]) for user, r in reports]
    assert first["draft"] == "Fill it." and third["draft"] == "Fill "
    assert refused["status"] == "FAILED" and refused["error"] == {"code": "INVALID_RESULT"}
    for _, report in reports:
        sequences = [e.sequence for e in await api.state.queries.events_after(report["id"], 0)]
        assert sequences == list(range(1, len(sequences) + 1))
