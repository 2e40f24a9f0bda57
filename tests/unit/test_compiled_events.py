"""The compiled event programs (graph/compiled_events.py) give what graphql-core's
executor gives for the same document, variables and event, or leave it to it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from domain.event_log import (
    CancelledPayload,
    CompletedPayload,
    EventPayload,
    FailedPayload,
    MissionEvent,
    NotificationPayload,
    ProgressPayload,
)
from domain.report import Progress, ReportError
from graph.event_types import MissionCompletedEvent, MissionProgressEvent, event_from_domain
from graph.graphql_endpoint import MissionPlannerGraphQL
from graph.light_subscriptions import LightPlan
from tests.integration.harness import settings_for

VIEW = MissionPlannerGraphQL(lambda: None, settings_for("sqlite+aiosqlite://", Path(".")))

EVERYTHING = """subscription($id: ID!, $steps: Boolean!, $noError: Boolean = false) {
  e: missionEvents(reportId: $id) {
    kind: __typename
    ...Base
    ... on MissionProgressEvent {
      attempt delta: draftDelta draftLength
      progress @include(if: $steps) { stepId stepName stepIndex stepCount percentage }
      progress { p: percentage }
    }
    ... on MissionCompletedEvent { attempt }
    ... on MissionFailedEvent { attempt error @skip(if: $noError) { code message retryable } }
    ... on NotificationEvent {
      notification { id kind title body reportId createdAt dismissedAt __typename }
    }
    ... on MissionCancelledEvent { __typename sequence }
  } }
fragment Base on MissionEventBase { sequence reportId occurredAt at: occurredAt }"""
MINE = "subscription { myMissionEvents { __typename ... on MissionEventBase { sequence } } }"
WITH_REPORT = """subscription($id: ID!) { missionEvents(reportId: $id) {
  __typename ... on MissionCompletedEvent { sequence report { id } }
  ... on NotificationEvent { notification { title } } } }"""
WITH_ITS_REPORT = """subscription($id: ID!) { missionEvents(reportId: $id) {
  ... on NotificationEvent { notification { report { id } } } } }"""

text = st.text(max_size=20)
counts = st.integers(min_value=0, max_value=2**31 - 1)
payloads: st.SearchStrategy[EventPayload] = st.one_of(
    st.builds(
        ProgressPayload,
        progress=st.builds(
            Progress,
            step_id=text,
            step_name=text,
            step_index=counts,
            step_count=counts,
            percentage=st.floats(min_value=0, max_value=100),
        ),
        attempt=counts,
        draft_delta=st.none() | text,
        draft_length=counts,
    ),
    st.builds(CompletedPayload, attempt=counts),
    st.builds(
        FailedPayload,
        error=st.builds(
            ReportError,
            code=st.sampled_from(["LLM_TIMEOUT", "GENERATION_FAILED", "no such code"]),
            message=text,
            retryable=st.booleans(),
        ),
        attempt=counts,
    ),
    st.just(CancelledPayload()),
    st.builds(
        NotificationPayload, notification_id=text, kind=st.just("PLAN_READY"), title=text, body=text
    ),
)
events = st.builds(
    MissionEvent,
    report_id=text,
    user_id=text,
    sequence=counts,
    occurred_at=st.datetimes(timezones=st.just(UTC)),
    payload=payloads,
)


def plan(query: str, variables: dict[str, Any] | None = None) -> LightPlan:
    found = VIEW.light_path.plan(query, variables, None)
    assert found is not None
    return found


def executed(query: str, variables: dict[str, Any] | None, root: Any) -> Any:
    """strawberry's executor, as its own subscription path runs each event."""
    executor = StrawberryGraphQLCoreExecutionContext.build(
        VIEW.light_path.schema._schema,
        plan(query, variables).document,
        root,
        raw_variable_values=variables,
    )
    assert not isinstance(executor, list)
    return executor.execute_operation(False)


VARIABLES = [
    {"id": "r", "steps": True},
    {"id": "r", "steps": False, "noError": True},
    {"id": "r", "steps": False},
]


@pytest.mark.parametrize("variables", VARIABLES)
@given(event=events)
def test_a_program_answers_as_the_executor(variables: dict[str, Any], event: MissionEvent) -> None:
    root = event_from_domain(event)
    compiled = plan(EVERYTHING, variables).compiled
    assert compiled is not None
    data = compiled.data(root)
    result = executed(EVERYTHING, variables, root)
    if data is None:  # left to the executor: only where it makes an error
        assert result.errors
    else:
        assert result.errors is None
        assert data == result.data
        assert list(data["e"]) == list(result.data["e"])  # the same order, so the same JSON


@given(event=events)
def test_my_mission_events_too(event: MissionEvent) -> None:
    root = event_from_domain(event)
    compiled = plan(MINE).compiled
    assert compiled is not None
    assert compiled.data(root) == executed(MINE, None, root).data


def test_a_program_per_document_and_directive_values() -> None:
    steps, no_steps = ({"id": "r1", "steps": s} for s in (True, False))
    first = plan(EVERYTHING, steps).compiled
    assert first is plan(EVERYTHING, {**steps, "id": "r2"}).compiled  # reportId decides nothing
    assert plan(EVERYTHING, no_steps).compiled is not first


def event(payload: EventPayload) -> Any:
    return event_from_domain(
        MissionEvent("r-1", "u-1", 3, datetime(2026, 1, 1, tzinfo=UTC), payload)
    )


def test_a_field_that_reads_at_delivery_is_left_to_the_executor() -> None:
    """The completed event's `report` resolves when delivered: that member's events go
    to the executor, the others' not; a notification's report leaves all of its events."""
    compiled = plan(WITH_REPORT, {"id": "r"}).compiled
    assert compiled is not None
    assert compiled.data(event(CompletedPayload(1))) is None
    notification = event(NotificationPayload("n", "PLAN_READY", "Ready", "Body"))
    assert compiled.data(notification) == {
        "missionEvents": {"__typename": "NotificationEvent", "notification": {"title": "Ready"}}
    }
    assert compiled.data(event(CancelledPayload())) == {
        "missionEvents": {"__typename": "MissionCancelledEvent"}
    }
    assert plan(WITH_ITS_REPORT, {"id": "r"}).compiled is not None
    assert plan(WITH_ITS_REPORT, {"id": "r"}).compiled.data(notification) is None  # type: ignore[union-attr]


def test_an_unexpected_value_is_left_to_the_executor() -> None:
    compiled = plan(EVERYTHING, VARIABLES[0]).compiled
    assert compiled is not None
    progress = event(ProgressPayload(Progress("s", "S", 0, 1, 0.0), 1))
    assert isinstance(progress, MissionProgressEvent)
    assert compiled.data(progress) is not None
    progress.attempt = None  # type: ignore[assignment]  # null for Int!
    assert compiled.data(progress) is None
    assert executed(EVERYTHING, VARIABLES[0], progress).errors
    completed = event(CompletedPayload(1))
    assert isinstance(completed, MissionCompletedEvent)
    completed.sequence = "three"  # type: ignore[assignment]  # Int refuses it
    assert compiled.data(completed) is None
    assert executed(EVERYTHING, VARIABLES[0], completed).errors
