"""What the real model is told: the guidance, the household's bundles and the dollar budget."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from llm_service.prompts import SYSTEM_PROMPT
from llm_service.providers import OfflinePlanner
from llm_service.settings import LLMServiceSettings
from llm_service.steps import build_step_registry
from tests.llm_service.conftest import wizard

SEED_CATALOG: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[2] / "infra" / "catalog" / "bundles.json").read_text()
)
MEMBER_KITS = ("infant-care-kit", "senior-medication-kit", "pet-emergency-kit")


async def run_steps(
    data: dict[str, Any], settings: LLMServiceSettings | None = None
) -> dict[str, Any]:
    budgets = (settings or LLMServiceSettings()).budget_tier_usd
    registry = build_step_registry(OfflinePlanner(), budgets)
    context: dict[str, Any] = {"input_data": {"wizard": data, "bundles": SEED_CATALOG}}
    for step in registry.values():
        await step(context)
    return context


async def test_the_model_sees_only_the_bundles_the_household_needs() -> None:
    adults = [{"age": 40, "medical_needs": []}, {"age": 38, "medical_needs": []}]
    plain = await run_steps(
        wizard(family_members=adults, mobility_plan={"strategy": "EVACUATE", "has_vehicle": False})
    )
    for kit in (*MEMBER_KITS, "vehicle-emergency-kit"):
        assert f"[bundle:{kit}]" not in plain["bundle_catalog"]
    assert "[bundle:water-storage-kit]" in plain["bundle_catalog"]

    everyone = [*adults, {"age": 1, "medical_needs": []}, {"age": 70, "medical_needs": []}]
    full = await run_steps(
        wizard(
            family_members=everyone,
            pet_count=1,
            mobility_plan={"strategy": "EVACUATE", "has_vehicle": True},
        )
    )
    for kit in (*MEMBER_KITS, "vehicle-emergency-kit"):
        assert f"[bundle:{kit}]" in full["bundle_catalog"]


async def test_the_user_message_states_water_food_members_and_budget() -> None:
    people = [
        {"age": 41, "medical_needs": []},
        {"age": 42, "medical_needs": []},
        {"age": 8, "medical_needs": []},
        {"age": 3, "medical_needs": []},
    ]
    context = await run_steps(wizard(family_members=people, scenarios=["HURRICANE"], pet_count=2))
    user = context["user_message"]
    assert "- Water to store: 63 gallons (4 x 14 days at one gallon per person per day" in user
    assert "about a quart per small pet per day" in user
    assert "- Food: 14 days for 4, about 168 meals, plus pet food for 2 pets" in user
    assert "- Bundle budget (Standard tier): $600.00" in user
    assert "- children 2-17: 2" in user and "infants" not in user
    assert "- Strategy: Shelter In Place; leave out the Evacuation Plan section" in user


def test_the_system_prompt_carries_the_guidance() -> None:
    for rule in (
        "one gallon per person per day for every\nday of the plan",
        "about a quart per small pet per day",
        "infants (under 2: formula",
        "older adults (65 or older",
        "supply of each medication for the whole plan",
        "Exactly one `### <Scenario> — <LEVEL>` subsection for every scenario",
        "## Evacuation Plan\nOnly when the strategy is Evacuate or Flexible",
        "must not exceed\nthe bundle budget",
        "Bundle total: $<total> of your $<budget> <Tier> budget; $<left> left.",
        "spends every later day at its destination, not at\nhome",
    ):
        assert rule in SYSTEM_PROMPT


async def test_budget_tiers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUDGET_TIER_USD", "STANDARD=300, premium=9000")
    settings = LLMServiceSettings()
    assert str(settings.budget_tier_usd["STANDARD"]) == "300.00"
    assert str(settings.budget_tier_usd["ESSENTIAL"]) == "250.00"  # the default stays

    context = await run_steps(wizard(scenarios=["HURRICANE"]), settings)
    assert "- Bundle budget (Standard tier): $300.00" in context["user_message"]
    plan = context["output"]["mission_plan"]
    assert "Bundle total: $238.00 of your $300.00 Standard budget; $62.00 left" in plan


async def test_the_running_service_uses_the_configured_budget(
    start_service: Callable[..., Any],
) -> None:
    async with start_service(budget_tier_usd="STANDARD=150") as service:
        job_id = await service.submit(scenarios=["HURRICANE"])
        events = await service.wait_for_event(job_id, "workflow.completed")
    plan = events[-1]["data"]["output"]["mission_plan"]
    assert "of your $150.00 Standard budget" in plan


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("GOLD=100", "unknown budget tier 'GOLD'"),
        ("STANDARD=lots", "the STANDARD budget 'lots' is not a dollar amount"),
        ("STANDARD=0", "the STANDARD budget must be more than 0"),
        ("STANDARD", "BUDGET_TIER_USD must look like ESSENTIAL=250,STANDARD=600"),
        ('{"STANDARD": ', "BUDGET_TIER_USD is not valid JSON"),
    ],
)
def test_a_bad_budget_setting_fails_at_start_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("BUDGET_TIER_USD", value)
    with pytest.raises(ValidationError, match=message.replace("$", r"\$")):
        LLMServiceSettings()
