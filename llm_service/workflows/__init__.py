"""Workflow definitions: JSON files shipped as package data, loaded by name."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

from domain.workflow import StepProgress
from domain.workflow import WorkflowDefinition as DomainWorkflow

# Names become file names: keep them to a safe alphabet so a request cannot walk the tree.
_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class WorkflowNotFoundError(LookupError):
    pass


class InvalidWorkflowError(ValueError):
    pass


@dataclass(frozen=True)
class StepDefinition:
    id: str
    display_name: str
    description: str
    weight: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "display_name": self.display_name,
            "description": self.description,
            "weight": self.weight,
        }


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    version: int
    description: str
    steps: tuple[StepDefinition, ...]

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(step.id for step in self.steps)

    @cached_property
    def progress_of_steps(self) -> tuple[StepProgress, ...]:
        """Each step's percentage when it starts and ends: the API's math (domain.workflow),
        so the percentages in this service's events are the ones a report shows."""
        return DomainWorkflow.from_dict(self.to_dict()).progress_of_steps()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "steps": [step.to_dict() for step in self.steps],
        }


def load_workflow(name: str) -> WorkflowDefinition:
    """The definition named `name`; raises WorkflowNotFoundError if there is none."""
    if not _NAME_PATTERN.match(name):
        raise WorkflowNotFoundError(name)
    return _load_cached(name)


# Only names of files that exist are cached (a miss raises), and the bound holds anyway.
@lru_cache(maxsize=32)
def _load_cached(name: str) -> WorkflowDefinition:
    path = resources.files(__package__).joinpath("definitions", f"{name}.json")
    if not path.is_file():
        raise WorkflowNotFoundError(name)
    return parse_workflow(json.loads(path.read_text(encoding="utf-8")))


def parse_workflow(raw: Any) -> WorkflowDefinition:
    """Validates the shape of a definition: named, versioned, unique ids, positive weights."""
    if not isinstance(raw, dict):
        raise InvalidWorkflowError("a workflow definition must be a JSON object")
    name, version = raw.get("name"), raw.get("version")
    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise InvalidWorkflowError(f"invalid workflow name: {name!r}")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidWorkflowError(f"{name}: version must be a positive integer")
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise InvalidWorkflowError(f"{name}: steps must be a non-empty list")
    steps = tuple(_parse_step(name, item) for item in raw_steps)
    ids = [step.id for step in steps]
    if len(set(ids)) != len(ids):
        raise InvalidWorkflowError(f"{name}: step ids must be unique")
    return WorkflowDefinition(
        name=name, version=version, description=str(raw.get("description", "")), steps=steps
    )


def _parse_step(workflow: str, raw: Any) -> StepDefinition:
    if not isinstance(raw, dict):
        raise InvalidWorkflowError(f"{workflow}: each step must be an object")
    step_id, display_name, weight = raw.get("id"), raw.get("display_name"), raw.get("weight")
    if not isinstance(step_id, str) or not step_id:
        raise InvalidWorkflowError(f"{workflow}: a step has no id")
    if not isinstance(display_name, str) or not display_name:
        raise InvalidWorkflowError(f"{workflow}.{step_id}: display_name is required")
    if not isinstance(weight, int) or isinstance(weight, bool) or weight <= 0:
        raise InvalidWorkflowError(f"{workflow}.{step_id}: weight must be a positive integer")
    return StepDefinition(
        id=step_id,
        display_name=display_name,
        description=str(raw.get("description", "")),
        weight=weight,
    )
