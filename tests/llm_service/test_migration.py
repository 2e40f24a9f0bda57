"""The LLM service's own tree builds exactly `llm_service.tables.metadata`, and undoes it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from llm_service.db import create_db_engine
from llm_service.migrate import downgrade_to, downgrade_to_base, upgrade_to, upgrade_to_head
from llm_service.migrations.versions import llm_0001_jobs_and_outbox as first


async def test_the_tree_starts_on_its_own(tmp_path: Path) -> None:
    # No parent in the API's tree: a standalone database has nothing else.
    assert (first.revision, first.down_revision) == ("llm_0001_jobs_and_outbox", None)


async def test_webhook_status_is_filled_in_for_rows_from_before(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    rows = {  # id: (delivered_at, next_attempt_at)
        "msg_delivered": ("2026-01-01 00:00:01", None),
        "msg_given_up": (None, None),
        "msg_pending": (None, "2026-01-01 00:00:02"),
    }
    try:
        await upgrade_to(engine, "llm_0002_job_attempts")
        async with engine.begin() as conn:
            for sequence, (webhook_id, (delivered_at, next_at)) in enumerate(rows.items(), 1):
                await conn.execute(
                    text(
                        "INSERT INTO llm_webhook_outbox (id, job_id, sequence, event_type,"
                        " payload, webhook_url, attempts, next_attempt_at, delivered_at,"
                        " created_at) VALUES (:id, 'job', :seq, 'workflow.started', '{}',"
                        " 'http://api.test', 1, :next_at, :delivered_at, '2026-01-01 00:00:00')"
                    ),
                    {
                        "id": webhook_id,
                        "seq": sequence,
                        "next_at": next_at,
                        "delivered_at": delivered_at,
                    },
                )
        await upgrade_to_head(engine)
        async with engine.connect() as conn:
            statuses: dict[str, str] = dict(
                (await conn.execute(text("SELECT id, status FROM llm_webhook_outbox"))).all()
            )
        await downgrade_to(engine, "llm_0002_job_attempts")
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            columns = await conn.run_sync(
                lambda c: [col["name"] for col in inspect(c).get_columns("llm_webhook_outbox")]
            )
            count = (await conn.execute(text("SELECT count(*) FROM llm_webhook_outbox"))).scalar()
        await downgrade_to_base(engine)
        async with engine.connect() as conn:
            left = await conn.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()

    assert statuses == {
        "msg_delivered": "delivered",
        "msg_given_up": "dead",
        "msg_pending": "pending",
    }
    assert "llm_webhook_attempts" not in tables
    assert "status" not in columns
    assert count == 3
    assert left == ["llm_alembic_version"]
