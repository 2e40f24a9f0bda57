"""Seed the bundle catalog.

Revision ID: 0003_seed_bundles
Revises: 0002_llm_service

The catalog is copied into this revision's data file so later edits to the
catalog need a new revision instead of silently changing this one.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0003_seed_bundles"
down_revision = "0002_llm_service"
branch_labels = None
depends_on = None

DATA_FILE = Path(__file__).with_name("0003_bundles.json")

bundles = sa.table(
    "bundles",
    sa.column("id", sa.String),
    sa.column("name", sa.String),
    sa.column("description", sa.Text),
    sa.column("price_usd", sa.Numeric(10, 2)),
    sa.column("budget_tier", sa.String),
    sa.column("items", sa.JSON),
)
bundle_scenarios = sa.table(
    "bundle_scenarios", sa.column("bundle_id", sa.String), sa.column("scenario", sa.String)
)


def upgrade() -> None:
    catalog = json.loads(DATA_FILE.read_text())
    op.bulk_insert(
        bundles,
        [
            {
                "id": b["id"],
                "name": b["name"],
                "description": b["description"],
                "price_usd": Decimal(b["price_usd"]),
                "budget_tier": b["budget_tier"],
                "items": b["items"],
            }
            for b in catalog
        ],
    )
    op.bulk_insert(
        bundle_scenarios,
        [{"bundle_id": b["id"], "scenario": s} for b in catalog for s in b["scenarios"]],
    )


def downgrade() -> None:
    ids = [b["id"] for b in json.loads(DATA_FILE.read_text())]
    op.execute(bundle_scenarios.delete().where(bundle_scenarios.c.bundle_id.in_(ids)))
    op.execute(bundles.delete().where(bundles.c.id.in_(ids)))
