"""The LLM service's tables: jobs, the webhook outbox and each delivery attempt."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from llm_service.db import UTCDateTime

metadata = MetaData()

QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED = (
    "queued",
    "running",
    "completed",
    "failed",
    "cancelled",
)
ACTIVE_STATUSES = (QUEUED, RUNNING)
TERMINAL_STATUSES = (COMPLETED, FAILED, CANCELLED)

jobs_table = Table(
    "llm_workflow_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("workflow_name", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("current_step_id", String(64), nullable=True),
    Column("steps", JSON, nullable=False),  # {step_id: pending|running|completed|failed}
    Column("progress", Float, nullable=False, default=0.0),
    Column("input_data", JSON, nullable=False),
    # `metadata` is the SQL name; the key avoids clashing with Table.metadata in Python.
    Column("metadata", JSON, key="job_metadata", nullable=False),
    Column("webhook_url", Text, nullable=True),
    Column("result", JSON, nullable=True),
    Column("error", JSON, nullable=True),
    Column("usage", JSON, nullable=True),
    # The model call in flight's usage so far, by estimate (llm_service.usage): checkpointed
    # with the streaming progress, so a takeover can count the call of a run that died.
    Column("live_usage", JSON, nullable=True),
    Column("last_sequence", Integer, nullable=False, default=0),
    # Runs started: 1 at submit, one more per takeover; bounded so a job that crashes
    # its runner every time (a poison result) stops instead of rerunning forever.
    Column("attempts", Integer, nullable=False, default=1, server_default="1"),
    # Lease: the runner executing the job heart-beats; a stale lease lets another take over.
    Column("runner_id", String(64), nullable=True),
    Column("heartbeat_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_llm_workflow_jobs_status_created_at", "status", "created_at"),
)

outbox_table = Table(
    "llm_webhook_outbox",
    metadata,
    Column("id", String(100), primary_key=True),  # the webhook-id header, stable on retry
    Column("job_id", String(36), nullable=False),  # no foreign key: outlives deleted jobs
    Column("sequence", Integer, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("payload", Text, nullable=False),  # the exact body, so every retry signs the same
    Column("webhook_url", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    # pending -> delivered | dead; only pending rows are ever sent (see llm_service/webhooks.py).
    Column("status", String(16), nullable=False, default="pending", server_default="pending"),
    # NULL once the row is settled (delivered or dead).
    Column("next_attempt_at", UTCDateTime(), nullable=True),
    Column("delivered_at", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("job_id", "sequence", name="uq_llm_webhook_outbox_job_sequence"),
    # The sender's every query: the pending rows, soonest due first.
    Index("ix_llm_webhook_outbox_status_next", "status", "next_attempt_at"),
)

# One row per POST of an outbox row. Deleted with its outbox row (ON DELETE CASCADE;
# both engines turn SQLite's foreign keys on), so whoever removes outbox rows removes these.
attempts_table = Table(
    "llm_webhook_attempts",
    metadata,
    Column(
        "delivery_id",
        String(100),
        ForeignKey("llm_webhook_outbox.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("attempt", Integer, primary_key=True),  # the outbox row's attempts count at claim
    Column("started_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),  # delivered | failed | timeout | error
    Column("status_code", Integer, nullable=True),  # the response's, when there was one
    Column("duration_ms", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=True),  # NULL: no retry (delivered, dead)
    # A class, never a response body or an exception's text: "server_error", "ConnectError".
    Column("error_class", String(64), nullable=True),
)
