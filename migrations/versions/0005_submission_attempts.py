"""Submission attempts: what the per-user submission rate limit counts.

Revision ID: 0005_submission_attempts
Revises: 0004_llm_job_attempts

Reports cannot be counted: a cancelled one is deleted. Each submit and retry that
starts an attempt leaves a row here; rows older than the window are pruned.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from infra.db.tables import UTCDateTime

revision = "0005_submission_attempts"
down_revision = "0004_llm_job_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("report_id", sa.String(36), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_submission_attempts_user_created", "submission_attempts", ["user_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_submission_attempts_user_created", table_name="submission_attempts")
    op.drop_table("submission_attempts")
