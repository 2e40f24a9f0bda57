"""When a test nears pytest's timeout, print what its event loop's tasks are waiting on.

pytest-timeout's own report shows the main thread's stack, which for an async test
is only the event loop sitting in `select`: it does not say which await never
returned. This watchdog fires shortly before the timeout, finds the event loop the
main thread is running, and writes each task's stack to stderr, which the failure
report then shows as captured output.
"""

from __future__ import annotations

import asyncio
import io
import sys
import threading
from collections.abc import Iterator

import pytest

# Seconds before pytest's timeout: enough to write the stacks before it fires.
LEAD_SECONDS = 10.0


def _loop_of_thread(ident: int) -> asyncio.AbstractEventLoop | None:
    frame = sys._current_frames().get(ident)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, asyncio.AbstractEventLoop):
            return candidate
        frame = frame.f_back
    return None


def _stacks(loop: asyncio.AbstractEventLoop) -> str:
    out = io.StringIO()
    # Read from another thread: a copy with retries inside all_tasks, good enough to report.
    tasks = asyncio.all_tasks(loop)
    out.write(f"\n--- {len(tasks)} asyncio tasks near the timeout ---\n")
    for task in sorted(tasks, key=lambda t: t.get_name()):
        task.print_stack(limit=40, file=out)
    return out.getvalue()


def _report(ident: int) -> None:
    loop = _loop_of_thread(ident)
    if loop is None:
        sys.stderr.write("\n--- near the timeout: no event loop running in the test ---\n")
        return
    try:
        sys.stderr.write(_stacks(loop))
    except RuntimeError as exc:  # the set changed too often while read
        sys.stderr.write(f"\n--- near the timeout: tasks could not be listed: {exc} ---\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    marker = item.get_closest_marker("timeout")
    timeout = float(marker.args[0]) if marker and marker.args else None
    if timeout is None:
        timeout = float(item.config.getini("timeout") or 0)
    if timeout <= LEAD_SECONDS:
        yield
        return
    watchdog = threading.Timer(timeout - LEAD_SECONDS, _report, (threading.get_ident(),))
    watchdog.daemon = True
    watchdog.start()
    try:
        yield
    finally:
        watchdog.cancel()
