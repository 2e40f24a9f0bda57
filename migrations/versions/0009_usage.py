"""One usage row per model call: an attempt whose job was taken over has several.

Revision ID: 0009_usage
Revises: 0008_report_draft

generation_usage gains `call_id` (the LLM service's id of the call; "" for the rows
from before, one per attempt) as the third part of its primary key.
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0009_usage"
down_revision = "0008_report_draft"
branch_labels = None
depends_on = None

TABLE = "generation_usage"
PRIMARY_KEY = "pk_generation_usage"


def upgrade() -> None:
    _replace_primary_key(
        ["report_id", "attempt", "call_id"],
        add=sa.Column("call_id", sa.String(64), nullable=False, server_default=""),
    )


def downgrade() -> None:
    # One row per attempt again: the calls of an attempt after its first are dropped.
    op.execute(
        f"DELETE FROM {TABLE} WHERE call_id <> ("
        f"SELECT MIN(u2.call_id) FROM {TABLE} u2 "
        f"WHERE u2.report_id = {TABLE}.report_id AND u2.attempt = {TABLE}.attempt)"
    )
    _replace_primary_key(["report_id", "attempt"], drop="call_id")


def _replace_primary_key(
    columns: list[str], *, add: sa.Column[str] | None = None, drop: str | None = None
) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite cannot alter a primary key: the table is copied with the new one. (The
        # copy's columns still carry the old key's flags; SQLAlchemy warns, then uses
        # the new key, which is what is asked for.)
        with (
            warnings.catch_warnings(action="ignore", category=sa.exc.SAWarning),
            op.batch_alter_table(TABLE, recreate="always") as batch,
        ):
            if add is not None:
                batch.add_column(add)
            batch.create_primary_key(PRIMARY_KEY, columns)
            if drop is not None:
                batch.drop_column(drop)
        return
    old = sa.inspect(bind).get_pk_constraint(TABLE)["name"]
    if add is not None:
        op.add_column(TABLE, add)
    op.drop_constraint(old, TABLE, type_="primary")
    if drop is not None:
        op.drop_column(TABLE, drop)
    op.create_primary_key(PRIMARY_KEY, TABLE, columns)
