"""The usage so far of the model call in flight, checkpointed on the job row.

Revision ID: llm_0004_live_usage
Revises: llm_0003_webhook_attempts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "llm_0004_live_usage"
down_revision = "llm_0003_webhook_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: no row is rewritten, and NULL reads as "no call in flight".
    op.add_column("llm_workflow_jobs", sa.Column("live_usage", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("llm_workflow_jobs") as batch:
        batch.drop_column("live_usage")
