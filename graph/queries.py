"""Query resolvers: a few lines each, reading through ReadQueries."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import Info

from domain import wizard
from domain.report import MissionStatus as DomainStatus
from domain.workflow import MISSION_GENERATION, known_workflow
from graph.context import Context
from graph.enums import MissionStatus, Scenario
from graph.plan_types import Bundle
from graph.reads import read_report
from graph.types import (
    MissionReport,
    MissionReportConnection,
    Notification,
    PageInfo,
    Viewer,
    WorkflowStep,
    report_cursor,
)

DEFAULT_PAGE_SIZE = 20


class InvalidPageSize(ValueError):
    """A negative `first`: the Relay spec makes it an error, not an empty page."""

    def __init__(self) -> None:
        super().__init__("first: must not be negative.")


def page_size(first: int | None, max_page_size: int) -> int:
    """`first`, or the default when null, clamped to MAX_PAGE_SIZE; 0 asks for pageInfo only."""
    if first is None:
        return min(DEFAULT_PAGE_SIZE, max_page_size)
    if first < 0:
        raise InvalidPageSize()
    return min(first, max_page_size)


@strawberry.type
class Query:
    @strawberry.field(description="Who you are signed in as.")
    def viewer(self, info: Info[Context, None]) -> Viewer:
        viewer = info.context.require_viewer()
        return Viewer(
            id=strawberry.ID(viewer.user_id), is_admin=viewer.is_admin, email=viewer.email
        )

    @strawberry.field(description="Null when absent or not yours.")
    async def mission_report(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The report id.")],
    ) -> MissionReport | None:
        report = await read_report(info.context, str(id))
        return MissionReport.from_domain(report) if report else None

    @strawberry.field(
        description="Your reports, newest first. `first` above the page size limit "
        "(MAX_PAGE_SIZE, 100 by default) is clamped to it; a negative `first` is an error."
    )
    async def mission_reports(
        self,
        info: Info[Context, None],
        status: Annotated[
            MissionStatus | None, strawberry.argument(description="Only reports in this status.")
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="How many reports at most.")
        ] = DEFAULT_PAGE_SIZE,
        after: Annotated[
            str | None, strawberry.argument(description="The endCursor of the previous page.")
        ] = None,
    ) -> MissionReportConnection:
        viewer = info.context.require_viewer()
        limit = page_size(first, info.context.state.settings.max_page_size)
        page = await info.context.state.queries.report_page(
            viewer.user_id, DomainStatus(status.value) if status else None, limit, after
        )
        nodes = [MissionReport.from_listing(r) for r in page.reports]
        return MissionReportConnection(
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=report_cursor(nodes[-1]) if nodes else None,
                has_previous_page=after is not None,
                start_cursor=report_cursor(nodes[0]) if nodes else None,
            ),
        )

    @strawberry.field(description="Your plans still generating, newest first (the dashboard).")
    async def active_missions(self, info: Info[Context, None]) -> list[MissionReport]:
        viewer = info.context.require_viewer()
        page = await info.context.state.queries.active_reports(viewer.user_id)
        return [MissionReport.from_listing(r) for r in page.reports]

    @strawberry.field(
        description="The workflow's steps with the percentage done at each. "
        "An unknown workflow name is an error."
    )
    async def workflow_steps(
        self,
        info: Info[Context, None],
        workflow: Annotated[str, strawberry.argument(description="The workflow's name.")] = (
            MISSION_GENERATION
        ),
    ) -> list[WorkflowStep]:
        definition = await info.context.state.llm.get_workflow(known_workflow(workflow))
        by_id = {s.id: s for s in definition.steps}
        return [
            WorkflowStep.from_domain(p, by_id[p.step_id].description, by_id[p.step_id].weight)
            for p in definition.progress_of_steps()
        ]

    @strawberry.field(description="Your notifications, newest first (at most 200).")
    async def notifications(
        self,
        info: Info[Context, None],
        include_dismissed: Annotated[
            bool, strawberry.argument(description="Also the dismissed ones.")
        ] = False,
    ) -> list[Notification]:
        viewer = info.context.require_viewer()
        found = await info.context.state.queries.notifications(viewer.user_id, include_dismissed)
        return [Notification.from_domain(n) for n in found]

    @strawberry.field(description="The product bundle catalog, optionally for one scenario.")
    async def bundles(
        self,
        info: Info[Context, None],
        scenario: Annotated[
            Scenario | None, strawberry.argument(description="Only bundles for this scenario.")
        ] = None,
    ) -> list[Bundle]:
        rows = await info.context.state.queries.bundles(
            wizard.Scenario(scenario.value).value if scenario else None
        )
        return [Bundle.from_row(row) for row in rows]
