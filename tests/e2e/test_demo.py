"""`mission-planner demo` against the real service on a free port, as a user runs it."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from infra.cli import app
from tests.conftest import free_port
from tests.e2e.client import graphql
from tests.e2e.server import JWT_SECRET, PROJECT_ROOT, RunningServer

pytestmark = pytest.mark.e2e

STEPS = [
    "Formatting Bundles",
    "Joining Bundles",
    "Building Scenario List",
    "Building User Message",
    "Generating Mission Plan",
    "Parsing Sections",
]
MY_REPORTS = "{ missionReports { nodes { id status } } }"


def user() -> str:
    return f"demo-{uuid.uuid4().hex[:8]}"


def run_demo(server_url: str, *args: str, data_dir: Path) -> Result:
    env = {"AUTH_JWT_SECRET": JWT_SECRET, "DATA_DIR": str(data_dir), "COLUMNS": "100"}
    return CliRunner().invoke(app, ["demo", "--url", server_url, *args], env=env)


def reports_of(server: RunningServer, user_id: str) -> list[dict]:
    body = asyncio.run(graphql(server, server.token(user_id), MY_REPORTS))
    return list(body["data"]["missionReports"]["nodes"])


@pytest.fixture(scope="module")
def failing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The model provider points at a port where nothing listens: every plan fails."""
    llm = {
        "LLM_PROVIDER": "openai",
        "LLM_API_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "LLM_API_KEY": "sk-test",
        "LLM_MAX_RETRIES": "0",
        "LLM_MAX_JOB_ATTEMPTS": "1",
        "OFFLINE_STEP_DELAY_MS": "0",
    }
    running = RunningServer(Path(tmp_path_factory.mktemp("demo-failing")), llm).start()
    yield running
    running.stop()


def test_demo_shows_each_step_then_the_plan_and_its_usage(
    server: RunningServer, tmp_path: Path
) -> None:
    user_id = user()
    result = run_demo(server.base_url, "--user", user_id, data_dir=tmp_path)
    assert result.exit_code == 0, result.output
    output = result.output
    # Each step's name once, in the workflow's order, then the bar at 100%.
    positions = [output.index(f"Step {n}/6: {name}") for n, name in enumerate(STEPS, 1)]
    assert positions == sorted(positions), output
    bar_at_100 = re.search(r"^Done\s.*\b100%", output, re.MULTILINE)
    assert bar_at_100 and bar_at_100.start() > positions[-1], output
    # Then the plan, rendered: the heading's text without its markdown `## `.
    summary = output.index("Executive Summary", bar_at_100.end())
    assert "## Executive Summary" not in output[bar_at_100.end() :]
    assert "Mission Plan: Miami, FL" in output
    usage = re.search(r"^Usage: model offline-planner-v1, .* = [\d,]+ tokens, cost ", output, re.M)
    assert usage and usage.start() > summary, output
    # As the dev user named, with the default wizard's household.
    [report] = reports_of(server, user_id)
    assert report["status"] == "COMPLETED"
    assert "household of 4" in output


def test_demo_reads_the_wizard_from_options(server: RunningServer, tmp_path: Path) -> None:
    result = run_demo(
        server.base_url,
        *("--user", user(), "--city", "Boise", "--state", "ID", "-s", "wildfire", "-s", "flood"),
        data_dir=tmp_path,
    )
    assert result.exit_code == 0, result.output
    assert "Mission Plan: Boise, ID" in result.output
    assert "Wildfire" in result.output and "Flood" in result.output


def test_a_rejected_wizard_prints_each_field_error_and_exits_2(
    server: RunningServer, tmp_path: Path
) -> None:
    wizard = {
        "location": {"city": "", "state": "FL"},
        "scenarios": [],
        "familyMembers": [{"age": 200}],
        "mobilityPlan": {"strategy": "FLEXIBLE"},
        "budgetTier": "STANDARD",
    }
    path = tmp_path / "wizard.json"
    path.write_text(json.dumps(wizard))
    user_id = user()
    result = run_demo(server.base_url, "--user", user_id, "--wizard", str(path), data_dir=tmp_path)
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        "The wizard was rejected:",
        "  location.city: City is required.",
        "  scenarios: Choose between 1 and 6 scenarios (got 0).",
        "  familyMembers[0].age: Age must be a whole number between 0 and 120.",
    ]
    assert reports_of(server, user_id) == []


def test_a_wizard_of_the_wrong_types_exits_2(server: RunningServer, tmp_path: Path) -> None:
    path = tmp_path / "wizard.json"
    path.write_text(json.dumps({"location": {"city": "Miami", "state": "FL"}, "scenarios": ["X"]}))
    result = run_demo(server.base_url, "--user", user(), "--wizard", str(path), data_dir=tmp_path)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("The wizard was rejected:\n  Variable '$input'")
    assert "Traceback" not in result.output


def test_a_wizard_file_that_is_not_json_exits_2(server: RunningServer, tmp_path: Path) -> None:
    path = tmp_path / "wizard.json"
    path.write_text("{not json")
    result = run_demo(server.base_url, "--wizard", str(path), data_dir=tmp_path)
    assert result.exit_code == 2
    assert result.output.startswith(f"The wizard file {path} is not JSON")


def test_an_unreachable_api_prints_one_line_and_exits_1(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_demo(url, data_dir=tmp_path)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Cannot reach the API (ConnectError at {url}/graphql): is it running?"
    ]


def test_a_refused_token_exits_1(server: RunningServer, tmp_path: Path) -> None:
    result = run_demo(server.base_url, "--token", "not-a-jwt", data_dir=tmp_path)
    assert result.exit_code == 1
    assert result.output.startswith("The API refused the token: Authentication required")


def test_a_failed_plan_prints_its_message_and_exits_1(
    failing_server: RunningServer, tmp_path: Path
) -> None:
    user_id = user()
    result = run_demo(failing_server.base_url, "--user", user_id, data_dir=tmp_path)
    assert result.exit_code == 1, result.output
    [report] = reports_of(failing_server, user_id)
    assert report["status"] == "FAILED"
    body = asyncio.run(
        graphql(
            failing_server,
            failing_server.token(user_id),
            "query($id: ID!) { missionReport(id: $id) { error { message } } }",
            {"id": report["id"]},
        )
    )
    message = body["data"]["missionReport"]["error"]["message"]
    assert result.output.splitlines()[-1] == f"The plan failed: {message}"
    assert "Executive Summary" not in result.output


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """Each step takes seconds: long enough to press Ctrl-C in the middle of a plan."""
    overrides = {"OFFLINE_STEP_DELAY_MS": "3000"}
    running = RunningServer(Path(tmp_path_factory.mktemp("demo-slow")), overrides).start()
    yield running
    running.stop()


def test_ctrl_c_cancels_the_plan_and_exits_130(slow_server: RunningServer, tmp_path: Path) -> None:
    user_id = user()
    env = {
        **os.environ,
        "AUTH_JWT_SECRET": JWT_SECRET,
        "DATA_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "infra.cli", "demo", "--url", slow_server.base_url]
    demo = subprocess.Popen(
        [*command, "--user", user_id],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert demo.stdout is not None
    seen = []
    for line in demo.stdout:  # the plan is generating once its first step is shown
        seen.append(line)
        if line.startswith("Step 1/6"):
            break
    [report] = reports_of(slow_server, user_id)
    assert report["status"] == "GENERATING"
    demo.send_signal(signal.SIGINT)
    rest, _ = demo.communicate(timeout=30)
    assert demo.returncode == 130, "".join(seen) + rest
    assert "Interrupted: cancelling the plan..." in rest
    assert f"Plan {report['id']} cancelled." in rest
    assert "Traceback" not in rest
    assert reports_of(slow_server, user_id) == []
