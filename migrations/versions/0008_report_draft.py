"""The plan's text so far, kept on the report while the model writes it.

Revision ID: 0008_report_draft
Revises: 0007_generation_usage
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_report_draft"
down_revision = "0007_generation_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: adding it rewrites no row, and NULL reads as "no text yet".
    op.add_column("mission_reports", sa.Column("draft", sa.Text, nullable=True))


def downgrade() -> None:
    # Only text of reports still generating is lost; their completed plans stay.
    with op.batch_alter_table("mission_reports") as batch:
        batch.drop_column("draft")
