"""Blobs and checkpoint parts belong to projects: ``blob_projects`` records which projects
uploaded a digest (the bytes stay stored once, content-addressed). A token reads a digest
only through a project it can read that holds it; its size counts against that project's
storage limit. The files that fields of existing objects name (File, FileSet) are recorded
for their object's project; other digests stored before this revision are readable by
admins only until a project uploads them again.

Revision ID: 0004_blob_projects
Revises: 0003
"""

from __future__ import annotations

import json
import time

import sqlalchemy as sa
from alembic import op

revision = "0004_blob_projects"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "blob_projects",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_index("ix_blob_projects_project_id", "blob_projects", ["project_id"])
    _record_files_of_fields()


def _record_files_of_fields() -> None:
    """(digest, project) of every file a File or FileSet field names."""
    con = op.get_bind()
    rows = con.execute(
        sa.text(
            "SELECT o.project_id, f.type, f.value FROM fields f JOIN objects o "
            "ON o.uid = f.object_uid WHERE f.type IN ('file', 'fileSet')"
        )
    )
    found: dict[tuple[str, int], int] = {}
    for project_id, kind, raw in rows:
        try:
            value = json.loads(raw) if raw else None
        except ValueError:
            continue
        refs = [value] if kind == "file" else list((value or {}).values())
        for ref in refs:
            if isinstance(ref, dict) and isinstance(ref.get("digest"), str):
                found[(ref["digest"], project_id)] = int(ref.get("size") or 0)
    if found:
        now = time.time()
        con.execute(
            sa.text(
                "INSERT INTO blob_projects (digest, project_id, size, created) "
                "VALUES (:digest, :project_id, :size, :created)"
            ),
            [
                {"digest": digest, "project_id": project_id, "size": size, "created": now}
                for (digest, project_id), size in found.items()
            ],
        )
