"""Thin GraphQL types over domain objects (`from_domain`), no logic of their own."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from domain import plan as plan_domain
from domain import report as report_domain
from domain import wizard
from domain.notifications import Notification as DomainNotification
from domain.workflow import StepProgress
from graph.usage import MissionUsage, UsageSummary, report_attempts, report_usage, viewer_usage

if TYPE_CHECKING:
    from graph.context import Context
    from infra.db.read_queries import BundleRow

# strawberry.enum registers the domain enum in place and returns the same class; the
# aliases name the class itself (not the call's result) so mypy accepts them as types.
strawberry.enum(wizard.Scenario, description="An emergency the family prepares for.")
strawberry.enum(wizard.BudgetTier)
strawberry.enum(wizard.MobilityStrategy)
strawberry.enum(report_domain.MissionStatus)
Scenario = wizard.Scenario
BudgetTier = wizard.BudgetTier
MobilityStrategy = wizard.MobilityStrategy
MissionStatus = report_domain.MissionStatus


@strawberry.type
class Viewer:
    id: strawberry.ID
    is_admin: bool
    email: str | None

    @strawberry.field(description="What your generations used, all time.")
    async def usage(self, info: strawberry.Info[Context, None]) -> UsageSummary:
        return await viewer_usage(info)


@strawberry.type
class Location:
    city: str
    state: str
    country: str
    postal_code: str | None


@strawberry.type
class FamilyMember:
    name: str | None
    age: int
    medical_needs: list[str]


@strawberry.type
class MobilityPlan:
    strategy: MobilityStrategy
    has_vehicle: bool


@strawberry.type(description="The wizard answers the report was generated from.")
class MissionInput:
    location: Location
    scenarios: list[Scenario]
    family_members: list[FamilyMember]
    mobility_plan: MobilityPlan
    budget_tier: BudgetTier
    duration_days: int
    pet_count: int
    notes: str | None

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


@strawberry.type
class MissionProgress:
    step_id: str
    step_name: str
    step_index: int
    step_count: int
    percentage: float

    @classmethod
    def from_domain(cls, value: report_domain.Progress) -> MissionProgress:
        return cls(
            step_id=value.step_id,
            step_name=value.step_name,
            step_index=value.step_index,
            step_count=value.step_count,
            percentage=value.percentage,
        )


@strawberry.type
class MissionError:
    code: str
    message: str
    retryable: bool

    @classmethod
    def from_domain(cls, value: report_domain.ReportError) -> MissionError:
        return cls(code=value.code, message=value.message, retryable=value.retryable)


@strawberry.type
class Bundle:
    id: strawberry.ID
    name: str
    description: str
    price_usd: float = strawberry.field(description="US dollars, e.g. 149.0 (cents exact).")
    budget_tier: BudgetTier
    scenarios: list[Scenario]
    items: list[str]

    @classmethod
    def from_row(cls, row: BundleRow) -> Bundle:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            description=row.description,
            price_usd=float(row.price_usd),
            budget_tier=wizard.BudgetTier(row.budget_tier),
            scenarios=[wizard.Scenario(s) for s in row.scenarios],
            items=list(row.items),
        )


@strawberry.type
class RiskAssessment:
    scenario: Scenario | None
    title: str
    level: str
    summary: str


@strawberry.type
class RecommendedBundle:
    bundle_id: str
    name: str
    reason: str

    @strawberry.field(description="The catalog entry, when the id is in the catalog.")
    async def bundle(self, info: strawberry.Info[Context, None]) -> Bundle | None:
        row = await info.context.loaders.bundle.load(self.bundle_id)
        return Bundle.from_row(row) if row else None


@strawberry.type
class Skill:
    name: str
    priority: str
    reason: str


@strawberry.type
class SimulationDay:
    day: int
    title: str
    details: str


@strawberry.type
class PlanSections:
    executive_summary: str
    risk_assessment: list[RiskAssessment]
    bundles: list[RecommendedBundle]
    skills: list[Skill]
    simulation: list[SimulationDay]
    next_steps: list[str]

    @classmethod
    def from_domain(cls, value: plan_domain.PlanSections) -> PlanSections:
        return cls(
            executive_summary=value.executive_summary,
            risk_assessment=[
                RiskAssessment(scenario=r.scenario, title=r.title, level=r.level, summary=r.summary)
                for r in value.risk_assessment
            ],
            bundles=[
                RecommendedBundle(bundle_id=b.bundle_id, name=b.name, reason=b.reason)
                for b in value.bundles
            ],
            skills=[Skill(name=s.name, priority=s.priority, reason=s.reason) for s in value.skills],
            simulation=[
                SimulationDay(day=d.day, title=d.title, details=d.details) for d in value.simulation
            ],
            next_steps=list(value.next_steps),
        )


@strawberry.type
class MissionPlan:
    content: str = strawberry.field(description="The whole plan as markdown.")
    sections: PlanSections


@strawberry.type
class MissionReport:
    id: strawberry.ID
    job_id: str | None
    status: MissionStatus
    attempt: int
    location: Location
    scenarios: list[Scenario]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    progress: MissionProgress
    error: MissionError | None
    plan: MissionPlan | None
    input: MissionInput
    draft: str | None = strawberry.field(
        description="The plan's text so far while it is GENERATING: the model's raw "
        'output, to be shown as plain text (never as HTML). "" before the first text; '
        "null once the report is COMPLETED (read plan.content) or FAILED."
    )

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
        snapshot = MissionInput.from_domain(value.input)
        return cls(
            id=strawberry.ID(value.id),
            job_id=value.job_id,
            status=value.status,
            attempt=value.attempt,
            location=snapshot.location,
            scenarios=snapshot.scenarios,
            created_at=value.created_at,
            updated_at=value.updated_at,
            completed_at=value.completed_at,
            progress=MissionProgress.from_domain(value.progress),
            error=MissionError.from_domain(value.error) if value.error else None,
            plan=(
                MissionPlan(
                    content=value.plan.content,
                    sections=PlanSections.from_domain(value.plan.sections),
                )
                if value.plan
                else None
            ),
            input=snapshot,
            draft=value.draft if value.status is MissionStatus.GENERATING else None,
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class MissionReportEdge:
    cursor: str
    node: MissionReport


@strawberry.type
class MissionReportConnection:
    edges: list[MissionReportEdge]
    nodes: list[MissionReport]
    page_info: PageInfo


@strawberry.type
class WorkflowStep:
    id: str
    display_name: str
    description: str
    index: int
    weight: int
    start_percentage: float
    end_percentage: float

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


@strawberry.type
class Notification:
    id: strawberry.ID
    kind: str
    title: str
    body: str
    report_id: strawberry.ID
    created_at: datetime
    dismissed_at: datetime | None

    @classmethod
    def from_domain(cls, value: DomainNotification) -> Notification:
        return cls(
            id=strawberry.ID(value.id),
            kind=value.kind,
            title=value.title,
            body=value.body,
            report_id=strawberry.ID(value.report_id),
            created_at=value.created_at,
            dismissed_at=value.dismissed_at,
        )
