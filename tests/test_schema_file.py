"""schema.graphql is generated from the code; this fails when someone forgets to regenerate."""

from dataclasses import replace
from pathlib import Path

from graphql import Node, Visitor, parse, print_ast, visit

from graph.export_schema import schema_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text() == schema_sdl(), (
        "schema.graphql is stale: run `make schema` and commit the result"
    )


class _WithoutDescriptions(Visitor):
    def leave(self, node: Node, *_: object) -> Node | None:
        if getattr(node, "description", None) is None:
            return None  # unchanged
        return replace(node, description=None)  # type: ignore[call-arg]


def signatures_sdl() -> str:
    """The SDL without descriptions: each field's arguments back on one line."""
    return print_ast(visit(parse(schema_sdl()), _WithoutDescriptions()))


def test_contract_names_are_present() -> None:
    sdl = signatures_sdl()
    for name in (
        "missionReport(id: ID!): MissionReport",
        "missionReports(status: MissionStatus = null, first: Int = 20, after: String = null)",
        "activeMissions: [MissionReport!]!",
        'workflowSteps(workflow: String! = "mission_generation"): [WorkflowStep!]!',
        "notifications(includeDismissed: Boolean! = false): [Notification!]!",
        "bundles(scenario: Scenario = null): [Bundle!]!",
        "submitMissionPlan(input: MissionPlanInput!, idempotencyKey: String = null): "
        "SubmitMissionPlanResult!",
        "cancelMissionPlan(reportId: ID!): CancelMissionPlanResult!",
        "retryMissionPlan(reportId: ID!): RetryMissionPlanResult!",
        "dismissNotification(id: ID!): DismissNotificationResult!",
        "missionEvents(reportId: ID!, afterSequence: Int = null): MissionEvent!",
        "myMissionEvents: MissionEvent!",
        "union MissionEvent = MissionProgressEvent | MissionCompletedEvent | MissionFailedEvent "
        "| MissionCancelledEvent | NotificationEvent",
    ):
        assert name in sdl, name
