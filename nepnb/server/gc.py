"""Garbage collection of the tracking server's storage (``nepnb admin gc-blobs``).

Deleting objects from the trash drops a project's hold (a ``blob_projects`` row) on the
files and checkpoint parts nothing else in it names; their bytes stay, in the blob store
(folder or bucket) and in the ``parts`` table. :func:`collect_garbage` removes those no
project holds, safely while servers run:

- a blob file is removed only when no project holds it and it was last written more than
  ``older_than`` seconds ago (a client uploads a file before the batch that names it, and an
  upload may be in flight); a put of bytes already stored renews their time.
- a checkpoint part is removed when no project holds it (parts have no time: see below).

Both are safe while servers run: an upload records the project's hold *before* it stores
the bytes (``SQLStore._hold``), and the check that a digest is unheld and the removal of its
bytes happen while the holds are locked (PostgreSQL: ``LOCK TABLE blob_projects IN SHARE
MODE``; SQLite: a write transaction, ``BEGIN IMMEDIATE``). So an upload either recorded its
hold before (the bytes are kept) or records it after the removal, and then finds its bytes
absent and writes them again. Uploads wait for the lock: files are removed in chunks of
``_REMOVE_CHUNK``, parts in one ``DELETE … WHERE NOT EXISTS`` statement.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, delete, exists, func, select, text

from nepnb.server import tables as t
from nepnb.server.sql import SQLStore
from nepnb.store.blobs import StoredBlob

#: The default grace of ``older_than``: 24 hours.
DEFAULT_OLDER_THAN = 24 * 3600.0

_CHUNK = 500
#: Files removed in one transaction (uploads of new holds wait for it).
_REMOVE_CHUNK = 100


@dataclass(frozen=True)
class GcReport:
    """What a collection removed (or, ``dry_run``, would remove)."""

    files: int
    file_bytes: int
    parts: int
    part_bytes: int
    dry_run: bool

    @property
    def total_bytes(self) -> int:
        return self.file_bytes + self.part_bytes


def collect_garbage(
    store: SQLStore,
    *,
    older_than: float = DEFAULT_OLDER_THAN,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> GcReport:
    """Remove the blob files and checkpoint parts no project holds (files only when last
    written more than ``older_than`` seconds ago); ``dry_run``: only count them.
    ``progress(files listed)`` is called every few hundred files."""
    if older_than < 0:
        raise ValueError(f"older_than must be 0 or more, not {older_than}")
    files, file_bytes = _collect_files(store, time.time() - older_than, dry_run, progress)
    parts, part_bytes = _collect_parts(store, dry_run)
    return GcReport(files, file_bytes, parts, part_bytes, dry_run)


def _collect_files(
    store: SQLStore, before: float, dry_run: bool, progress: Callable[[int], None] | None
) -> tuple[int, int]:
    count = size = 0
    for chunk in _old_blobs(store, before, progress):
        if dry_run:
            with store._read() as con:
                unheld = _unheld(con, chunk)
        else:
            unheld = []
            for i in range(0, len(chunk), _REMOVE_CHUNK):
                with _holds_locked(store) as con:
                    # asked again, holds locked: no upload records a hold until committed
                    gone = _unheld(con, chunk[i : i + _REMOVE_CHUNK])
                    for blob in gone:
                        store.blobs.delete(blob.digest)
                unheld += gone
        count += len(unheld)
        size += sum(blob.size for blob in unheld)
    return count, size


@contextmanager
def _holds_locked(store: SQLStore) -> Iterator[Connection]:
    """A write transaction in which no other one adds, changes or drops a hold."""
    with store._write() as con:  # (SQLite: BEGIN IMMEDIATE, the one writer)
        if con.dialect.name == "postgresql":
            con.execute(text("LOCK TABLE blob_projects IN SHARE MODE"))
        yield con


def _old_blobs(
    store: SQLStore, before: float, progress: Callable[[int], None] | None
) -> Iterator[list[StoredBlob]]:
    """The blobs last written before ``before``, in chunks."""
    chunk: list[StoredBlob] = []
    for listed, blob in enumerate(store.blobs.iter_blobs(), 1):
        if progress is not None and listed % _CHUNK == 0:
            progress(listed)
        if blob.modified < before:
            chunk.append(blob)
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _unheld(con: Connection, blobs: list[StoredBlob]) -> list[StoredBlob]:
    """Those of ``blobs`` no project holds."""
    b = t.blob_projects.c
    wanted = [blob.digest for blob in blobs]
    held = set(con.execute(select(b.digest).where(b.digest.in_(wanted))).scalars())
    return [blob for blob in blobs if blob.digest not in held]


def _collect_parts(store: SQLStore, dry_run: bool) -> tuple[int, int]:
    p = t.parts.c
    unheld = ~exists().where(t.blob_projects.c.digest == p.digest)
    with store._read() if dry_run else _holds_locked(store) as con:
        count, size = _count(con, unheld)
        if not dry_run and count:
            count = con.execute(delete(t.parts).where(unheld)).rowcount
    return count, size


def _count(con: Connection, where: ColumnElement[bool]) -> tuple[int, int]:
    p = t.parts.c
    row = con.execute(select(func.count(), func.coalesce(func.sum(p.size), 0)).where(where)).one()
    return int(row[0]), int(row[1])
