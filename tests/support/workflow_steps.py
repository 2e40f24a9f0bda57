"""The mission_generation steps, read from the definition file the LLM service ships.

Tests name steps through these constants, never by literal id: a step renamed, added
or reweighted in the definition changes every test's expectations with it.
"""

from __future__ import annotations

import json
from pathlib import Path

from domain.workflow import WorkflowDefinition

DEFINITION_FILE = (
    Path(__file__).parents[2] / "llm_service/workflows/definitions/mission_generation.json"
)
_DEFINITION = json.loads(DEFINITION_FILE.read_text(encoding="utf-8"))

# (id, display name, weight) of each step, in order.
MISSION_GENERATION_STEPS: tuple[tuple[str, str, int], ...] = tuple(
    (step["id"], step["display_name"], step["weight"]) for step in _DEFINITION["steps"]
)
STEP_IDS: tuple[str, ...] = tuple(step_id for step_id, _, _ in MISSION_GENERATION_STEPS)
(
    FORMAT_BUNDLES,
    JOIN_BUNDLES,
    BUILD_SCENARIO_LIST,
    BUILD_USER_MESSAGE,
    GENERATE_MISSION_PLAN,
    PARSE_SECTIONS,
) = STEP_IDS


def mission_generation_definition() -> WorkflowDefinition:
    """The definition as the API reads it from the LLM service."""
    return WorkflowDefinition.from_dict(_DEFINITION)
