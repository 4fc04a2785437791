"""Storage use per object, counted as batches are stored (a project's use, for its storage
limit, is the sum over its objects: no row every writer of a project must lock).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("objects") as batch:
        batch.add_column(sa.Column("used_bytes", sa.BigInteger, nullable=False, server_default="0"))
