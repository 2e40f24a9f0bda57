"""The preparedness wizard's answers: the input of a mission plan.

Plain frozen dataclasses so the same value travels through GraphQL, the
database (as JSON) and the LLM service's `input_data` unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Scenario(str, Enum):
    HURRICANE = "HURRICANE"
    EARTHQUAKE = "EARTHQUAKE"
    WILDFIRE = "WILDFIRE"
    FLOOD = "FLOOD"
    TORNADO = "TORNADO"
    WINTER_STORM = "WINTER_STORM"
    EXTREME_HEAT = "EXTREME_HEAT"
    PANDEMIC = "PANDEMIC"
    POWER_GRID_FAILURE = "POWER_GRID_FAILURE"
    CIVIL_UNREST = "CIVIL_UNREST"
    NUCLEAR_EVENT = "NUCLEAR_EVENT"
    ECONOMIC_COLLAPSE = "ECONOMIC_COLLAPSE"

    @property
    def display_name(self) -> str:
        """ "POWER_GRID_FAILURE" -> "Power Grid Failure", as plan headings spell it."""
        return self.value.replace("_", " ").title()


class BudgetTier(str, Enum):
    ESSENTIAL = "ESSENTIAL"
    STANDARD = "STANDARD"
    ENHANCED = "ENHANCED"
    PREMIUM = "PREMIUM"


class MobilityStrategy(str, Enum):
    SHELTER_IN_PLACE = "SHELTER_IN_PLACE"
    EVACUATE = "EVACUATE"
    FLEXIBLE = "FLEXIBLE"


@dataclass(frozen=True)
class Location:
    city: str
    state: str
    country: str = "US"
    postal_code: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Location:
        """Inverse of the `location` of `MissionPlanInput.to_dict`."""
        return cls(
            city=data["city"],
            state=data["state"],
            country=data.get("country") or "US",
            postal_code=data.get("postal_code"),
        )


def scenarios_from_list(values: list[str]) -> tuple[Scenario, ...]:
    """Inverse of the `scenarios` of `MissionPlanInput.to_dict`."""
    return tuple(map(Scenario, values))


@dataclass(frozen=True)
class FamilyMember:
    age: int
    name: str | None = None
    medical_needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class MobilityPlan:
    strategy: MobilityStrategy
    has_vehicle: bool = False


@dataclass(frozen=True)
class MissionPlanInput:
    location: Location
    scenarios: tuple[Scenario, ...]
    family_members: tuple[FamilyMember, ...]
    mobility_plan: MobilityPlan
    budget_tier: BudgetTier
    duration_days: int = 14
    pet_count: int = 0
    notes: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (snake_case keys, enum values), stored and sent as is."""
        return {
            "location": {
                "city": self.location.city,
                "state": self.location.state,
                "country": self.location.country,
                "postal_code": self.location.postal_code,
            },
            "scenarios": [s.value for s in self.scenarios],
            "family_members": [
                {"name": m.name, "age": m.age, "medical_needs": list(m.medical_needs)}
                for m in self.family_members
            ],
            "mobility_plan": {
                "strategy": self.mobility_plan.strategy.value,
                "has_vehicle": self.mobility_plan.has_vehicle,
            },
            "budget_tier": self.budget_tier.value,
            "duration_days": self.duration_days,
            "pet_count": self.pet_count,
            "notes": self.notes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MissionPlanInput:
        """Inverse of `to_dict`, for values this service stored itself."""
        mob = data["mobility_plan"]
        return cls(
            location=Location.from_dict(data["location"]),
            scenarios=scenarios_from_list(data["scenarios"]),
            family_members=tuple(
                FamilyMember(
                    name=m.get("name"),
                    age=int(m["age"]),
                    medical_needs=tuple(m.get("medical_needs") or ()),
                )
                for m in data["family_members"]
            ),
            mobility_plan=MobilityPlan(
                strategy=MobilityStrategy(mob["strategy"]),
                has_vehicle=bool(mob.get("has_vehicle", False)),
            ),
            budget_tier=BudgetTier(data["budget_tier"]),
            duration_days=int(data.get("duration_days", 14)),
            pet_count=int(data.get("pet_count", 0)),
            notes=data.get("notes"),
        )
