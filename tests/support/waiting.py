"""The one way a test waits for something to become true: `wait_until`."""

from __future__ import annotations

import ast
import asyncio
import inspect
import textwrap
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")

# Generous: the machines that run CI are shared, and a passing test never waits this long.
DEFAULT_TIMEOUT_SECONDS = 20.0
DEFAULT_INTERVAL_SECONDS = 0.02


@overload
async def wait_until(
    predicate: Callable[[], Awaitable[T]],
    *,
    timeout: float = ...,
    interval: float = ...,
    what: str | None = ...,
) -> T: ...
@overload
async def wait_until(
    predicate: Callable[[], T],
    *,
    timeout: float = ...,
    interval: float = ...,
    what: str | None = ...,
) -> T: ...
async def wait_until(
    predicate: Callable[[], Any],
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    interval: float = DEFAULT_INTERVAL_SECONDS,
    what: str | None = None,
) -> Any:
    """Polls `predicate` (sync or async) until it returns a truthy value, and returns that value.

    Fails the test after `timeout` seconds with an AssertionError naming what was
    awaited (`what`, else the predicate's name or lambda source) and the last value
    seen. `interval=0` only yields to the event loop between polls: for code driven
    by fakes, where no wall time needs to pass.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() >= deadline:
            awaited = what or describe(predicate)
            raise AssertionError(f"waited {timeout:g} s for {awaited}; last value was {value!r}")
        await asyncio.sleep(interval)


def describe(predicate: Callable[..., object]) -> str:
    """A readable name for a predicate: its name, or its source when it is a lambda."""
    name = getattr(predicate, "__qualname__", None) or repr(predicate)
    if not name.endswith("<lambda>"):
        return name
    try:
        source = textwrap.dedent(inspect.getsource(predicate))
    except (OSError, TypeError):
        return name
    return _lambda_text(source) or " ".join(source.split())


def _lambda_text(source: str) -> str | None:
    """The lambda expression alone out of the statement that holds it, if it parses."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda):
            segment = ast.get_source_segment(source, node)
            return " ".join(segment.split()) if segment else None
    return None
