"""The reference web client's whole journey in a real browser (headless Debian chromium).

The browser script (tests/e2e/web_journey/journey.mjs) does what a family does:
signs in, meets a field error in the wizard, submits, follows the plan live (hidden
while it finishes, then shown again), sees the toast survive a reload, reads the plan,
cancels a plan from the dashboard, retries a failed one to a completed plan, sees the
dashboard catch up after being hidden and after a dropped connection, follows a plan
across a server restart and, as an admin, dry-runs and runs the cleanup. Screenshots of each
page land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.e2e.server import PROJECT_ROOT, RunningServer

pytestmark = pytest.mark.e2e

JOURNEY_DIR = Path(__file__).with_name("web_journey")
DIST_INDEX = PROJECT_ROOT / "graph" / "webclient" / "dist" / "index.html"
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Plans whose notes contain this fail their first attempt in the offline planner
# (OFFLINE_FAIL_WHEN_NOTES_CONTAIN with OFFLINE_FAIL_FIRST_ATTEMPTS=1).
FAIL_MARKER = "journey-fails-here"
CHECKS = [
    "wizard shows the API's field errors next to the fields",
    "wizard submits a valid plan and opens its progress page",
    "progress page: live steps, paused while hidden, caught up when shown",
    "toast survives a reload and opens the plan",
    "plan page renders every section with prices, total and usage",
    "a dismissed toast stays dismissed after a reload",
    "cancel from the dashboard after a confirmation",
    "a failed plan shows its message and Retry makes a completed plan",
    "progress resumes after a server restart without losing an event",
    "dashboard reads again when shown and after a reconnect",
    "admin cleanup: dry run, then the confirmed run",
    "done",
]


def journey_command() -> list[str]:
    node = shutil.which("node")
    missing = [
        what
        for what, there in [
            ("node", node is not None),
            ("playwright-core (make test installs it)", (JOURNEY_DIR / "node_modules" / "playwright-core").exists()),
            ("the built web client (make webclient)", DIST_INDEX.is_file()),
            (f"chromium at {CHROMIUM} (make test installs it)", CHROMIUM.exists()),
        ]
        if not there
    ]  # fmt: skip
    if missing:
        message = "missing: " + ", ".join(missing)
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    assert node is not None
    return [node, str(JOURNEY_DIR / "journey.mjs")]


@pytest.mark.timeout(300)
def test_web_client_journey(tmp_path: Path) -> None:
    command = journey_command()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    server = RunningServer(
        tmp_path,
        env_overrides={
            # Slow enough that a plan is still generating when the browser acts on it.
            "OFFLINE_STEP_DELAY_MS": "700",
            # The plan's text streams in over some 2 s, as `make run` shows it.
            "OFFLINE_CHUNK_DELAY_MS": "40",
            "OFFLINE_FAIL_WHEN_NOTES_CONTAIN": FAIL_MARKER,
            # ...on its first attempt only: the Retry then completes the plan.
            "OFFLINE_FAIL_FIRST_ATTEMPTS": "1",
            # After the restart, the embedded LLM service takes the job over this soon.
            "LLM_JOB_LEASE_SECONDS": "2",
            "SUBMISSION_RATE_LIMIT": "0",
        },
    ).start()
    stderr_path = tmp_path / "journey-stderr.txt"
    checks: list[dict[str, Any]] = []
    try:
        with stderr_path.open("w") as stderr:
            process = subprocess.Popen(
                [*command, server.base_url, str(SCREENSHOTS), FAIL_MARKER],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
            )  # fmt: skip
            try:
                checks = follow(process, server)
                process.wait(timeout=60)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        failure = stderr_path.read_text()
        assert process.returncode == 0, f"{failure}\nserver log:\n{server.log_text()[-4000:]}"
    finally:
        server.stop()
    # What each step saw (sequences, counts), kept beside the screenshots for a reader.
    (SCREENSHOTS.parent / "web-journey.json").write_text(json.dumps(checks, indent=2))
    assert [check["check"] for check in checks] == CHECKS
    by_name = {check["check"]: check for check in checks}
    errors = by_name[CHECKS[0]]
    assert "age" in errors["age"].lower()
    assert errors["scenarios"]
    retried = by_name["a failed plan shows its message and Retry makes a completed plan"]
    assert retried["attempt"] == 2
    assert "Retry" in retried["message"]
    assert sorted(p.name for p in SCREENSHOTS.glob("*.png")) == [
        "01-wizard-field-errors.png",
        "02-progress-live.png",
        "03-progress-completed.png",
        "04-toast-after-reload.png",
        "05-plan.png",
        "06-dashboard-generating.png",
        "07-dashboard-cancel-confirm.png",
        "08-failed-plan.png",
        "09-retried-plan.png",
        "10-signin.png",
        "11-admin-dry-run.png",
        "12-admin-cleanup-done.png",
    ]
    if "draftDelta" in (PROJECT_ROOT / "schema.graphql").read_text():
        # Once the API streams the plan text, the progress page must have shown it.
        assert isinstance(by_name[CHECKS[2]]["draft"], int)


def follow(process: subprocess.Popen[str], server: RunningServer) -> list[dict[str, Any]]:
    """The journey's report lines; restarts the server when the journey asks."""
    assert process.stdout is not None and process.stdin is not None
    checks = []
    for line in process.stdout:
        message = json.loads(line)
        if message.get("ask") == "restart":
            server.stop()
            server.start()
            process.stdin.write("restarted\n")
            process.stdin.flush()
        else:
            checks.append(message)
    return checks
