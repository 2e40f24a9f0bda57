"""LLM service tables: workflow jobs and the webhook outbox. Moved: now a no-op in this tree.

The LLM service's tables have their own tree since: llm_service/migrations
(version table `llm_alembic_version`), where this revision is `llm_0001_jobs_and_outbox`.
The id stays in this chain because databases migrated before the move record it;
they keep the tables this revision made, and the service's tree adopts them as
they are (its first revisions create only what is missing). A fresh API database
gets no llm_* tables from this tree. See docs/architecture.md, "Two migration trees".

Revision ID: 0002_llm_service
Revises: 0001_api_tables
"""

from __future__ import annotations

revision = "0002_llm_service"
down_revision = "0001_api_tables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass  # the tables, if an older version made them, belong to the service's tree now
