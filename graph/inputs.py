"""GraphQL inputs. Shape and enums are checked by GraphQL; every other rule by the domain."""

from __future__ import annotations

import strawberry

from domain import wizard
from graph.types import BudgetTier, MobilityStrategy, Scenario


@strawberry.input
class LocationInput:
    city: str
    state: str
    country: str = "US"
    postal_code: str | None = None


@strawberry.input
class FamilyMemberInput:
    age: int
    name: str | None = None
    medical_needs: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class MobilityPlanInput:
    strategy: MobilityStrategy
    has_vehicle: bool = False


@strawberry.input
class MissionPlanInput:
    location: LocationInput
    scenarios: list[Scenario]
    family_members: list[FamilyMemberInput]
    mobility_plan: MobilityPlanInput
    budget_tier: BudgetTier
    duration_days: int = 14
    pet_count: int = 0
    notes: str | None = None

    def to_domain(self) -> wizard.MissionPlanInput:
        loc = self.location
        return wizard.MissionPlanInput(
            location=wizard.Location(
                city=loc.city, state=loc.state, country=loc.country, postal_code=loc.postal_code
            ),
            scenarios=tuple(self.scenarios),
            family_members=tuple(
                wizard.FamilyMember(age=m.age, name=m.name, medical_needs=tuple(m.medical_needs))
                for m in self.family_members
            ),
            mobility_plan=wizard.MobilityPlan(
                strategy=self.mobility_plan.strategy, has_vehicle=self.mobility_plan.has_vehicle
            ),
            budget_tier=self.budget_tier,
            duration_days=self.duration_days,
            pet_count=self.pet_count,
            notes=self.notes,
        )
