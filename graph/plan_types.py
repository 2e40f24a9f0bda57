"""A generated plan and the catalog's bundles, as GraphQL types (`from_domain`, no logic)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from domain import plan as plan_domain
from domain import wizard
from graph.enums import BudgetTier, RiskLevel, Scenario, SkillPriority

if TYPE_CHECKING:
    from graph.context import Context
    from infra.db.read_queries import BundleRow


@strawberry.type(description="A product bundle of the catalog: supplies sold together.")
class Bundle:
    id: strawberry.ID = strawberry.field(description="The catalog id, e.g. `water-72h`.")
    name: str = strawberry.field(description="The bundle's name as sold.")
    description: str = strawberry.field(description="What the bundle is for.")
    price_usd: float = strawberry.field(description="US dollars, e.g. 149.0 (cents exact).")
    budget_tier: BudgetTier = strawberry.field(description="The budget the bundle fits.")
    scenarios: list[Scenario] = strawberry.field(description="The emergencies it serves.")
    items: list[str] = strawberry.field(description="What is in the box, one line each.")

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


@strawberry.type(description="How one emergency threatens this family.")
class RiskAssessment:
    scenario: Scenario | None = strawberry.field(
        description="The scenario assessed; null when the plan names one this API does not know."
    )
    title: str = strawberry.field(description="The heading, e.g. `Hurricane`.")
    level: RiskLevel = strawberry.field(description="How high the risk is.")
    summary: str = strawberry.field(description="Why, as markdown.")


@strawberry.type(description="A catalog bundle the plan recommends, and why.")
class RecommendedBundle:
    bundle_id: str = strawberry.field(description="The catalog id; `bundle` follows it.")
    name: str = strawberry.field(description="The name the plan gives it.")
    reason: str = strawberry.field(description="Why this family needs it.")

    @strawberry.field(description="The catalog entry, when the id is in the catalog.")
    async def bundle(self, info: strawberry.Info[Context, None]) -> Bundle | None:
        row = await info.context.loaders.bundle.load(self.bundle_id)
        return Bundle.from_row(row) if row else None


@strawberry.type(description="A survival skill to learn.")
class Skill:
    name: str = strawberry.field(description="The skill, e.g. `Water purification`.")
    priority: SkillPriority = strawberry.field(description="How soon to learn it.")
    reason: str = strawberry.field(description="Why this family needs it.")


@strawberry.type(description="One day (or stretch of days) of the simulated emergency.")
class SimulationDay:
    day: int = strawberry.field(description="The day number, from 1; the first of a stretch.")
    title: str = strawberry.field(description="What the day is about.")
    details: str = strawberry.field(description="What happens and what to do, as markdown.")


@strawberry.type(description="The plan's sections, read from its markdown.")
class PlanSections:
    executive_summary: str = strawberry.field(description="The plan in a few paragraphs.")
    risk_assessment: list[RiskAssessment] = strawberry.field(
        description="One assessment per scenario, in the plan's order."
    )
    bundles: list[RecommendedBundle] = strawberry.field(
        description="Recommended catalog bundles, each once, in the plan's order."
    )
    skills: list[Skill] = strawberry.field(description="Skills to learn, in the plan's order.")
    simulation: list[SimulationDay] = strawberry.field(
        description="The day-by-day simulation, in order."
    )
    next_steps: list[str] = strawberry.field(description="What to do now, one step each.")

    @classmethod
    def from_domain(cls, value: plan_domain.PlanSections) -> PlanSections:
        return cls(
            executive_summary=value.executive_summary,
            risk_assessment=[
                RiskAssessment(
                    scenario=r.scenario,
                    title=r.title,
                    level=RiskLevel.of(r.level),
                    summary=r.summary,
                )
                for r in value.risk_assessment
            ],
            bundles=[
                RecommendedBundle(bundle_id=b.bundle_id, name=b.name, reason=b.reason)
                for b in value.bundles
            ],
            skills=[
                Skill(name=s.name, priority=SkillPriority.of(s.priority), reason=s.reason)
                for s in value.skills
            ],
            simulation=[
                SimulationDay(day=d.day, title=d.title, details=d.details) for d in value.simulation
            ],
            next_steps=list(value.next_steps),
        )


@strawberry.type(description="A finished plan: its markdown and its sections.")
class MissionPlan:
    content: str = strawberry.field(description="The whole plan as markdown.")
    sections: PlanSections = strawberry.field(description="The plan read into its sections.")
