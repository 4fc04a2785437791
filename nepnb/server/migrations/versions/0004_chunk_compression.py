"""PostgreSQL compresses series chunks with LZ4 instead of its default pglz: pglz spent
most of a batch's time on the database side (about 8x slower to compress), which kept
batch latency far above SQLite's. Servers built without LZ4 (or PostgreSQL before 14)
keep pglz. SQLite stores chunks as they are: nothing to do there.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

_CHUNK_COLUMNS = ("steps", "vals", "times")


def _lz4_available() -> bool:
    found = op.get_bind().execute(
        sa.text(
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
            "AND 'lz4' = ANY(enumvals)"
        )
    )
    return found.first() is not None


def _set_compression(method: str) -> None:
    if op.get_bind().dialect.name != "postgresql" or not _lz4_available():
        return
    for column in _CHUNK_COLUMNS:
        op.execute(f"ALTER TABLE series_chunks ALTER COLUMN {column} SET COMPRESSION {method}")


def upgrade() -> None:
    _set_compression("lz4")


def downgrade() -> None:
    _set_compression("pglz")
