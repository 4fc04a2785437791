"""The trash: deleting objects from it finds their applied batch ids by object.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_index("applied_batches_object", "applied_batches", ["object_uid"])
