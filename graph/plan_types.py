"""A generated plan and the catalog's bundles, as GraphQL types (`from_domain`, no logic)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from domain import plan as plan_domain
from domain import wizard
from graph.enums import (
    BudgetTier,
    EvacuationTopic,
    RiskLevel,
    Scenario,
    SkillPriority,
    UnparsedReason,
)

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


@strawberry.type(description="One step of an evacuation plan: a topic and what to do about it.")
class EvacuationStep:
    topic: EvacuationTopic = strawberry.field(description="What the step is about.")
    title: str = strawberry.field(
        description="The topic as the plan words it, e.g. `When to leave`; empty when untitled."
    )
    advice: str = strawberry.field(description="What to do, as markdown.")


@strawberry.type(description="How the family leaves: when, where to, by which way, with what.")
class EvacuationPlan:
    overview: str = strawberry.field(
        description="Text of the section outside its steps, as markdown; often empty."
    )
    steps: list[EvacuationStep] = strawberry.field(description="Every step, in the plan's order.")

    def _advice(self, topic: EvacuationTopic) -> str | None:
        found = [step.advice for step in self.steps if step.topic is topic]
        return "\n\n".join(found) if found else None

    @strawberry.field(description="When to leave (the WHEN_TO_LEAVE steps); null if not said.")
    def when_to_leave(self) -> str | None:
        return self._advice(EvacuationTopic.WHEN_TO_LEAVE)

    @strawberry.field(description="Where to go (the DESTINATION steps); null if not said.")
    def destination(self) -> str | None:
        return self._advice(EvacuationTopic.DESTINATION)

    @strawberry.field(description="The ways out (the ROUTES steps); null if not said.")
    def routes(self) -> str | None:
        return self._advice(EvacuationTopic.ROUTES)

    @strawberry.field(description="How to travel (the GETTING_THERE steps); null if not said.")
    def getting_there(self) -> str | None:
        return self._advice(EvacuationTopic.GETTING_THERE)

    @strawberry.field(description="What to carry (the WHAT_TO_TAKE steps); null if not said.")
    def what_to_take(self) -> str | None:
        return self._advice(EvacuationTopic.WHAT_TO_TAKE)

    @strawberry.field(
        description="Where to meet and whom to call (the MEETING_POINTS steps); null if not said."
    )
    def meeting_points(self) -> str | None:
        return self._advice(EvacuationTopic.MEETING_POINTS)

    @classmethod
    def from_domain(cls, value: plan_domain.EvacuationPlan) -> EvacuationPlan:
        return cls(
            overview=value.overview,
            steps=[
                EvacuationStep(topic=EvacuationTopic.of(s.topic), title=s.title, advice=s.advice)
                for s in value.steps
            ],
        )


@strawberry.type(
    description="Part of the plan's markdown the parser could not read into its sections."
)
class UnparsedPart:
    section: str = strawberry.field(
        description="The heading of the section it is in, as the plan words it (at most 120 "
        "characters; empty for a heading without text); `Recommended Bundles` for UNKNOWN_BUNDLE."
    )
    reason: UnparsedReason = strawberry.field(description="Why it is not in the sections.")
    excerpt: str = strawberry.field(
        description="How it starts, as plain text on one line (at most 200 characters)."
    )


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
    evacuation: EvacuationPlan | None = strawberry.field(
        description="How to leave, for a family that evacuates or may (EVACUATE, FLEXIBLE); "
        "null when the plan has no evacuation section."
    )
    unparsed: list[UnparsedPart] = strawberry.field(
        description="What the parser could not read into these sections (at most 20), in the "
        "plan's order and then the bundle ids the catalog lacks; MissionPlan.content still "
        "holds all of it."
    )

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
            evacuation=(EvacuationPlan.from_domain(value.evacuation) if value.evacuation else None),
            unparsed=[
                UnparsedPart(
                    section=u.section, reason=UnparsedReason.of(u.reason), excerpt=u.excerpt
                )
                for u in value.unparsed
            ],
        )


@strawberry.type(description="A finished plan: its markdown and its sections.")
class MissionPlan:
    content: str = strawberry.field(description="The whole plan as markdown.")
    sections: PlanSections = strawberry.field(description="The plan read into its sections.")
