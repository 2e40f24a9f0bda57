"""The webhook's HTTP side alone: API CPU from request in to answer out, no database.

The app of `graph.app.create_app` (Starlette's dispatch, the webhook route, the real
verifier and payload mapping), its state stood in for: the batcher applies each update
at once, so the database, the bus and the subscriptions are not in the figure. Each
webhook is an ASGI call as in `benchmarks.webhook_cpu` (no sockets: uvicorn is not in it
either). Under callgrind the count is deterministic: the figure for changes to the route.

    .venv/bin/python -m benchmarks.webhook_route_cpu
    BENCH_CALLGRIND=1 valgrind --tool=callgrind --instr-atstart=no \\
        .venv/bin/python -m benchmarks.webhook_route_cpu --webhooks 2000 --rounds 1
        # "Collected" / 2,000 = instructions per webhook (the measured round only)
"""

from __future__ import annotations

import json
import os
import time
import uuid
from types import SimpleNamespace
from typing import Any

from benchmarks import common, delivery
from benchmarks.webhook_cpu import post
from domain.jobs import JobUpdate
from infra.webhook_signing import WebhookVerifier, sign
from tests.support.job_events import webhook_event


def parse_args() -> Any:
    p = common.parser(__doc__ or "", duration=0.0, clients=1)
    p.add_argument("--webhooks", type=int, default=2000, help="webhooks per round")
    p.add_argument("--rounds", type=int, default=5, help="measured rounds (best and median)")
    return p.parse_args()


class AppliedAtOnce:
    """JobUpdateBatcher's interface, without its database: every update is new."""

    async def apply(self, update: JobUpdate, webhook_id: str) -> bool:
        return True


def signed(count: int) -> list[tuple[bytes, dict[str, str]]]:
    """Step moves of distinct reports, as `benchmarks.webhook_cpu` sends them."""
    names = {s.step_id: s.display_name for s in delivery.DEFINITION.progress_of_steps()}
    ladder = delivery.ladder()
    built = []
    for n in range(count):
        kind, step_id, _ = ladder[n % len(ladder)]
        report = {"id": str(uuid.uuid4()), "jobId": f"job-{uuid.uuid4().hex}"}
        event = webhook_event(report, kind, 1000 + n, step_id=step_id, display_name=names[step_id])
        body = json.dumps(event).encode()
        headers = sign(common.WEBHOOK_SECRET, f"msg_{uuid.uuid4().hex}", int(time.time()), body)
        built.append((body, headers))
    return built


async def main(args: Any) -> None:
    os.environ.update(
        AUTH_JWT_SECRET=common.JWT_SECRET, LLM_WEBHOOK_SECRET=common.WEBHOOK_SECRET,
        LLM_SERVICE_API_SECRET=common.LLM_API_SECRET, LOG_LEVEL="warning",
    )  # fmt: skip
    from graph.app import create_app
    from infra.settings import Settings

    settings = Settings()
    app = create_app(settings)  # its lifespan is not run: no database is opened
    app.state.mission_planner = SimpleNamespace(
        settings=settings,
        webhook_verifier=WebhookVerifier(settings.webhook_secrets),
        job_updates=AppliedAtOnce(),
    )
    results = []
    for n in range(args.rounds + 1):  # the first is warm-up
        batch = signed(args.webhooks)
        if n:
            common.callgrind("on")
        started = time.process_time()
        statuses = [await post(app, body, headers) for body, headers in batch]
        spent = time.process_time() - started
        if n:
            common.callgrind("off")
            results.append(spent / len(batch) * 1e6)
        refused = [s for s in statuses if s != 200]
        assert not refused, f"webhooks answered {sorted(set(refused))}"
    best, median = min(results), sorted(results)[len(results) // 2]
    print(f"webhook HTTP side, in-process, no database: best {best:.1f} us, median {median:.1f} us")
    common.print_figure(
        "API CPU per webhook, HTTP side only (in-process, no database)",
        api=f"{best:.1f} us", baseline="", ratio="", target="", met=True,
    )  # fmt: skip


if __name__ == "__main__":
    arguments = parse_args()
    common.run(lambda: main(arguments))
