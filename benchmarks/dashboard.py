"""Dashboard query throughput: the real API against a bare Starlette endpoint.

Seeds USERS x REPORTS mission reports (mixed statuses, real plans from the
offline planner) into a fresh PostgreSQL database, starts `python -m graph.serve`
and `benchmarks.baseline_dashboard`, and drives both with the same closed-loop
load of `missionReports(first: 20)` for users picked in turn. Prints req/s,
latency and CPU per request for each, and the ratio (target: API >= 60%).

    .venv/bin/python -m benchmarks.dashboard [--duration 8] [--clients 16] [--rounds 2]
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import clients, common, meters
from domain.plan import parse_plan_markdown, resolve_bundles
from domain.report import MissionReport, MissionStatus, Plan, Progress, ReportError
from domain.wizard import (
    BudgetTier,
    FamilyMember,
    Location,
    MissionPlanInput,
    MobilityPlan,
    MobilityStrategy,
    Scenario,
)
from infra.auth import TokenAuthenticator
from infra.db.mapping import report_to_row
from infra.db.read_queries import ReadQueries
from infra.db.tables import mission_reports
from llm_service.plan_request import parse_bundles, parse_plan_request
from llm_service.providers.offline import write_plan
from llm_service.settings import DEFAULT_BUDGET_TIER_USD

QUERY = (
    "{ missionReports(first: 20) { nodes { id status location { city state } scenarios "
    "createdAt progress { stepName percentage } } } }"
)
PLACES = [
    *(("Miami", "FL"), ("Houston", "TX"), ("Seattle", "WA"), ("Denver", "CO")),
    *(("New Orleans", "LA"), ("San Jose", "CA"), ("Tulsa", "OK"), ("Buffalo", "NY")),
]
SCENARIO_SETS = [
    (Scenario.HURRICANE, Scenario.POWER_GRID_FAILURE),
    (Scenario.EARTHQUAKE, Scenario.WILDFIRE, Scenario.PANDEMIC),
    (Scenario.FLOOD,),
    (Scenario.TORNADO, Scenario.WINTER_STORM, Scenario.EXTREME_HEAT, Scenario.CIVIL_UNREST),
]
FAMILY = (
    FamilyMember(38, "Ana"),
    FamilyMember(71, "Luis", ("insulin",)),
    FamilyMember(3, "Sofi"),
)


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=8.0, clients=16)
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--reports-per-user", type=int, default=24)
    p.add_argument("--rounds", type=int, default=2, help="alternating baseline/API runs")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds before each measurement")
    return p.parse_args()


async def seed(url: str, users: list[str], per_user: int) -> int:
    """Inserts the reports through the app's own row mapping; returns the row count."""
    definition = common.workflow_definition()
    steps = definition.progress_of_steps()
    engine = create_async_engine(url)
    catalog_rows = await ReadQueries(engine).bundles()
    catalog = parse_bundles([b.to_dict() for b in catalog_rows])
    known_ids = {b.id for b in catalog_rows}
    plans: dict[MissionPlanInput, Plan] = {}
    now = datetime.now(UTC)
    rows = []
    for user_index, user in enumerate(users):
        for n in range(per_user):
            place = PLACES[(user_index + n) % len(PLACES)]
            plan_input = MissionPlanInput(
                location=Location(*place),
                scenarios=SCENARIO_SETS[n % len(SCENARIO_SETS)],
                family_members=FAMILY[: 1 + n % 3],
                mobility_plan=MobilityPlan(MobilityStrategy.FLEXIBLE, has_vehicle=True),
                budget_tier=list(BudgetTier)[n % 4],
            )
            created = now - timedelta(minutes=per_user * user_index + n)
            step = steps[n % len(steps)]
            report = MissionReport(
                id=str(uuid.uuid4()), user_id=user, input=plan_input,
                status=MissionStatus.GENERATING, created_at=created, updated_at=created,
                job_id=f"job-{uuid.uuid4().hex}", last_sequence=3, last_job_sequence=3,
                progress=Progress(step.step_id, step.display_name, step.index, len(steps), 0.0),
            )  # fmt: skip
            if n % 8 in (1, 5):  # a quarter failed, an eighth still generating, the rest done
                error = ReportError("LLM_TIMEOUT", "The model timed out.", True)
                report = report.failed(error, created)
            elif n % 8 != 3:
                if plan_input not in plans:
                    request = parse_plan_request(plan_input.to_dict())
                    budget = DEFAULT_BUDGET_TIER_USD[request.budget_tier]
                    markdown = write_plan(request, catalog, budget)
                    sections = resolve_bundles(parse_plan_markdown(markdown), known_ids)
                    plans[plan_input] = Plan(markdown, sections)
                last = steps[-1]
                final = Progress(last.step_id, last.display_name, last.index, len(steps), 100.0)
                report = report.completed(plans[plan_input], created, final)
            rows.append(report_to_row(report))
    async with engine.begin() as conn:
        for start in range(0, len(rows), 500):
            await conn.execute(insert(mission_reports), rows[start : start + 500])
    await engine.dispose()
    return len(rows)


def requests_for(users: list[str], path: str) -> list[bytes]:
    auth = TokenAuthenticator(common.JWT_SECRET)
    body = json.dumps({"query": QUERY}).encode()
    return [
        clients.http_request(
            "POST", path, body,
            {"Content-Type": "application/json", "Authorization": f"Bearer {auth.mint(u)}"},
        )
        for u in users
    ]  # fmt: skip


async def same_answer(api: common.Server, base: common.Server, request: bytes) -> bool:
    answers = []
    for server, path in ((api, b"/graphql"), (base, b"/reports")):
        conn = await clients.HttpConnection.open(server.port)
        status, body = await conn.send(request.replace(b"/graphql", path, 1))
        await conn.close()
        answers.append((status, json.loads(body)))
    return answers[0] == answers[1] and len(answers[0][1]["data"]["missionReports"]["nodes"]) == 20


async def measure(
    server: common.Server, requests: list[bytes], args: Any, profiler: meters.Profiler, label: str
) -> dict[str, Any]:
    await meters.wait_for_quiet(args.quiet_wait)
    await clients.closed_loop(server.port, requests, clients=args.clients, duration=args.warmup)
    profiler.start(server, label, args.duration)
    with meters.CpuMeter(server.pid) as cpu:
        result = await clients.closed_loop(
            server.port, requests, clients=args.clients, duration=args.duration
        )
    profiler.stop()
    count = len(result.latencies) or 1
    return {
        "rate": result.rate,
        "p50": meters.percentile(result.latencies, 50),
        "p99": meters.percentile(result.latencies, 99),
        "errors": result.errors,
        "server_ms": cpu.server / count * 1000,
        "pg_ms": cpu.postgres / count * 1000,
        "client_cpu": cpu.client / cpu.wall,
        "others": cpu.others / cpu.wall,
    }


async def main(args: Any) -> None:
    common.print_machine_note()
    workdir = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    url = await common.recreate_database(args.database)
    users = [f"bench-user-{i:04d}" for i in range(args.users)]
    count = await seed(url, users, args.reports_per_user)
    print(f"seeded {count} reports for {len(users)} users into database {args.database!r}")
    api = common.api_server(workdir, url, OFFLINE_STEP_DELAY_MS=common.STALLED_STEP_DELAY_MS)
    base = common.baseline_server(
        workdir, "benchmarks.baseline_dashboard:app", "/healthz",
        DATABASE_URL=url, AUTH_JWT_SECRET=common.JWT_SECRET,
    )  # fmt: skip
    profiler = meters.Profiler(args.py_spy, args.profile_dir)
    results: dict[str, list[dict[str, Any]]] = {"baseline": [], "api": []}
    try:
        api.start()
        base.start()
        api_requests = requests_for(users, "/graphql")
        base_requests = [r.replace(b"/graphql", b"/reports", 1) for r in api_requests]
        print(f"same rows from both: {await same_answer(api, base, api_requests[0])}")
        for round_no, name in itertools.product(range(args.rounds), ("baseline", "api")):
            server, requests = (base, base_requests) if name == "baseline" else (api, api_requests)
            figures = await measure(
                server, requests, args, profiler, f"dashboard-{name}-{round_no}"
            )
            results[name].append(figures)
            print(
                f"  round {round_no + 1} {name:8}: {figures['rate']:7.0f} req/s, other "
                f"processes used {figures['others']:.0%} of a CPU meanwhile"
            )
    finally:
        api.stop()
        base.stop()
        if not args.keep_db:
            await common.drop_database(args.database)
    report(results, args)
    shutil.rmtree(workdir, ignore_errors=True)  # kept when a run fails: it has the logs


def report(results: dict[str, list[dict[str, Any]]], args: Any) -> None:
    best = {name: max(runs, key=lambda r: r["rate"]) for name, runs in results.items()}
    print(
        f"\nmissionReports(first: 20), {args.clients} connections, {args.duration:.0f} s x "
        f"{args.rounds} rounds each (best round shown)"
    )
    rows = [
        [name, f"{r['rate']:.0f}", meters.ms(r["p50"]), meters.ms(r["p99"]), r["errors"],
         f"{r['server_ms']:.2f}", f"{r['pg_ms']:.2f}", f"{r['client_cpu']:.0%}",
         f"{r['others']:.0%}"]
        for name, r in best.items()
    ]  # fmt: skip
    common.print_table(
        ["target", "req/s", "p50 ms", "p99 ms", "errors", "server CPU ms/req",
         "PostgreSQL CPU ms/req", "load-gen CPU", "other procs CPU"],
        rows,
    )  # fmt: skip
    ratio = best["api"]["rate"] / best["baseline"]["rate"]
    cpu_ratio = best["baseline"]["server_ms"] / best["api"]["server_ms"]
    print(f"\nAPI / baseline throughput: {ratio:.0%} (target >= 60%)")
    print(f"baseline / API server CPU per request: {cpu_ratio:.0%} (the noise-resistant view)")
    api, base = best["api"], best["baseline"]
    common.print_figure(
        "missionReports(first: 20) vs bare Starlette, same rows",
        api=f"{api['rate']:.0f} req/s ({api['server_ms']:.1f} ms CPU)",
        baseline=f"{base['rate']:.0f} req/s ({base['server_ms']:.1f} ms CPU)",
        ratio=f"{ratio:.0%}", target=">= 60%", met=ratio >= 0.60,
    )  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
