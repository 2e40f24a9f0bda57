"""The product catalog: a few bundles and the scenarios they serve."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CATALOG_BUNDLES: tuple[dict[str, Any], ...] = (
    {
        "id": "go-bag-72h",
        "name": "72-Hour Family Go-Bag",
        "scenarios": ["HURRICANE", "EARTHQUAKE", "WILDFIRE", "FLOOD"],
    },
    {
        "id": "water-storage-kit",
        "name": "Water Storage Kit",
        "scenarios": ["HURRICANE", "EARTHQUAKE", "POWER_GRID_FAILURE"],
    },
    {
        "id": "solar-generator-2kwh",
        "name": "Solar Generator 2 kWh",
        "scenarios": ["POWER_GRID_FAILURE", "WINTER_STORM"],
    },
    {"id": "pandemic-hygiene-kit", "name": "Pandemic Hygiene Kit", "scenarios": ["PANDEMIC"]},
)


class FakeCatalog:
    def __init__(self, bundles: Sequence[dict[str, Any]] = CATALOG_BUNDLES) -> None:
        self.bundles = [dict(b) for b in bundles]

    async def bundles_for_scenarios(self, scenarios: Sequence[str]) -> list[dict[str, Any]]:
        wanted = set(scenarios)
        return [dict(b) for b in self.bundles if wanted & set(b["scenarios"])]

    async def known_ids(self) -> set[str]:
        return {str(b["id"]) for b in self.bundles}
