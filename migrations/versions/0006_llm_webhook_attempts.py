"""LLM service: a status per webhook delivery (pending, delivered, dead) and a row per attempt.

Revision ID: 0006_llm_webhook_attempts
Revises: 0005_submission_attempts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_llm_webhook_attempts"
down_revision = "0005_submission_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
    op.drop_index("ix_llm_webhook_outbox_pending", table_name="llm_webhook_outbox")
    op.create_index(
        "ix_llm_webhook_outbox_status_next", "llm_webhook_outbox", ["status", "next_attempt_at"]
    )
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
