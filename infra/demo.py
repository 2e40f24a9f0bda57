"""`mission-planner demo`: submit a plan to a running API and watch it being written.

The whole journey a family sees, in a terminal: the wizard submitted as a dev user, a
progress bar fed by the `missionEvents` subscription (step names and percentage), the
draft text while the model writes it (when the API streams `draftDelta`), then the plan
as rendered markdown with its usage. Exit codes: 0 done, 1 the plan or the API failed,
2 the wizard was rejected, 130 interrupted (the plan is cancelled first).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markdown import Markdown

from domain.wizard import Scenario
from infra.auth import TokenAuthenticator
from infra.demo_client import ApiRejected, ApiUnreachable, DemoApi, GraphQLApi
from infra.demo_view import MissionProgressView, printable, usage_line
from infra.settings import Settings

MAX_WIZARD_FILE_BYTES = 64 * 1024
INTERRUPTED = 130

VIEWER = "query DemoViewer { viewer { id } }"
# Only newer APIs stream the draft: asked for by name, a missing field fails the operation.
PROGRESS_EVENT_FIELDS = (
    'query DemoFields { __type(name: "MissionProgressEvent") { fields { name } } }'
)
SUBMIT = """
mutation DemoSubmit($input: MissionPlanInput!) {
  submitMissionPlan(input: $input) {
    __typename
    ... on SubmitMissionPlanSuccess { report { id } }
    ... on ValidationError { message errors { field message } }
    ... on ActiveJobLimitError { message }
    ... on RateLimitedError { message }
    ... on ServiceUnavailableError { message }
    ... on IdempotencyKeyConflictError { message }
  }
}
"""
EVENTS = """
subscription DemoEvents($id: ID!) {
  missionEvents(reportId: $id) {
    __typename
    ... on MissionProgressEvent { progress { stepId stepName stepIndex stepCount percentage }DRAFT }
    ... on MissionFailedEvent { error { code message } }
  }
}
"""
REPORT = """
query DemoReport($id: ID!) {
  missionReport(id: $id) {
    status
    error { message }
    plan { content }
    usage { model inputTokens outputTokens totalTokens durationMs costUsd }
  }
}
"""
CANCEL = """
mutation DemoCancel($id: ID!) {
  cancelMissionPlan(reportId: $id) {
    __typename
    ... on NotFoundError { message }
    ... on CannotCancelError { message }
    ... on ServiceUnavailableError { message }
  }
}
"""


class DemoStopped(Exception):
    """The demo ends early: what to print and the exit code."""

    def __init__(self, code: int, *lines: str) -> None:
        super().__init__(lines[0] if lines else "")
        self.code = code
        self.lines = lines


def family_wizard(city: str, state: str, scenarios: list[Scenario]) -> dict[str, Any]:
    """The default household: a family of four, one with a medical need, and a dog."""
    return {
        "location": {"city": city, "state": state, "country": "US"},
        "scenarios": [scenario.value for scenario in scenarios],
        "familyMembers": [
            {"name": "Maria", "age": 41},
            {"name": "Carlos", "age": 44, "medicalNeeds": ["asthma inhaler"]},
            {"name": "Sofia", "age": 12},
            {"name": "Mateo", "age": 6},
        ],
        "mobilityPlan": {"strategy": "FLEXIBLE", "hasVehicle": True},
        "budgetTier": "STANDARD",
        "durationDays": 14,
        "petCount": 1,
        "notes": "Second-floor apartment, 2 km from the coast.",
    }


def read_wizard_file(path: Path) -> dict[str, Any]:
    """A MissionPlanInput as JSON; the API checks its fields, this only its shape."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_WIZARD_FILE_BYTES + 1)
    except OSError as error:
        raise DemoStopped(2, f"Cannot read the wizard file {path}: {error.strerror}.") from None
    if len(raw) > MAX_WIZARD_FILE_BYTES:
        raise DemoStopped(2, f"The wizard file {path} is over {MAX_WIZARD_FILE_BYTES} bytes.")
    try:
        wizard = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise DemoStopped(2, f"The wizard file {path} is not JSON: {error}.") from None
    if not isinstance(wizard, dict):
        raise DemoStopped(2, f"The wizard file {path} must hold a JSON object.")
    return wizard


async def run_demo(api: GraphQLApi, wizard: dict[str, Any], console: Console) -> int:
    """Submit, watch, print the plan; the exit code. Ctrl-C while it generates cancels it."""
    try:
        await api.execute(VIEWER)
    except ApiRejected as refused:
        raise DemoStopped(1, f"The API refused the token: {refused.messages[0]}") from None
    streams_draft = await progress_streams_draft(api)
    report_id = await submit(api, wizard)
    console.print(f"Submitted plan {printable(report_id)}; Ctrl-C cancels it.")
    watching = asyncio.create_task(watch(api, report_id, streams_draft, console))
    with sigint_cancels(watching):
        try:
            await watching
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # not our Ctrl-C: someone cancelled the demo itself
            await cancel(api, report_id, console)
            return INTERRUPTED
    await print_plan(api, report_id, console)
    return 0


async def progress_streams_draft(api: GraphQLApi) -> bool:
    """Whether MissionProgressEvent has `draftDelta` (False if introspection is off)."""
    try:
        data = await api.execute(PROGRESS_EVENT_FIELDS)
    except ApiRejected:
        return False
    fields = (data.get("__type") or {}).get("fields") or []
    return any(field.get("name") == "draftDelta" for field in fields)


async def submit(api: GraphQLApi, wizard: dict[str, Any]) -> str:
    try:
        data = await api.execute(SUBMIT, {"input": wizard})
    except ApiRejected as rejected:
        # The wizard does not fit MissionPlanInput's types (an unknown scenario, a string age).
        messages = [f"  {message}" for message in rejected.messages]
        raise DemoStopped(2, "The wizard was rejected:", *messages) from None
    result = data["submitMissionPlan"]
    kind = result["__typename"]
    if kind == "SubmitMissionPlanSuccess":
        return str(result["report"]["id"])
    if kind == "ValidationError":
        errors = [f"  {error['field']}: {error['message']}" for error in result["errors"]]
        raise DemoStopped(2, "The wizard was rejected:", *(errors or [result["message"]]))
    raise DemoStopped(1, f"The plan was not started: {result['message']}")


async def watch(api: GraphQLApi, report_id: str, streams_draft: bool, console: Console) -> None:
    """Follow the report's events until it completes; DemoStopped if it fails."""
    query = EVENTS.replace("DRAFT", " draftDelta" if streams_draft else "")
    with MissionProgressView(console) as view:
        async for data in api.subscribe(query, {"id": report_id}):
            event = data["missionEvents"]
            kind = event["__typename"]
            if kind == "MissionProgressEvent":
                view.progress(event["progress"], event.get("draftDelta"))
            elif kind == "MissionCompletedEvent":
                view.completed()
                return
            elif kind == "MissionFailedEvent":
                view.failed()
                raise DemoStopped(1, f"The plan failed: {event['error']['message']}")
            elif kind == "MissionCancelledEvent":
                view.failed()
                raise DemoStopped(1, "The plan was cancelled.")
    raise DemoStopped(1, "The subscription ended before the plan was finished.")


async def cancel(api: GraphQLApi, report_id: str, console: Console) -> None:
    console.print("Interrupted: cancelling the plan...")
    data = await api.execute(CANCEL, {"id": report_id})
    result = data["cancelMissionPlan"]
    if result["__typename"] == "CancelMissionPlanSuccess":
        console.print(f"Plan {printable(report_id)} cancelled.")
    else:
        console.print(f"The plan was not cancelled: {printable(result['message'])}", soft_wrap=True)


async def print_plan(api: GraphQLApi, report_id: str, console: Console) -> None:
    report = (await api.execute(REPORT, {"id": report_id}))["missionReport"]
    if report is None or report["plan"] is None:
        raise DemoStopped(1, "The plan finished but cannot be read back.")
    console.print()
    console.print(Markdown(printable(report["plan"]["content"])))
    console.print()
    if report["usage"] is not None:
        console.print(usage_line(report["usage"]), soft_wrap=True)


@contextlib.contextmanager
def sigint_cancels(task: asyncio.Task[None]) -> Iterator[None]:
    """While inside, Ctrl-C cancels `task` instead of raising KeyboardInterrupt anywhere."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, task.cancel)
    except (NotImplementedError, RuntimeError, ValueError):  # not Unix, or not the main thread
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def _http_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise typer.BadParameter("must start with http:// or https://")
    return url


def demo(
    url: str = typer.Option(
        "http://127.0.0.1:8000", "--url", callback=_http_url, help="The running API."
    ),
    user: str = typer.Option("demo-user", "--user", help="Whose plan: the dev token's `sub`."),
    token: str | None = typer.Option(
        None, "--token", help="A JWT to use instead of minting one with AUTH_JWT_SECRET."
    ),
    wizard_file: Path | None = typer.Option(
        None, "--wizard", help="A MissionPlanInput as JSON; replaces the options below."
    ),
    city: str = typer.Option("Miami", "--city", help="The family's city."),
    state: str = typer.Option("FL", "--state", help="The city's state."),
    scenarios: list[Scenario] = typer.Option(
        [Scenario.HURRICANE], "--scenario", "-s", case_sensitive=False, help="Repeatable."
    ),
) -> None:
    """Submit a plan as a dev user, watch its progress live, then print it as markdown."""
    # No markup: every text printed comes from the API or the model, not from us.
    console = Console(highlight=False, markup=False)
    try:
        wizard = read_wizard_file(wizard_file) if wizard_file else None
        jwt = token or _dev_token(user)
        code = asyncio.run(_run(url, jwt, wizard or family_wizard(city, state, scenarios), console))
    except DemoStopped as stopped:
        for line in stopped.lines:
            console.print(printable(line), soft_wrap=True)
        code = stopped.code
    except ApiUnreachable as error:
        console.print(
            f"Cannot reach the API ({printable(str(error))}): is it running?", soft_wrap=True
        )
        code = 1
    except ApiRejected as refused:
        console.print(f"The API answered with an error: {printable(str(refused))}", soft_wrap=True)
        code = 1
    except KeyboardInterrupt:
        console.print("Interrupted.")
        code = INTERRUPTED
    raise typer.Exit(code)


async def _run(url: str, token: str, wizard: dict[str, Any], console: Console) -> int:
    async with DemoApi(url, token) as api:
        return await run_demo(api, wizard, console)


def _dev_token(user_id: str) -> str:
    """Like `mission-planner token`: signed with this instance's configured or generated secret."""
    settings = Settings()
    authenticator = TokenAuthenticator(
        settings.jwt_secret, audience=settings.auth_jwt_audience, issuer=settings.auth_jwt_issuer
    )
    return authenticator.mint(user_id, ttl_seconds=3600)
