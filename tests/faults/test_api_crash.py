"""The API process is killed (SIGKILL) mid-job and started again on the same data."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.client import REPORT, graphql
from tests.faults.conftest import (
    MISSION_EVENTS_QUERY,
    Collector,
    StartServer,
    assert_ends_with_the_completion,
    assert_in_order_without_gaps,
    log_tail,
    new_user,
    poll,
    submit_plan,
)

pytestmark = pytest.mark.e2e


async def test_sigkill_mid_job_then_restart_completes_and_resumes_the_stream(
    start_server: StartServer, tmp_path: Path
) -> None:
    data_dir = tmp_path / "shared-data"
    env = {"OFFLINE_STEP_DELAY_MS": "400"}
    first = start_server(data_dir=data_dir, **env)
    token = first.token(new_user())
    report_id = await submit_plan(first, token)

    before = Collector(first, token, MISSION_EVENTS_QUERY, id=report_id)

    async def mid_job() -> bool:
        live = [e for e in before.events if e["__typename"] == "MissionProgressEvent"]
        return len(live) >= 3

    await poll(mid_job, timeout=30, interval=0.01, what="a few live progress events")
    first.stop(signal.SIGKILL)
    assert first.process is not None and first.process.returncode == -signal.SIGKILL
    await before.finished(timeout=15)  # the socket died with the process
    seen = list(before.events)
    assert seen[-1]["__typename"] == "MissionProgressEvent", "the job ended before the kill"
    last = seen[-1]["sequence"]

    second = start_server(data_dir=data_dir, port=first.port, **env)
    after = Collector(second, token, MISSION_EVENTS_QUERY, id=report_id, after=last)
    try:
        # The dead runner's lease (15 s) has to go stale before the new one takes the job.
        resumed = await after.finished(timeout=90)
    except TimeoutError:
        raise AssertionError(f"no completion after the restart:\n{log_tail(second)}") from None
    assert after.error is None, f"{after.error!r}\n{log_tail(second)}"
    assert resumed, "nothing after the restart"
    assert resumed[0]["sequence"] == last + 1, (last, [e["sequence"] for e in resumed])
    assert_ends_with_the_completion(resumed)
    # Before and after together: every event of the log exactly once, in order.
    assert_in_order_without_gaps(seen + resumed)

    body = await graphql(second, token, REPORT, {"id": report_id})
    report = body["data"]["missionReport"]
    assert report["status"] == "COMPLETED"
    assert report["progress"]["percentage"] == 100.0
    assert "Miami" in report["plan"]["sections"]["executiveSummary"]
    percentages = [
        e["progress"]["percentage"]
        for e in seen + resumed
        if e["__typename"] == "MissionProgressEvent"
    ]
    assert percentages == sorted(percentages), f"progress went back: {percentages}"
