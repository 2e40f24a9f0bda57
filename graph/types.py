"""Thin GraphQL types over domain objects (`from_domain`), no logic of their own."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from domain import report as report_domain
from domain import wizard
from domain.access import can_see
from domain.notifications import Notification as DomainNotification
from domain.workflow import StepProgress
from graph.enums import (
    BudgetTier,
    MissionErrorCode,
    MissionStatus,
    MobilityStrategy,
    NotificationKind,
    Scenario,
)
from graph.plan_types import MissionPlan, PlanSections
from graph.usage import MissionUsage, UsageSummary, report_attempts, report_usage, viewer_usage
from infra.db.mapping import ReportListing
from infra.db.read_queries import encode_cursor

if TYPE_CHECKING:
    from graph.context import Context


@strawberry.type(description="The signed-in user.")
class Viewer:
    id: strawberry.ID = strawberry.field(description="The user id (the token's subject).")
    is_admin: bool = strawberry.field(description="Whether the token carries the admin role.")
    email: str | None = strawberry.field(description="The token's email, when it has one.")

    @strawberry.field(description="What your generations used, all time.")
    async def usage(self, info: strawberry.Info[Context, None]) -> UsageSummary:
        return await viewer_usage(info)


@strawberry.type(description="Where the family lives.")
class Location:
    city: str = strawberry.field(description="City or town.")
    state: str = strawberry.field(description="State, province or region.")
    country: str = strawberry.field(description="ISO 3166 two-letter country code, e.g. `US`.")
    postal_code: str | None = strawberry.field(description="Postal code, when given.")


@strawberry.type(description="One person the plan is for.")
class FamilyMember:
    name: str | None = strawberry.field(description="Name, when given.")
    age: int = strawberry.field(description="Age in years.")
    medical_needs: list[str] = strawberry.field(
        description="Medical needs, one entry each (e.g. `insulin`)."
    )


@strawberry.type(description="How the family would move.")
class MobilityPlan:
    strategy: MobilityStrategy = strawberry.field(description="Stay, leave, or decide then.")
    has_vehicle: bool = strawberry.field(
        description="Whether the family has a vehicle to leave in."
    )


@strawberry.type(description="The wizard answers the report was generated from.")
class MissionInput:
    location: Location = strawberry.field(description="Where the family lives.")
    scenarios: list[Scenario] = strawberry.field(description="The emergencies planned for.")
    family_members: list[FamilyMember] = strawberry.field(description="The people the plan is for.")
    mobility_plan: MobilityPlan = strawberry.field(description="How the family would move.")
    budget_tier: BudgetTier = strawberry.field(description="How much to spend on supplies.")
    duration_days: int = strawberry.field(description="How many days the plan covers.")
    pet_count: int = strawberry.field(description="How many pets come along.")
    notes: str | None = strawberry.field(description="Free text the family added, when any.")

    @classmethod
    def from_domain(cls, value: wizard.MissionPlanInput) -> MissionInput:
        loc = value.location
        return cls(
            location=Location(
                city=loc.city, state=loc.state, country=loc.country, postal_code=loc.postal_code
            ),
            scenarios=list(value.scenarios),
            family_members=[
                FamilyMember(name=m.name, age=m.age, medical_needs=list(m.medical_needs))
                for m in value.family_members
            ],
            mobility_plan=MobilityPlan(
                strategy=value.mobility_plan.strategy, has_vehicle=value.mobility_plan.has_vehicle
            ),
            budget_tier=value.budget_tier,
            duration_days=value.duration_days,
            pet_count=value.pet_count,
            notes=value.notes,
        )


@strawberry.type(description="How far a plan's generation is.")
class MissionProgress:
    step_id: str = strawberry.field(description="The step running (WorkflowStep.id).")
    step_name: str = strawberry.field(description="The step's name for a person.")
    step_index: int = strawberry.field(description="The step's place, from 0.")
    step_count: int = strawberry.field(description="How many steps the workflow has.")
    percentage: float = strawberry.field(description="Done so far, 0 to 100.")

    @classmethod
    def from_domain(cls, value: report_domain.Progress) -> MissionProgress:
        return cls(
            step_id=value.step_id,
            step_name=value.step_name,
            step_index=value.step_index,
            step_count=value.step_count,
            percentage=value.percentage,
        )


@strawberry.type(description="Why a plan failed, in words for a person.")
class MissionError:
    code: MissionErrorCode = strawberry.field(description="What failed, stable for clients.")
    message: str = strawberry.field(
        description="What happened and what to do (the code's message)."
    )
    retryable: bool = strawberry.field(description="Whether retryMissionPlan may help.")

    @classmethod
    def from_domain(cls, value: report_domain.ReportError) -> MissionError:
        return cls(
            code=MissionErrorCode.of(value.code), message=value.message, retryable=value.retryable
        )


async def report_plan(
    root: MissionReport, info: strawberry.Info[Context, None]
) -> MissionPlan | None:
    """The plan read with the report, or, for a listed report that has one, loaded now."""
    plan = root._plan
    if plan is None and root._plan_listed:
        plan = await info.context.loaders.plan.load(str(root.id))
    if plan is None:
        return None
    return MissionPlan(content=plan.content, sections=PlanSections.from_domain(plan.sections))


def report_input(root: MissionReport) -> MissionInput:
    """Built when selected: a page of reports rarely asks for the whole wizard input."""
    return MissionInput.from_domain(root._source.input)


@strawberry.type(description="A plan request: its input, its progress and, once written, its plan.")
class MissionReport:
    id: strawberry.ID = strawberry.field(description="The report id.")
    job_id: str | None = strawberry.field(
        description="The plan generator's job id, once its job started."
    )
    status: MissionStatus = strawberry.field(description="Generating, completed or failed.")
    attempt: int = strawberry.field(description="Which attempt this is, from 1 (retries add one).")
    location: Location = strawberry.field(description="Where the family lives (as in `input`).")
    scenarios: list[Scenario] = strawberry.field(
        description="The emergencies planned for (as in `input`)."
    )
    created_at: datetime = strawberry.field(description="When it was submitted.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    completed_at: datetime | None = strawberry.field(
        description="When the plan was written; null before."
    )
    progress: MissionProgress = strawberry.field(description="How far the generation is.")
    error: MissionError | None = strawberry.field(description="Why it failed; null unless FAILED.")
    plan: MissionPlan | None = strawberry.field(
        resolver=report_plan, description="The plan; null until COMPLETED."
    )
    input: MissionInput = strawberry.field(
        resolver=report_input, description="The wizard answers it was generated from."
    )
    draft: str | None = strawberry.field(
        description="The plan's text so far while it is GENERATING: the model's raw "
        'output, to be shown as plain text (never as HTML). "" before the first text; '
        "null once the report is COMPLETED (read plan.content) or FAILED."
    )
    # The domain plan when it was read with the report; for a listing (a page leaves
    # the plan columns out) `_plan_listed` says whether there is one to load.
    _plan: strawberry.Private[report_domain.Plan | None]
    _plan_listed: strawberry.Private[bool]
    # What it was made from, for its wizard input (a listing decodes it when asked).
    _source: strawberry.Private[report_domain.MissionReport | ReportListing]

    @strawberry.field(description="Every attempt that used tokens, summed; null before any.")
    async def usage(self, info: strawberry.Info[Context, None]) -> MissionUsage | None:
        return await report_usage(info, str(self.id))

    @strawberry.field(
        description="One entry per attempt that used tokens, oldest first: failed and "
        "retried attempts count too."
    )
    async def attempts(self, info: strawberry.Info[Context, None]) -> list[MissionUsage]:
        return await report_attempts(info, str(self.id))

    @classmethod
    def from_domain(cls, value: report_domain.MissionReport) -> MissionReport:
        return cls._of(value, value.input, value.plan, plan_listed=False)

    @classmethod
    def from_listing(cls, value: ReportListing) -> MissionReport:
        """A report of a page (read without its plan): the plan loads when selected."""
        return cls._of(value, value, None, plan_listed=value.has_plan)

    @classmethod
    def _of(
        cls,
        value: report_domain.MissionReport | ReportListing,
        shown: wizard.MissionPlanInput | ReportListing,
        plan: report_domain.Plan | None,
        plan_listed: bool,
    ) -> MissionReport:
        """`shown` has the location and scenarios: the input, or a listing itself."""
        loc = shown.location
        return cls(
            id=strawberry.ID(value.id),
            job_id=value.job_id,
            status=value.status,
            attempt=value.attempt,
            location=Location(
                city=loc.city, state=loc.state, country=loc.country, postal_code=loc.postal_code
            ),
            scenarios=list(shown.scenarios),
            created_at=value.created_at,
            updated_at=value.updated_at,
            completed_at=value.completed_at,
            progress=MissionProgress.from_domain(value.progress),
            error=MissionError.from_domain(value.error) if value.error else None,
            draft=value.draft if value.status is MissionStatus.GENERATING else None,
            _plan=plan,
            _plan_listed=plan_listed,
            _source=value,
        )


def report_cursor(report: MissionReport) -> str:
    return encode_cursor(report.created_at, str(report.id))


@strawberry.type(description="Where a page of a connection ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow.")
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` for the next page; null on an empty page."
    )
    has_previous_page: bool = strawberry.field(
        description="Whether items come before this page (true when `after` was given)."
    )
    start_cursor: str | None = strawberry.field(
        description="The first item's cursor; null on an empty page."
    )


@strawberry.type(description="A report in a page, with its cursor.")
class MissionReportEdge:
    cursor: str = strawberry.field(description="This item's place, for `after`.")
    node: MissionReport = strawberry.field(description="The report.")


def connection_edges(root: MissionReportConnection) -> list[MissionReportEdge]:
    """Made when selected: a query of `nodes` never reads the cursors."""
    return [MissionReportEdge(cursor=report_cursor(node), node=node) for node in root.nodes]


@strawberry.type(description="A page of reports (Relay connection).")
class MissionReportConnection:
    edges: list[MissionReportEdge] = strawberry.field(
        resolver=connection_edges, description="The reports with their cursors."
    )
    nodes: list[MissionReport] = strawberry.field(description="The reports alone.")
    page_info: PageInfo = strawberry.field(description="Where this page ends.")


@strawberry.type(description="One step of the plan generator's workflow.")
class WorkflowStep:
    id: str = strawberry.field(description="The step id (MissionProgress.stepId).")
    display_name: str = strawberry.field(description="The step's name for a person.")
    description: str = strawberry.field(description="What the step does.")
    index: int = strawberry.field(description="The step's place, from 0.")
    weight: int = strawberry.field(description="Its share of the work, relative to the others.")
    start_percentage: float = strawberry.field(description="Progress when it starts, 0 to 100.")
    end_percentage: float = strawberry.field(description="Progress when it ends, 0 to 100.")

    @classmethod
    def from_domain(cls, step: StepProgress, description: str, weight: int) -> WorkflowStep:
        return cls(
            id=step.step_id,
            display_name=step.display_name,
            description=description,
            index=step.index,
            weight=weight,
            start_percentage=step.start_percentage,
            end_percentage=step.end_percentage,
        )


@strawberry.type(description="A sticky notice for the user; it stays until dismissed.")
class Notification:
    id: strawberry.ID = strawberry.field(description="The notification id.")
    kind: NotificationKind = strawberry.field(description="What it tells.")
    title: str = strawberry.field(description="A short headline.")
    body: str = strawberry.field(description="The text to show.")
    report_id: strawberry.ID = strawberry.field(
        description="The report it is about (`report` follows it)."
    )
    created_at: datetime = strawberry.field(description="When it was written.")
    dismissed_at: datetime | None = strawberry.field(
        description="When it was dismissed; null while shown."
    )

    @strawberry.field(description="The report it is about; null once the report is gone.")
    async def report(self, info: strawberry.Info[Context, None]) -> MissionReport | None:
        return await visible_report(info, str(self.report_id))

    @classmethod
    def from_domain(cls, value: DomainNotification) -> Notification:
        return cls(
            id=strawberry.ID(value.id),
            kind=NotificationKind(value.kind),
            title=value.title,
            body=value.body,
            report_id=strawberry.ID(value.report_id),
            created_at=value.created_at,
            dismissed_at=value.dismissed_at,
        )


async def visible_report(
    info: strawberry.Info[Context, None], report_id: str
) -> MissionReport | None:
    """The report, batched through the request's loader; None when gone or not the viewer's."""
    viewer = info.context.viewer
    found = await info.context.loaders.report.load(report_id)
    if not can_see(found, viewer.user_id if viewer else None):
        return None
    return MissionReport.from_domain(found)
