"""Tracking data: projects, objects, fields, chunked series, applied batches, checkpoints.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("key", sa.String(16), nullable=False, unique=True),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "counters",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("scope", sa.String(300), primary_key=True),
        sa.Column("next", sa.Integer, nullable=False),
    )
    op.create_table(
        "objects",
        sa.Column("uid", sa.String(32), primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sys_id", sa.String(300), nullable=False),
        sa.Column("custom_run_id", sa.String(300)),
        sa.Column("model_id", sa.String(300)),
        sa.Column("created", sa.Float, nullable=False),
        sa.UniqueConstraint("project_id", "sys_id", name="objects_sys_id"),
        sa.UniqueConstraint("project_id", "kind", "custom_run_id", name="objects_custom_run_id"),
    )
    op.create_index("objects_kind", "objects", ["project_id", "kind"])
    op.create_table(
        "fields",
        sa.Column("object_uid", sa.String(32), primary_key=True),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("value", sa.Text),
    )
    op.create_table(
        "series_chunks",
        sa.Column("object_uid", sa.String(32), primary_key=True),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("steps", sa.LargeBinary, nullable=False),
        sa.Column("vals", sa.LargeBinary, nullable=False),
        sa.Column("times", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "applied_batches",
        sa.Column("batch_id", sa.String(64), primary_key=True),
        sa.Column("object_uid", sa.String(32), nullable=False),
        sa.Column("applied", sa.Float, nullable=False),
    )
    op.create_table(
        "parts",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("encoding", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "notebooks",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("notebook_id", sa.String(64), primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("notebook_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("parent_id", sa.String(16)),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("runs", sa.Text, nullable=False),
        sa.Column("stats", sa.Text, nullable=False),
        sa.UniqueConstraint("project_id", "notebook_id", "seq", name="checkpoints_seq"),
    )
