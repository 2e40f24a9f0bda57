"""The API's tables: reports, event log, notifications, webhook receipts, bundles.

Revision ID: 0001_api_tables
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from infra.db.tables import UTCDateTime

revision = "0001_api_tables"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mission_reports",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("job_id", sa.String(64), nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("location_label", sa.String(255), nullable=False),
        sa.Column("input", sa.JSON, nullable=False),
        sa.Column("progress", sa.JSON, nullable=False),
        sa.Column("error", sa.JSON, nullable=True),
        sa.Column("plan_markdown", sa.Text, nullable=True),
        sa.Column("plan_sections", sa.JSON, nullable=True),
        sa.Column("usage", sa.JSON, nullable=True),
        sa.Column("last_sequence", sa.Integer, nullable=False),
        sa.Column("last_job_sequence", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("completed_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("user_id", "idempotency_key", name="uq_mission_reports_idempotency"),
    )
    op.create_index("ix_mission_reports_job_id", "mission_reports", ["job_id"])
    op.create_index(
        "ix_mission_reports_user_created", "mission_reports", ["user_id", "created_at", "id"]
    )
    op.create_index(
        "ix_mission_reports_status_updated", "mission_reports", ["status", "updated_at"]
    )
    op.create_table(
        "mission_events",
        sa.Column("report_id", sa.String(36), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_mission_events_user_occurred", "mission_events", ["user_id", "occurred_at"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("report_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("dismissed_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_notifications_user_created", "notifications", ["user_id", "created_at"])
    op.create_table(
        "webhook_receipts",
        sa.Column("webhook_id", sa.String(255), primary_key=True),
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "bundles",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("price_usd", sa.Numeric(10, 2), nullable=False),
        sa.Column("budget_tier", sa.String(16), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
    )
    op.create_table(
        "bundle_scenarios",
        sa.Column("bundle_id", sa.String(64), primary_key=True),
        sa.Column("scenario", sa.String(32), primary_key=True),
    )
    op.create_index("ix_bundle_scenarios_scenario", "bundle_scenarios", ["scenario"])


def downgrade() -> None:
    op.drop_table("bundle_scenarios")
    op.drop_table("bundles")
    op.drop_table("webhook_receipts")
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_mission_events_user_occurred", table_name="mission_events")
    op.drop_table("mission_events")
    op.drop_index("ix_mission_reports_status_updated", table_name="mission_reports")
    op.drop_index("ix_mission_reports_user_created", table_name="mission_reports")
    op.drop_index("ix_mission_reports_job_id", table_name="mission_reports")
    op.drop_table("mission_reports")
