"""GraphQL inputs. Shape and enums are checked by GraphQL; every other rule by the domain."""

from __future__ import annotations

import strawberry

from domain import wizard
from graph.enums import BudgetTier, MobilityStrategy, Scenario


@strawberry.input(description="Where the family lives.")
class LocationInput:
    city: str = strawberry.field(description="City or town.")
    state: str = strawberry.field(description="State, province or region.")
    country: str = strawberry.field(
        default="US", description="ISO 3166 two-letter country code; US when left out."
    )
    postal_code: str | None = strawberry.field(default=None, description="Postal code (optional).")


@strawberry.input(description="One person the plan is for.")
class FamilyMemberInput:
    age: int = strawberry.field(description="Age in years.")
    name: str | None = strawberry.field(default=None, description="Name (optional).")
    medical_needs: list[str] = strawberry.field(
        default_factory=list, description="Medical needs, one entry each (e.g. `insulin`)."
    )


@strawberry.input(description="How the family would move.")
class MobilityPlanInput:
    strategy: MobilityStrategy = strawberry.field(description="Stay, leave, or decide then.")
    has_vehicle: bool = strawberry.field(
        default=False, description="Whether the family has a vehicle to leave in."
    )


@strawberry.input(description="The wizard answers a plan is generated from.")
class MissionPlanInput:
    location: LocationInput = strawberry.field(description="Where the family lives.")
    scenarios: list[Scenario] = strawberry.field(
        description="The emergencies to plan for, each once."
    )
    family_members: list[FamilyMemberInput] = strawberry.field(
        description="The people the plan is for."
    )
    mobility_plan: MobilityPlanInput = strawberry.field(description="How the family would move.")
    budget_tier: BudgetTier = strawberry.field(description="How much to spend on supplies.")
    duration_days: int = strawberry.field(default=14, description="How many days the plan covers.")
    pet_count: int = strawberry.field(default=0, description="How many pets come along.")
    notes: str | None = strawberry.field(
        default=None, description="Anything else the planner should know (optional)."
    )

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
