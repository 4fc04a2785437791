"""Storage use per project, counted as batches are stored (for storage limits).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("used_bytes", sa.BigInteger, nullable=False, server_default="0"))
