"""What each generation attempt used, kept apart from the report so cancelled ones count.

Revision ID: 0007_generation_usage
Revises: 0006_llm_webhook_attempts

The usage of a report's completed attempt moves from mission_reports.usage to a
row here; the downgrade puts each report's latest attempt back in that column.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

from infra.db.tables import UTCDateTime

revision = "0007_generation_usage"
down_revision = "0006_llm_webhook_attempts"
branch_labels = None
depends_on = None

# The one step that called a model before usage was kept per step.
GENERATION_STEP = "generate_mission_plan"

reports = sa.table(
    "mission_reports",
    sa.column("id", sa.String),
    sa.column("user_id", sa.String),
    sa.column("attempt", sa.Integer),
    sa.column("job_id", sa.String),
    sa.column("usage", sa.JSON),
    sa.column("completed_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime),
)


def upgrade() -> None:
    usage = op.create_table(
        "generation_usage",
        sa.Column("report_id", sa.String(36), primary_key=True),
        sa.Column("attempt", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("input_tokens", sa.BigInteger, nullable=False),
        sa.Column("output_tokens", sa.BigInteger, nullable=False),
        sa.Column("duration_ms", sa.BigInteger, nullable=False),
        sa.Column("cost_usd", sa.Numeric(18, 6), nullable=False),
        sa.Column("steps", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_generation_usage_user_created", "generation_usage", ["user_id", "created_at"]
    )
    op.create_index("ix_generation_usage_created", "generation_usage", ["created_at"])
    bind = op.get_bind()
    stored = bind.execute(sa.select(reports).where(reports.c.usage.is_not(None))).mappings()
    rows = [row for row in (_usage_row(report) for report in stored) if row is not None]
    if rows:
        op.bulk_insert(usage, rows)
    with op.batch_alter_table("mission_reports") as batch:
        batch.drop_column("usage")


def _usage_row(report: Any) -> dict[str, Any] | None:
    old = report["usage"]
    if not isinstance(old, dict):
        return None
    input_tokens, output_tokens = int(old.get("input_tokens", 0)), int(old.get("output_tokens", 0))
    if input_tokens + output_tokens == 0:
        return None
    cost = old.get("cost_usd")
    step = {
        "step_id": GENERATION_STEP,
        "model": str(old.get("model", "unknown")),
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "duration_ms": int(old.get("duration_ms", 0)),
        "cost_usd": 0.0 if cost is None else round(float(cost), 6),
    }
    return {
        "report_id": report["id"],
        "attempt": report["attempt"],
        "user_id": report["user_id"],
        "job_id": report["job_id"] or "",
        "model": step["model"],
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "duration_ms": step["duration_ms"],
        "cost_usd": Decimal(f"{step['cost_usd']:.6f}"),
        "steps": [step],
        "created_at": report["completed_at"] or report["updated_at"] or datetime.now(UTC),
    }


def downgrade() -> None:
    with op.batch_alter_table("mission_reports") as batch:
        batch.add_column(sa.Column("usage", sa.JSON, nullable=True))
    usage = sa.table(
        "generation_usage",
        sa.column("report_id", sa.String),
        sa.column("attempt", sa.Integer),
        sa.column("model", sa.String),
        sa.column("input_tokens", sa.BigInteger),
        sa.column("output_tokens", sa.BigInteger),
        sa.column("duration_ms", sa.BigInteger),
        sa.column("cost_usd", sa.Numeric(18, 6)),
    )
    bind = op.get_bind()
    # The report's current attempt only: the column held one attempt's usage.
    current = sa.select(usage).join(
        reports,
        sa.and_(reports.c.id == usage.c.report_id, reports.c.attempt == usage.c.attempt),
    )
    for row in bind.execute(current).mappings().all():
        old = {
            "model": row["model"],
            "input_tokens": int(row["input_tokens"]),
            "output_tokens": int(row["output_tokens"]),
            "duration_ms": int(row["duration_ms"]),
            "cost_usd": float(row["cost_usd"]),
        }
        bind.execute(reports.update().where(reports.c.id == row["report_id"]).values(usage=old))
    op.drop_index("ix_generation_usage_created", table_name="generation_usage")
    op.drop_index("ix_generation_usage_user_created", table_name="generation_usage")
    op.drop_table("generation_usage")
