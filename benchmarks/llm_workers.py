"""LLM-service jobs per second with 1 worker against 2 workers on one job table.

Starts `mission-planner llm-service serve` processes on one scratch PostgreSQL
database (LLM_DATABASE_URL), the offline planner pausing --step-delay-ms per step
(the stand-in for a provider's latency) and LLM_MAX_CONCURRENT_JOBS=--concurrency
each. Submits JOBS jobs round-robin to the workers at once and times until every
`workflow.completed` webhook reached a sink in this process; then the same with
two workers. Also reports how many times each job completed and ran (attempts):
each job must run once.

    .venv/bin/python -m benchmarks.llm_workers
    .venv/bin/python -m benchmarks.llm_workers --jobs 200 --concurrency 8
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from benchmarks import common

WIZARD = {
    "location": {"city": "Miami", "state": "FL", "country": "US", "postal_code": "33101"},
    "scenarios": ["HURRICANE", "POWER_GRID_FAILURE"],
    "family_members": [{"name": "Ana", "age": 38, "medical_needs": []}],
    "mobility_plan": {"strategy": "SHELTER_IN_PLACE", "has_vehicle": True},
    "budget_tier": "STANDARD",
    "duration_days": 14,
    "pet_count": 0,
    "notes": None,
}
BUNDLES = [
    {
        "id": "go-bag-72h", "name": "72-Hour Family Go-Bag",
        "description": "Grab-and-go essentials for three days.", "price_usd": "149.00",
        "scenarios": ["HURRICANE", "POWER_GRID_FAILURE"], "budget_tier": "ESSENTIAL",
        "items": ["water pouches", "emergency radio"],
    },
]  # fmt: skip


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=0.0, clients=0)
    p.add_argument("--jobs", type=int, default=48)
    p.add_argument("--concurrency", type=int, default=4, help="LLM_MAX_CONCURRENT_JOBS")
    p.add_argument("--step-delay-ms", type=int, default=100, help="OFFLINE_STEP_DELAY_MS")
    return p.parse_args()


# ---------------------------------------------------------------- the webhook sink


class WebhookSink:
    """Answers every webhook 200 and counts each job's events by type."""

    def __init__(self) -> None:
        self.events: dict[str, Counter[str]] = {}
        self.arrivals: list[tuple[float, str, str]] = []  # (monotonic time, job id, type)
        self.changed = asyncio.Event()
        self.app = Starlette(routes=[Route("/hook", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        job_id, kind = str(body.get("job_id")), str(body.get("type"))
        self.events.setdefault(job_id, Counter())[kind] += 1
        self.arrivals.append((time.monotonic(), job_id, kind))
        self.changed.set()
        return JSONResponse({"status": "applied"})

    def completed(self, job_ids: list[str]) -> int:
        return sum(1 for j in job_ids if self.events.get(j, Counter())["workflow.completed"])

    async def wait_completed(self, job_ids: list[str], limit_seconds: float) -> float:
        """Seconds until every job completed (TimeoutError past `limit_seconds`)."""
        started = time.perf_counter()
        deadline = started + limit_seconds
        while self.completed(job_ids) < len(job_ids):
            self.changed.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"{self.completed(job_ids)}/{len(job_ids)} jobs completed")
            try:
                await asyncio.wait_for(self.changed.wait(), min(remaining, 1.0))
            except TimeoutError:
                pass
        return time.perf_counter() - started


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    port = common.free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started or task.done():
                break
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = server.force_exit = True
        await task


# ---------------------------------------------------------------- workers


def worker(workdir: Path, database_url: str, **env: str) -> common.Server:
    """`mission-planner llm-service serve` on a free port, on the shared job table."""
    port = common.free_port()
    argv = [sys.executable, "-m", "infra.cli", "llm-service", "serve", "--port", str(port)]
    full_env = {
        **os.environ,
        "DATA_DIR": str(workdir / f"llm-{port}"),
        "LLM_DATABASE_URL": database_url,
        "LLM_SERVICE_API_SECRET": common.LLM_API_SECRET,
        "LLM_WEBHOOK_SECRET": common.WEBHOOK_SECRET,
        "LLM_PROVIDER": "offline",
        **env,
    }
    return common.Server("llm", [*argv, "--log-level", "warning"], full_env, port,
                         workdir / f"llm-{port}.log")  # fmt: skip


async def submit_jobs(workers: list[common.Server], count: int, webhook_url: str) -> list[str]:
    headers = {"X-API-Secret": common.LLM_API_SECRET}
    async with httpx.AsyncClient(timeout=30, headers=headers) as client:

        async def one(n: int) -> str:
            body = {
                "workflow_name": "mission_generation",
                "input_data": {"wizard": WIZARD, "bundles": BUNDLES},
                "webhook_url": webhook_url,
                "metadata": {"report_id": f"bench-{n}", "user_id": "bench", "attempt": 1},
            }
            base = workers[n % len(workers)].base_url
            response = await client.post(f"{base}/api/v1/workflow", json=body)
            response.raise_for_status()
            return str(response.json()["job_id"])

        return list(await asyncio.gather(*map(one, range(count))))


async def attempts_of(database_url: str, job_ids: list[str]) -> Counter[int]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT attempts FROM llm_workflow_jobs WHERE id = ANY(:ids)"),
                {"ids": job_ids},
            )
            return Counter(int(r[0]) for r in rows)
    finally:
        await engine.dispose()


async def run(count: int, url: str, workdir: Path, args: Any) -> dict[str, Any]:
    env = {
        "OFFLINE_STEP_DELAY_MS": str(args.step_delay_ms),
        "LLM_MAX_CONCURRENT_JOBS": str(args.concurrency),
    }
    sink = WebhookSink()
    workers = [worker(workdir, url, **env) for _ in range(count)]
    try:
        for w in workers:  # one at a time: each migrates the database at start
            w.start()
        async with serving(sink.app) as sink_url:
            started = time.perf_counter()
            job_ids = await submit_jobs(workers, args.jobs, sink_url + "/hook")
            await sink.wait_completed(job_ids, limit_seconds=60 + args.jobs)
            elapsed = time.perf_counter() - started
    finally:
        for w in workers:
            w.stop()
    completions = Counter(sink.events[j]["workflow.completed"] for j in job_ids)
    return {
        "rate": args.jobs / elapsed, "elapsed": elapsed, "completions": completions,
        "attempts": await attempts_of(url, job_ids),
    }  # fmt: skip


async def main(args: Any) -> None:
    common.print_machine_note()
    workdir = Path(tempfile.mkdtemp(prefix="bench-llm-workers-"))
    name = args.database
    url = await common.create_empty_database(name)
    results = {}
    try:
        results["1 worker"] = await run(1, url, workdir, args)
        results["2 workers"] = await run(2, url, workdir, args)
    finally:
        if not args.keep_db:
            await common.drop_database(name)
    shutil.rmtree(workdir, ignore_errors=True)
    report(results, args)


def report(results: dict[str, dict[str, Any]], args: Any) -> None:
    print(
        f"\n{args.jobs} jobs, offline planner {args.step_delay_ms} ms per step, "
        f"{args.concurrency} jobs at once per worker"
    )
    common.print_table(
        ["workers", "seconds", "jobs/s", "completed n times: jobs", "attempts: jobs"],
        [[name, f"{r['elapsed']:.1f}", f"{r['rate']:.1f}", dict(r["completions"]),
          dict(r["attempts"])] for name, r in results.items()],
    )  # fmt: skip
    one, two = results["1 worker"]["rate"], results["2 workers"]["rate"]
    once = all(set(r["completions"]) == {1} and set(r["attempts"]) == {1} for r in results.values())
    print(f"\n2 workers / 1 worker: {two / one:.2f}x; every job ran and completed once: {once}")
    common.print_figure(
        "LLM-service jobs/s, 2 workers vs 1 (one job table)",
        api=f"{two:.1f} jobs/s", baseline=f"{one:.1f} jobs/s (1 worker)",
        ratio=f"{two / one:.2f}x", target="grows with workers; each job once",
        met=once and two > one * 1.3,
    )  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
