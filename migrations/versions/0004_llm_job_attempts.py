"""LLM service: count the runs of each job, so a job that keeps crashing stops.

Revision ID: 0004_llm_job_attempts
Revises: 0003_seed_bundles
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_llm_job_attempts"
down_revision = "0003_seed_bundles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Jobs already in the table have had (at least) one run.
    with op.batch_alter_table("llm_workflow_jobs") as batch:
        batch.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )


def downgrade() -> None:
    with op.batch_alter_table("llm_workflow_jobs") as batch:
        batch.drop_column("attempts")
