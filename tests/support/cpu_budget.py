"""How much CPU hostile text may cost: a multiple of what benign text of the same size
costs, both measured in the same run.

This thread's CPU time, not the wall clock, so a loaded machine does not fail these
tests; a ratio against a baseline measured here, so a slower machine does not either.
A linear parser spends a small multiple of the benign figure on any text; the quadratic
one these tests guard against spent hundreds of times it (seconds against milliseconds).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from domain.plan import MAX_PLAN_CHARS
from domain.plan_text import read_plan, safe_markdown
from tests.support.job_events import PLAN

# The worst hostile plan at the cap measured ~3x the benign one; quadratic was >100x.
LINEAR_FACTOR = 10.0
# Below this, timer resolution and cache effects dominate a ratio.
FLOOR_S = 0.02


def thread_cpu_seconds(work: Callable[[], object], repeats: int = 3) -> float:
    """The least CPU time of this thread that `work` took over `repeats` runs."""
    best = float("inf")
    for _ in range(repeats):
        started = time.thread_time()
        work()
        best = min(best, time.thread_time() - started)
    return best


def benign_plan(chars: int = MAX_PLAN_CHARS) -> str:
    return (PLAN * (chars // len(PLAN) + 1))[:chars]


@functools.cache
def benign_read_seconds() -> float:
    text = benign_plan()
    return thread_cpu_seconds(lambda: read_plan(text))


@functools.cache
def benign_safe_markdown_seconds() -> float:
    text = benign_plan()
    return thread_cpu_seconds(lambda: safe_markdown(text))


def budget(benign_at_cap: float, chars: int = MAX_PLAN_CHARS) -> float:
    """The CPU seconds text of `chars` characters may cost, from the benign figure at the cap."""
    return LINEAR_FACTOR * benign_at_cap * chars / MAX_PLAN_CHARS + FLOOR_S
