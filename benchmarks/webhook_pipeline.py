"""Signed webhook -> database -> bus -> websocket frame: the API against a bare handler.

The same phases as `benchmarks.delivery` (fixed rate, then closed loop), on the
same reports and the same signed requests, but the baseline is
`benchmarks.baseline_webhook`: a Starlette + asyncpg handler that verifies the
signature with `standardwebhooks`, writes the receipt, the report and the event
in one transaction and fans the frame out. The receipts the API stored are
deleted before the baseline runs, so it applies every webhook as new.
Target: API >= 60% of the baseline's deliveries/s.

    .venv/bin/python -m benchmarks.webhook_pipeline                 # 200 subs, 100/s
    .venv/bin/python -m benchmarks.webhook_pipeline --subscriptions 1000 --rate 200
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import common, delivery, meters

TARGET_RATIO = 0.60


async def forget_receipts(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM webhook_receipts"))
    finally:
        await engine.dispose()


def report(results: dict[str, dict[str, Any]], args: Any) -> None:
    delivery_rows(results, args)
    api, base = (results[n]["saturation"]["rate"] for n in ("api", "baseline"))
    ratio = api / base if base else float("nan")
    cpu = {
        name: results[name]["saturation"]["cpu"].server
        / max(1, results[name]["saturation"]["sink"].received)
        * 1000
        for name in ("api", "baseline")
    }
    print(f"\nAPI / bare webhook handler, max deliveries/s: {ratio:.0%} (target >= 60%)")
    print(f"server CPU ms per delivery: API {cpu['api']:.2f}, baseline {cpu['baseline']:.2f}")
    common.print_figure(
        "signed webhook -> DB -> bus -> frame vs bare Starlette+asyncpg",
        api=f"{api:.0f}/s ({cpu['api']:.1f} ms CPU)",
        baseline=f"{base:.0f}/s ({cpu['baseline']:.1f} ms CPU)",
        ratio=f"{ratio:.0%}", target=">= 60%", met=ratio >= TARGET_RATIO,
    )  # fmt: skip


def delivery_rows(results: dict[str, dict[str, Any]], args: Any) -> None:
    rows = []
    for name in ("baseline", "api"):
        fixed, sat = results[name]["fixed"], results[name]["saturation"]
        sink = fixed["sink"]
        rows.append([
            name, f"{sink.received}/{fixed['posted']}",
            sink.errors + sat["load"].errors,
            meters.ms(meters.percentile(sink.latencies, 50)),
            meters.ms(meters.percentile(sink.latencies, 99)),
            f"{sat['rate']:.0f}",
            f"{max(c.others / c.wall for c in (fixed['cpu'], sat['cpu'])):.0%}",
        ])  # fmt: skip
    print(
        f"\n{args.subscriptions} subscriptions, {args.rate:.0f} webhooks/s fixed, then closed loop"
    )
    common.print_table(
        ["target", "delivered", "errors", "p50 ms", "p99 ms", "max deliv/s", "other procs CPU"],
        rows,
    )


async def main(args: Any) -> None:
    results = await delivery.compare(args, "benchmarks.baseline_webhook:app", forget_receipts)
    report(results, args)


if __name__ == "__main__":
    arguments = delivery.parse_args()
    common.run(lambda: main(arguments))
