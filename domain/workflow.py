"""Workflow definitions as the API sees them, and the progress math on them.

The LLM service owns the definition file; the API fetches it and derives step
names and percentages from it, so there is no second hard-coded map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.report import Progress


@dataclass(frozen=True)
class WorkflowStepDefinition:
    id: str
    display_name: str
    description: str
    weight: int


@dataclass(frozen=True)
class StepProgress:
    step_id: str
    display_name: str
    index: int
    start_percentage: float
    end_percentage: float


class UnknownStep(LookupError):
    pass


class InvalidWorkflowDefinition(ValueError):
    """A definition the API cannot show progress for (no steps, fields missing)."""


MISSION_GENERATION = "mission_generation"
# The workflows this API runs. A name from a client is checked against this set before
# it reaches a URL or a cache, so no request can walk the LLM service's paths or grow
# the process's memory with names of its own.
KNOWN_WORKFLOWS = frozenset({MISSION_GENERATION})


class UnknownWorkflow(LookupError):
    """A workflow name this API does not run; the message lists the ones it does."""

    def __init__(self) -> None:
        known = ", ".join(sorted(KNOWN_WORKFLOWS))
        super().__init__(f"workflow: unknown workflow name; known workflows: {known}.")


def known_workflow(name: str) -> str:
    """`name` when it is a workflow this API runs; raises UnknownWorkflow otherwise."""
    if name not in KNOWN_WORKFLOWS:
        raise UnknownWorkflow()
    return name


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    steps: tuple[WorkflowStepDefinition, ...]
    version: int = 1
    description: str = ""

    def __post_init__(self) -> None:
        # A "step X of N" display needs N > 0 from the first event on.
        if not self.steps:
            raise InvalidWorkflowDefinition(f"workflow {self.name!r} has no steps")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkflowDefinition:
        steps = tuple(
            WorkflowStepDefinition(
                id=str(s["id"]),
                display_name=str(s.get("display_name") or s["id"]),
                description=str(s.get("description") or ""),
                weight=max(int(s.get("weight", 1)), 0),
            )
            for s in data["steps"]
        )
        return cls(
            name=str(data["name"]),
            steps=steps,
            version=int(data.get("version", 1)),
            description=str(data.get("description") or ""),
        )

    @property
    def step_count(self) -> int:
        return len(self.steps)

    def progress_of_steps(self) -> tuple[StepProgress, ...]:
        """Each step with the percentage done when it starts and when it ends."""
        weights = [step.weight for step in self.steps]
        if not any(weights):
            # No step claims a share (weights clamped to 0): split evenly, so the last still ends
            # at 100% instead of every step reading 0%.
            weights = [1] * len(weights)
        total = sum(weights) or 1
        done = 0
        result: list[StepProgress] = []
        for index, (step, weight) in enumerate(zip(self.steps, weights, strict=True)):
            start = _percentage(done, total)
            done += weight
            result.append(
                StepProgress(step.id, step.display_name, index, start, _percentage(done, total))
            )
        return tuple(result)

    def queued_progress(self) -> Progress:
        """Before the first step starts: its index and the real step count, at 0%."""
        return Progress("queued", "Queued", 0, self.step_count, 0.0)

    def progress_at(self, step_id: str, *, finished: bool) -> Progress:
        """A step started or finished; UnknownStep if the definition has no such step."""
        step = self.step(step_id)
        percentage = step.end_percentage if finished else step.start_percentage
        return Progress(step.step_id, step.display_name, step.index, self.step_count, percentage)

    def final_progress(self) -> Progress:
        """The last step, done: what a completed report shows whichever progress came before."""
        last = self.progress_of_steps()[-1]
        return Progress(last.step_id, last.display_name, last.index, self.step_count, 100.0)

    def step(self, step_id: str) -> StepProgress:
        for progress in self.progress_of_steps():
            if progress.step_id == step_id:
                return progress
        raise UnknownStep(step_id)


def _percentage(done: int, total: int) -> float:
    return round(done * 100.0 / total, 1)
