"""What a revision finds already there, for revisions that adopt tables made elsewhere.

Until this tree existed the API's tree created the service's tables (its
revisions 0002, 0004 and 0006). A database upgraded by that tree has some or all
of them; the first revisions here create only what is missing, so they build a
fresh database and adopt an old one alike.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import inspect


def has_table(name: str) -> bool:
    return inspect(op.get_bind()).has_table(name)


def has_column(table: str, column: str) -> bool:
    return any(c["name"] == column for c in inspect(op.get_bind()).get_columns(table))


def has_index(table: str, index: str) -> bool:
    return any(i["name"] == index for i in inspect(op.get_bind()).get_indexes(table))
