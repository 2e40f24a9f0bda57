"""The API's tables (SQLAlchemy Core). The LLM service's tables live in llm_service.tables."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# One column type for both services' tables (and for the migrations, which import it here).
from llm_service.db import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Named so a repository can tell a taken idempotency key from any other violation.
IDEMPOTENCY_CONSTRAINT = "uq_mission_reports_idempotency"

mission_reports = Table(
    "mission_reports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("job_id", String(64), nullable=True, index=True),
    Column("idempotency_key", String(255), nullable=True),
    Column("location_label", String(255), nullable=False),
    Column("input", JSON, nullable=False),
    Column("progress", JSON, nullable=False),
    Column("error", JSON, nullable=True),
    Column("plan_markdown", Text, nullable=True),
    Column("plan_sections", JSON, nullable=True),
    # The plan's text so far while it is written; NULL when there is none (domain.draft).
    Column("draft", Text, nullable=True),
    Column("last_sequence", Integer, nullable=False),
    Column("last_job_sequence", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime, nullable=True),
    UniqueConstraint("user_id", "idempotency_key", name=IDEMPOTENCY_CONSTRAINT),
    Index("ix_mission_reports_user_created", "user_id", "created_at", "id"),
    Index("ix_mission_reports_status_updated", "status", "updated_at"),
)

mission_events = Table(
    "mission_events",
    metadata,
    # No foreign key: a cancelled report is deleted but its events stay replayable.
    Column("report_id", String(36), primary_key=True),
    Column("sequence", Integer, primary_key=True),
    Column("user_id", String(255), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Index("ix_mission_events_user_occurred", "user_id", "occurred_at"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(255), nullable=False),
    Column("report_id", String(36), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("title", String(255), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("dismissed_at", UTCDateTime, nullable=True),
    Index("ix_notifications_user_created", "user_id", "created_at"),
)

webhook_receipts = Table(
    "webhook_receipts",
    metadata,
    Column("webhook_id", String(255), primary_key=True),
    Column("job_id", String(64), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

# One row per submit or retry that started an attempt (the submission rate limit).
submission_attempts = Table(
    "submission_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(255), nullable=False),
    Column("report_id", String(36), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_submission_attempts_user_created", "user_id", "created_at"),
)

# What each attempt used, written once per (report, attempt) when the job reports it.
# No foreign key: a cancelled report is deleted, and what it used still counts.
generation_usage = Table(
    "generation_usage",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    # The LLM service's id of the model call: an attempt whose job was taken over after its
    # worker died has one row per call. "" for a service that names no calls.
    Column("call_id", String(64), primary_key=True, server_default=""),
    Column("user_id", String(255), nullable=False),
    Column("job_id", String(64), nullable=False),
    Column("model", String(255), nullable=False),
    Column("input_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("duration_ms", BigInteger, nullable=False),
    Column("cost_usd", Numeric(18, 6), nullable=False),
    Column("steps", JSON, nullable=False),  # [{step_id, model, tokens, duration, cost}]
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_generation_usage_user_created", "user_id", "created_at"),
    Index("ix_generation_usage_created", "created_at"),
)

bundles = Table(
    "bundles",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False),
    Column("price_usd", Numeric(10, 2), nullable=False),
    Column("budget_tier", String(16), nullable=False),
    Column("items", JSON, nullable=False),
)

bundle_scenarios = Table(
    "bundle_scenarios",
    metadata,
    Column("bundle_id", String(64), primary_key=True),
    Column("scenario", String(32), primary_key=True),
    Index("ix_bundle_scenarios_scenario", "scenario"),
)
