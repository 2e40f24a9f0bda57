"""A status per webhook delivery (pending, delivered, dead) and a row per attempt.

Was the API tree's 0006_llm_webhook_attempts; each part runs only when missing.

Revision ID: llm_0003_webhook_attempts
Revises: llm_0002_job_attempts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from llm_service.migrations.existing import has_column, has_index, has_table

revision = "llm_0003_webhook_attempts"
down_revision = "llm_0002_job_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if not has_column("llm_webhook_outbox", "status"):
        _add_outbox_status()
    if has_index("llm_webhook_outbox", "ix_llm_webhook_outbox_pending"):
        op.drop_index("ix_llm_webhook_outbox_pending", table_name="llm_webhook_outbox")
    if not has_index("llm_webhook_outbox", "ix_llm_webhook_outbox_status_next"):
        op.create_index(
            "ix_llm_webhook_outbox_status_next", "llm_webhook_outbox", ["status", "next_attempt_at"]
        )
    if not has_table("llm_webhook_attempts"):
        _create_attempts()


def _add_outbox_status() -> None:
    with op.batch_alter_table("llm_webhook_outbox") as batch:
        batch.add_column(
            sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'pending'"))
        )
    # Rows from before: delivered ones have delivered_at; given-up ones lost next_attempt_at.
    outbox = sa.table(
        "llm_webhook_outbox",
        sa.column("status", sa.String),
        sa.column("delivered_at", sa.DateTime),
        sa.column("next_attempt_at", sa.DateTime),
    )
    op.execute(outbox.update().where(outbox.c.delivered_at.is_not(None)).values(status="delivered"))
    op.execute(
        outbox.update()
        .where(outbox.c.delivered_at.is_(None), outbox.c.next_attempt_at.is_(None))
        .values(status="dead")
    )


def _create_attempts() -> None:
    op.create_table(
        "llm_webhook_attempts",
        sa.Column(
            "delivery_id",
            sa.String(100),
            sa.ForeignKey("llm_webhook_outbox.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("attempt", sa.Integer(), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_class", sa.String(64), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("llm_webhook_attempts")
    op.drop_index("ix_llm_webhook_outbox_status_next", table_name="llm_webhook_outbox")
    op.create_index(
        "ix_llm_webhook_outbox_pending", "llm_webhook_outbox", ["delivered_at", "next_attempt_at"]
    )
    # A dead row keeps the meaning it had before: next_attempt_at NULL, never delivered.
    with op.batch_alter_table("llm_webhook_outbox") as batch:
        batch.drop_column("status")
