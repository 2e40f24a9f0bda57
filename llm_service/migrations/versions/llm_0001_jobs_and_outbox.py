"""Workflow jobs and the webhook outbox (was the API tree's 0002_llm_service).

Creates each table only when missing: a database the API tree migrated before
this tree existed already has them, and is adopted as it is.

Revision ID: llm_0001_jobs_and_outbox
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from llm_service.migrations.existing import has_table

revision = "llm_0001_jobs_and_outbox"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    if not has_table("llm_workflow_jobs"):
        _create_jobs()
    if not has_table("llm_webhook_outbox"):
        _create_outbox()


def _create_jobs() -> None:
    op.create_table(
        "llm_workflow_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("workflow_name", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("current_step_id", sa.String(64), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("input_data", sa.JSON(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("usage", sa.JSON(), nullable=True),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.Column("runner_id", sa.String(64), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_llm_workflow_jobs_status_created_at", "llm_workflow_jobs", ["status", "created_at"]
    )


def _create_outbox() -> None:
    op.create_table(
        "llm_webhook_outbox",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("job_id", sa.String(36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("job_id", "sequence", name="uq_llm_webhook_outbox_job_sequence"),
    )
    op.create_index(
        "ix_llm_webhook_outbox_pending", "llm_webhook_outbox", ["delivered_at", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_llm_webhook_outbox_pending", table_name="llm_webhook_outbox")
    op.drop_table("llm_webhook_outbox")
    op.drop_index("ix_llm_workflow_jobs_status_created_at", table_name="llm_workflow_jobs")
    op.drop_table("llm_workflow_jobs")
