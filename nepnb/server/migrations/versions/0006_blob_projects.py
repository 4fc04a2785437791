"""Blobs and checkpoint parts belong to projects: ``blob_projects`` records which projects
uploaded a digest (the bytes stay stored once, content-addressed). A token reads a digest
only through a project it can read that holds it; its size counts against that project's
storage limit. What existing data names is recorded for its project: the files of File,
FileSet and FileSeries fields, and the parts of checkpoints (found from their manifests),
by the functions of nepnb.store.references (the server's, when objects are deleted).
A digest nothing names stays readable by admins only, until a project uploads it again.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from nepnb.store.references import files_named, parts_reached

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "blob_projects",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_index("ix_blob_projects_project_id", "blob_projects", ["project_id"])
    found: dict[tuple[str, int], int] = {}
    _files_of_fields(found)
    _parts_of_checkpoints(found)
    _record(found)


def _loads(raw: Any) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _files_of_fields(found: dict[tuple[str, int], int]) -> None:
    """(digest, project) -> size of every file a File, FileSet or FileSeries names."""
    con = op.get_bind()
    fields = con.execute(
        sa.text(
            "SELECT o.project_id, f.type, f.value FROM fields f JOIN objects o "
            "ON o.uid = f.object_uid WHERE f.type IN ('file', 'fileSet')"
        )
    ).all()
    series = con.execute(
        sa.text(
            "SELECT o.project_id, 'fileSeries', c.vals FROM series_chunks c "
            "JOIN fields f ON f.object_uid = c.object_uid AND f.path = c.path "
            "JOIN objects o ON o.uid = c.object_uid WHERE f.type = 'fileSeries'"
        )
    ).all()
    for project_id, kind, raw in [*fields, *series]:
        value = _loads(bytes(raw) if isinstance(raw, (bytes, memoryview)) else raw)
        for digest, size in files_named(kind, value).items():
            found[(digest, project_id)] = size


def _parts_of_checkpoints(found: dict[tuple[str, int], int]) -> None:
    """(digest, project) -> size of every part a checkpoint reaches (see parts_reached)."""
    con = op.get_bind()
    wanted: dict[int, set[str]] = {}
    for project_id, manifest in con.execute(
        sa.text("SELECT project_id, manifest FROM checkpoints")
    ).all():
        wanted.setdefault(project_id, set()).add(manifest)
    query = sa.text("SELECT digest, size, encoding, data FROM parts WHERE digest IN :d")
    query = query.bindparams(sa.bindparam("d", expanding=True))

    def read(digests: list[str]) -> Iterator[tuple[str, int, Any]]:
        for digest, size, encoding, data in con.execute(query, {"d": digests}):
            yield digest, size, _loads(zlib.decompress(bytes(data)) if encoding else bytes(data))

    for project_id, manifests in wanted.items():
        for digest, size in parts_reached(manifests, read).items():
            found[(digest, project_id)] = size


def _record(found: dict[tuple[str, int], int]) -> None:
    if not found:
        return
    now = time.time()
    op.get_bind().execute(
        sa.text(
            "INSERT INTO blob_projects (digest, project_id, size, created) "
            "VALUES (:digest, :project_id, :size, :created)"
        ),
        [
            {"digest": digest, "project_id": project_id, "size": size, "created": now}
            for (digest, project_id), size in found.items()
        ],
    )
