"""The trash: deleting objects from it finds their applied batch ids by object.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_index("applied_batches_object", "applied_batches", ["object_uid"])
