"""Count the runs of each job, so a job that keeps crashing stops (was the API's 0004).

Revision ID: llm_0002_job_attempts
Revises: llm_0001_jobs_and_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from llm_service.migrations.existing import has_column

revision = "llm_0002_job_attempts"
down_revision = "llm_0001_jobs_and_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if has_column("llm_workflow_jobs", "attempts"):
        return  # added by the API tree's 0004_llm_job_attempts
    # Jobs already in the table have had (at least) one run.
    with op.batch_alter_table("llm_workflow_jobs") as batch:
        batch.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )


def downgrade() -> None:
    with op.batch_alter_table("llm_workflow_jobs") as batch:
        batch.drop_column("attempts")
