"""The tracking server's store: the Store interface over SQLAlchemy (SQLite or PostgreSQL).

The rules are the local store's, written once in nepnb.store.sqlcore (and
nepnb.store.applier for batches): this module gives their statements in SQLAlchemy
(``_AlchemyTx``, ``_SQLApplier``) and adds what only a server has: storage limits and
which projects hold which files (``_charge``, ``_hold``, ``_delete_objects``).
Nothing lives in the process that another process needs: counters, applied batch ids and
locks are in the database (a row lock on the object on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite), so several server processes can share one database and one blob folder.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from nepnb.exceptions import StorageLimitExceeded
from nepnb.server import tables as t
from nepnb.server.database import WRITE
from nepnb.store.applier import Applier, batch_bytes
from nepnb.store.base import TRASHED_FIELD, ApplyResult, TrashUsage
from nepnb.store.blobs import Blobs, file_digest, open_blobs
from nepnb.store.chunks import Chunk
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch
from nepnb.store.references import files_named, parts_reached
from nepnb.store.sqlcore import (
    CHECKPOINT_COLUMNS,
    OBJECT_FILTERS,
    ObjectRow,
    SQLCore,
    Tx,
    batched,
    decode_part,
)

_RETRIES = 5


class SQLStore(SQLCore):
    """Tracking data in the database of ``engine``, blobs in ``blobs`` (a folder or s3://)."""

    kind = "sql"
    where = "on this server"
    _parts_home = "the server's database"

    def __init__(self, engine: Engine, blobs: Path | str | Blobs) -> None:
        self.engine = engine
        self.blobs = open_blobs(blobs)
        # SQLite has one writer at a time. Threads of this process take turns here rather
        # than in SQLite's busy handler, which sleeps and lets some wait for seconds; other
        # processes still wait for the database lock (busy_timeout).
        self._one_writer: threading.Lock | None = (
            threading.Lock() if engine.dialect.name == "sqlite" else None
        )

    @property
    def location(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """A round trip to the database (OperationalError when it is away)."""
        with self._read() as con:
            con.execute(select(1))

    # transactions ----------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with (
            self._one_writer or nullcontext(),
            self.engine.connect().execution_options(**WRITE) as con,
            con.begin(),
        ):
            yield con

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as con, con.begin():
            yield con

    @contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[Tx]:
        with self._write() if write else self._read() as con:
            yield _AlchemyTx(con)

    def _retrying(self, work: Any) -> Any:
        """``work()``, again when a concurrent transaction inserted the same unique row."""
        for attempt in range(_RETRIES):
            try:
                return work()
            except IntegrityError:
                if attempt == _RETRIES - 1:
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    # projects ------------------------------------------------------------------------
    def project_id(self, con: Connection, name: str, *, lock: bool = False) -> tuple[int, str]:
        """(id, key) of the project ``name``; ProjectNotFound if there is none."""
        return self._project(_AlchemyTx(con), name, lock=lock)

    def _delete_objects(self, tx: Tx, project_id: int, uids: list[str]) -> None:
        """Delete the objects, and release the files only they named (see _release_files)."""
        con = _con(tx)
        named: dict[str, float] = {}  # digest -> last write of a deleted object naming it
        for chunk in batched(uids, 400):
            written = _last_writes(con, chunk)
            for uid, digests in _files_of(con, chunk).items():
                for digest in digests:
                    named[digest] = max(named.get(digest, 0.0), written[uid])
        tx.delete_objects(uids)
        if named:
            _release_files(con, project_id, named)

    def trash_usage(self, project: str) -> TrashUsage:
        """See ``Store.trash_usage``: what deleting gives back is what the storage limit
        counts, the objects' batches and the files nothing else in the project names."""
        o, b = t.objects.c, t.blob_projects.c
        trashed = [info.uid for info in self.list_trash(project)]
        with self._read() as con:
            project_id, _ = self.project_id(con, project)
            each: dict[str, int] = {}
            namers: dict[str, set[str]] = {}  # digest -> the trashed objects naming it
            for chunk in batched(trashed, 400):
                rows = con.execute(select(o.uid, o.used_bytes).where(o.uid.in_(chunk)))
                each.update((uid, int(used)) for uid, used in rows)
                for uid, digests in _files_of(con, chunk).items():
                    for digest in digests:
                        namers.setdefault(digest, set()).add(uid)
            sizes: dict[str, int] = {}
            for chunk in batched(sorted(namers), 500):
                rows = con.execute(
                    select(b.digest, b.size).where(b.project_id == project_id, b.digest.in_(chunk))
                )
                sizes.update((digest, int(size)) for digest, size in rows)
            kept = _named_elsewhere(con, project_id, set(sizes), outside=each)
        total = sum(each.values())
        for digest, size in sizes.items():
            if digest in kept:
                continue
            total += size
            if len(namers[digest]) == 1:
                uid = next(iter(namers[digest]))
                each[uid] = each.get(uid, 0) + size
        return TrashUsage(each, total)

    # fields --------------------------------------------------------------------------
    def apply(self, uid: str, batch: Batch) -> ApplyResult:
        try:
            return super().apply(uid, batch)
        except IntegrityError:
            # The same batch, applied at the same moment through another connection.
            return ApplyResult(duplicate=True)

    def _charge(self, tx: Tx, uid: str, project: tuple[int, str, int | None], batch: Batch) -> None:
        """Add the batch's bytes to its object's use (its row is locked already); if the
        project has a storage limit, StorageLimitExceeded (nothing stored) when its use
        would pass it. Concurrent writes to other objects may pass the limit by their own
        size: it is checked, not reserved."""
        con = _con(tx)
        project_id, name, limit = project
        size = batch_bytes(batch)
        _check_limit(con, project_id, size, f"this batch ({size:,} bytes)", known=(name, limit))
        o = t.objects.c
        con.execute(update(t.objects).where(o.uid == uid).values(used_bytes=o.used_bytes + size))

    # blobs ---------------------------------------------------------------------------
    # The bytes are stored once, by digest (in the blob store, or the parts table); the
    # rows of blob_projects say which projects uploaded them: those may read them, and are
    # charged for them. ``project`` None (no project: not through the server) records none.
    def put_blob(self, data: bytes, *, project: str | None = None) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self._hold(project, {digest: len(data)}, lambda: self.blobs.store_bytes(digest, data))
        return digest

    def put_blob_file(self, source: Path, *, project: str | None = None) -> tuple[str, int]:
        digest, size = file_digest(source)
        self._hold(project, {digest: size}, lambda: self.blobs.store_file(digest, source))
        return digest, size

    def read_blob(self, digest: str) -> bytes:
        return self.blobs.read(digest)

    def copy_blob_to(self, digest: str, destination: Path) -> None:
        self.blobs.copy_to(digest, destination)

    def holders(self, digest: str) -> list[str]:
        """The projects that hold the blob or part ``digest``, by name."""
        b, p = t.blob_projects.c, t.projects.c
        with self._read() as con:
            rows = con.execute(
                select(p.name).join(t.blob_projects, b.project_id == p.id).where(b.digest == digest)
            )
            return sorted(rows.scalars())

    def held(self, project: str, digests: Iterable[str]) -> set[str]:
        """Which of ``digests`` the project ``project`` holds."""
        wanted = sorted(set(digests))
        b, p = t.blob_projects.c, t.projects.c
        found: set[str] = set()
        with self._read() as con:
            for chunk in batched(wanted, 500):
                rows = con.execute(
                    select(b.digest)
                    .join(t.projects, p.id == b.project_id)
                    .where(p.name == project, b.digest.in_(chunk))
                )
                found.update(rows.scalars())
        return found

    def _hold(
        self, project: str | None, sizes: Mapping[str, int], store: Callable[[], Any]
    ) -> set[str]:
        """Record that ``project`` holds the digests of ``sizes`` (digest -> bytes), then
        call ``store()`` to store their bytes (written only when absent); returns the
        digests it did not hold before. StorageLimitExceeded (nothing stored) if they would
        take the project past its storage limit. ``project`` None: only stores the bytes
        (returns nothing).

        The hold comes first: bytes no project holds may be removed by ``nepnb admin
        gc-blobs`` (nepnb.server.gc), which locks the holds while it checks and removes, so
        bytes found stored after the hold is recorded stay. A failed store drops the new
        holds again."""
        if project is None:
            store()
            return set()
        self.get_project(project, create=True)  # (as for objects: the server checked access)
        project_id, new = self._retrying(partial(self._record_holder, project, sizes))
        try:
            store()
        except BaseException:
            self._drop_holds(project_id, new)
            raise
        return new

    def _drop_holds(self, project_id: int, digests: Iterable[str]) -> None:
        b = t.blob_projects.c
        with self._write() as con:
            for chunk in batched(sorted(digests), 500):
                con.execute(
                    delete(t.blob_projects).where(b.project_id == project_id, b.digest.in_(chunk))
                )

    def _record_holder(self, project: str, sizes: Mapping[str, int]) -> tuple[int, set[str]]:
        """In one transaction: the storage limit checked for the digests of ``sizes`` the
        project does not hold yet, their holds recorded, and those it holds already marked
        uploaded now (a deletion from the trash keeps them: see _release_files). Returns the
        project's id and the new digests."""
        b, p = t.blob_projects.c, t.projects.c
        now = time.time()
        with self._write() as con:
            project_id, name, limit = con.execute(
                select(p.id, p.name, p.storage_limit).where(p.name == project)
            ).one()
            known: set[str] = set()
            for chunk in batched(sorted(sizes), 500):
                mine = and_(b.project_id == project_id, b.digest.in_(chunk))
                known.update(con.execute(select(b.digest).where(mine)).scalars())
            new = set(sizes) - known
            if new:
                size = sum(sizes[d] for d in new)
                what = f"this file ({size:,} bytes)" if len(new) == 1 else f"{size:,} bytes"
                _check_limit(con, project_id, size, what, known=(name, limit))
                rows = [
                    {"digest": d, "project_id": project_id, "size": sizes[d], "created": now}
                    for d in sorted(new)
                ]
                con.execute(insert(t.blob_projects), rows)
            for chunk in batched(sorted(known), 500):
                con.execute(
                    update(t.blob_projects)
                    .where(b.project_id == project_id, b.digest.in_(chunk))
                    .values(created=now)
                )
        return project_id, new

    # notebook checkpoints -------------------------------------------------------------
    def put_parts(self, parts: Mapping[str, bytes], *, project: str | None = None) -> int:
        sizes = {digest: len(data) for digest, data in parts.items()}
        stored: set[str] = set()
        # all of them: one held but not stored is stored now (missing_parts lists it)
        new = self._hold(project, sizes, lambda: stored.update(self._store_parts(parts, sizes)))
        return len(new if project is not None else stored)

    def _unheld(self, project: str | None, digests: set[str]) -> set[str]:
        """A project reads the parts it uploaded only."""
        return set() if project is None else digests - self.held(project, digests)


class _SQLApplier(Applier):
    """The batch applier over a SQLAlchemy connection, inside its transaction.

    Field values and new chunks are buffered and written by :meth:`flush` in one statement
    each (many rows), instead of a round trip per field: a batch of ten series costs a
    handful of statements, which is what keeps batch latency low on PostgreSQL. Anything
    that reads or deletes what may be buffered flushes first.
    """

    def __init__(self, con: Connection, uid: str) -> None:
        super().__init__(uid)
        self.con = con
        self._savepoints: list[Any] = []
        self._fields: dict[str, tuple[str, str]] = {}  # path -> (type, raw value)
        self._new_chunks: list[dict[str, Any]] = []

    def flush(self) -> None:
        """Write what is buffered."""
        if self._new_chunks:
            self.con.execute(insert(t.series_chunks), self._new_chunks)
            self._new_chunks = []
        if self._fields:
            rows = [
                {"object_uid": self.uid, "path": path, "type": ftype, "value": raw}
                for path, (ftype, raw) in self._fields.items()
            ]
            self.con.execute(_fields_upsert(self.con.dialect.name), rows)
            self._fields = {}

    def _db_fields(self, paths: list[str]) -> Iterable[tuple[str, str, str | None]]:
        # Buffered fields are in ``known`` already: never asked for here.
        f = t.fields.c
        for chunk in batched(paths, 400):
            yield from self.con.execute(
                select(f.path, f.type, f.value).where(f.object_uid == self.uid, f.path.in_(chunk))
            ).all()

    def _db_set(self, path: str, ftype: FieldType, raw: str) -> None:
        self._fields[path] = (ftype.value, raw)

    def _db_first_child(self, path: str) -> str | None:
        below = path + "/"
        buffered = next((p for p in self._fields if p.startswith(below)), None)
        if buffered is not None:
            return buffered
        f = t.fields.c
        return self.con.execute(
            select(f.path)
            .where(f.object_uid == self.uid, f.path >= below, f.path < path + "0")
            .limit(1)
        ).scalar()

    def _db_put_chunk(
        self, path: str, seq: int, count: int, steps: bytes, vals: bytes, times: bytes
    ) -> None:
        # Never a chunk that exists: new chunks get new seqs, and a tail being merged is
        # deleted first (``_compact_tail``).
        self._new_chunks.append(
            {"object_uid": self.uid, "path": path, "seq": seq, "count": count,
             "steps": steps, "vals": vals, "times": times}
        )  # fmt: skip

    def _db_chunks_from(self, path: str, seq: int) -> list[tuple[bytes, bytes, bytes]]:
        self.flush()
        c = t.series_chunks.c
        rows = self.con.execute(
            select(c.steps, c.vals, c.times)
            .where(c.object_uid == self.uid, c.path == path, c.seq >= seq)
            .order_by(c.seq)
        )
        return [(bytes(a), bytes(b), bytes(d)) for a, b, d in rows]

    def _db_delete_chunks(self, path: str, seq: int) -> None:
        self.flush()
        c = t.series_chunks.c
        self.con.execute(
            delete(t.series_chunks).where(c.object_uid == self.uid, c.path == path, c.seq >= seq)
        )

    def _db_delete_under(self, path: str) -> None:
        self.flush()
        for table in (t.fields, t.series_chunks):
            col = table.c
            self.con.execute(
                delete(table).where(
                    col.object_uid == self.uid,
                    (col.path == path) | ((col.path >= path + "/") & (col.path < path + "0")),
                )
            )

    def _db_savepoint(self) -> None:
        self.flush()
        self._savepoints.append(self.con.begin_nested())

    def _db_rollback(self) -> None:
        self._fields, self._new_chunks = {}, []  # written since the savepoint: dropped
        self._savepoints.pop().rollback()

    def _db_release(self) -> None:
        self.flush()
        self._savepoints.pop().commit()


def _con(tx: Tx) -> Connection:
    """The connection of a transaction of this store (for the server's own statements)."""
    assert isinstance(tx, _AlchemyTx)
    return tx.con


class _AlchemyTx(Tx):
    """The statements of the shared rules (nepnb.store.sqlcore) in SQLAlchemy Core."""

    def __init__(self, con: Connection) -> None:
        self.con = con

    # projects
    def project(self, name: str, *, lock: bool = False) -> tuple[int, str] | None:
        query = select(t.projects.c.id, t.projects.c.key).where(t.projects.c.name == name)
        row = self.con.execute(query.with_for_update() if lock else query).first()
        return None if row is None else (row[0], row[1])

    def projects(self) -> list[tuple[str, str]]:
        p = t.projects.c
        return [(n, k) for n, k in self.con.execute(select(p.name, p.key).order_by(p.name))]

    def insert_project(self, name: str, key: str, created: float) -> None:
        self.con.execute(insert(t.projects).values(name=name, key=key, created=created))

    def delete_project(self, project_id: int) -> None:
        """See ``Tx.delete_project``; its members' roles and file holds go too."""
        objects = select(t.objects.c.uid).where(t.objects.c.project_id == project_id)
        for table in (t.series_chunks, t.fields, t.applied_batches):
            self.con.execute(delete(table).where(table.c.object_uid.in_(objects)))
        for table in (
            t.objects, t.counters, t.checkpoints, t.notebooks, t.project_members,
            t.blob_projects,
        ):  # fmt: skip
            self.con.execute(delete(table).where(table.c.project_id == project_id))
        self.con.execute(delete(t.projects).where(t.projects.c.id == project_id))

    def next_number(self, project_id: int, scope: str) -> int:
        c = t.counters.c
        number = self.con.execute(
            select(c.next).where(c.project_id == project_id, c.scope == scope)
        ).scalar()
        if number is None:
            self.con.execute(insert(t.counters).values(project_id=project_id, scope=scope, next=2))
            return 1
        self.con.execute(
            update(t.counters)
            .where(c.project_id == project_id, c.scope == scope)
            .values(next=number + 1)
        )
        return int(number)

    # objects
    def object_by_uid(self, uid: str) -> tuple[str, str, str, str | None] | None:
        o = t.objects.c
        row = self.con.execute(
            select(t.projects.c.name, o.kind, o.sys_id, o.custom_run_id)
            .join(t.projects, t.projects.c.id == o.project_id)
            .where(o.uid == uid)
        ).first()
        return None if row is None else (row[0], row[1], row[2], row[3])

    def objects(
        self, project: str, where: Mapping[str, str] | None = None, *, trashed: bool = False
    ) -> list[ObjectRow]:
        o, f = t.objects.c, t.fields.c
        query = select(o.uid, o.kind, o.sys_id, o.custom_run_id).join(
            t.projects, t.projects.c.id == o.project_id
        )
        if trashed:
            query = query.join(
                t.fields,
                and_(f.object_uid == o.uid, f.path == TRASHED_FIELD, f.value == "true"),
            )
        query = query.where(t.projects.c.name == project)
        for column, value in (where or {}).items():
            assert column in OBJECT_FILTERS
            query = query.where(o[column] == value)
        rows = self.con.execute(query.order_by(o.created, o.sys_id))
        return [(uid, k, sid, c) for uid, k, sid, c in rows]

    def insert_object(self, project_id: int, values: Mapping[str, Any]) -> None:
        self.con.execute(insert(t.objects).values(project_id=project_id, **values))

    def existing(self, uids: list[str], *, lock: bool = False) -> list[str]:
        found: list[str] = []
        for chunk in batched(uids, 400):
            query = select(t.objects.c.uid).where(t.objects.c.uid.in_(chunk))
            found.extend(self.con.execute(query.with_for_update() if lock else query).scalars())
        return found

    def lock_project_objects(self, project_id: int) -> None:
        o = t.objects.c
        self.con.execute(select(o.uid).where(o.project_id == project_id).with_for_update()).all()

    def delete_objects(self, uids: list[str]) -> None:
        for chunk in batched(uids, 400):
            for table in (t.series_chunks, t.fields, t.applied_batches):
                self.con.execute(delete(table).where(table.c.object_uid.in_(chunk)))
            self.con.execute(delete(t.objects).where(t.objects.c.uid.in_(chunk)))

    # batches and fields
    def record_batch(self, batch_id: str, uid: str, applied: float) -> bool:
        recorded = self.con.execute(
            _batch_insert(self.con.dialect.name).values(
                batch_id=batch_id, object_uid=uid, applied=applied
            )
        ).first()
        return recorded is not None

    def lock_object(self, uid: str) -> tuple[int, str, int | None] | None:
        o, p = t.objects.c, t.projects.c
        found = self.con.execute(
            select(p.id, p.name, p.storage_limit)
            .join(t.projects, p.id == o.project_id)
            .where(o.uid == uid)
            .with_for_update(of=t.objects)
        ).first()
        return None if found is None else (found[0], found[1], found[2])

    def applier(self, uid: str) -> Applier:
        return _SQLApplier(self.con, uid)

    def fields(
        self, uids: list[str], paths: list[str] | None = None, prefix: str | None = None
    ) -> Iterable[tuple[str, str, str, str | None]]:
        f = t.fields.c
        query = select(f.object_uid, f.path, f.type, f.value).where(f.object_uid.in_(uids))
        if prefix is not None:
            query = query.where(f.path >= prefix + "/", f.path < prefix + "0")
        if paths is not None:
            query = query.where(f.path.in_(paths))
        return [(uid, path, ftype, raw) for uid, path, ftype, raw in self.con.execute(query)]

    def chunk_bytes(self, uids: list[str], types: Sequence[str]) -> Iterable[tuple[str, int]]:
        f, c = t.fields.c, t.series_chunks.c
        query = (
            select(
                c.object_uid,
                func.sum(func.length(c.steps) + func.length(c.vals) + func.length(c.times)),
            )
            .join(t.fields, and_(f.object_uid == c.object_uid, f.path == c.path))
            .where(c.object_uid.in_(uids), f.type.in_(list(types)))
            .group_by(c.object_uid)
        )
        return [(uid, int(size or 0)) for uid, size in self.con.execute(query)]

    def field(self, uid: str, path: str) -> tuple[str, str | None] | None:
        f = t.fields.c
        row = self.con.execute(
            select(f.type, f.value).where(f.object_uid == uid, f.path == path)
        ).first()
        return None if row is None else (row[0], row[1])

    # series chunks
    def chunks(self, uid: str, path: str) -> list[tuple[bytes, bytes, bytes]]:
        c = t.series_chunks.c
        rows = self.con.execute(
            select(c.steps, c.vals, c.times)
            .where(c.object_uid == uid, c.path == path)
            .order_by(c.seq)
        )
        return [(bytes(a), bytes(b), bytes(d)) for a, b, d in rows]

    def chunk_at(
        self, uid: str, path: str, seq: int | None, *, last: bool = False, column: str = "steps"
    ) -> Chunk | None:
        c = t.series_chunks.c
        x = c.steps if column == "steps" else c.times
        bound = seq if seq is not None else (2**31 - 1 if last else -(2**31))
        query = select(c.seq, func.substr(x, 1, 8), func.substr(x, func.length(x) - 7, 8)).where(
            c.object_uid == uid, c.path == path
        )
        query = (
            query.where(c.seq <= bound).order_by(c.seq.desc())
            if last
            else query.where(c.seq >= bound).order_by(c.seq)
        )
        found = self.con.execute(query.limit(1)).first()
        if found is None:
            return None
        first = float(np.frombuffer(bytes(found[1]), dtype=np.float64)[0])
        final = float(np.frombuffer(bytes(found[2]), dtype=np.float64)[0])
        return found[0], first, final

    def read_chunks(
        self, uid: str, path: str, column: str, seqs: tuple[int, int]
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        c = t.series_chunks.c
        x = c.steps if column == "steps" else c.times
        rows = self.con.execute(
            select(x, c.vals)
            .where(c.object_uid == uid, c.path == path, c.seq >= seqs[0], c.seq <= seqs[1])
            .order_by(c.seq)
        )
        for xs, ys in rows:
            yield np.frombuffer(xs, dtype=np.float64), np.frombuffer(ys, dtype=np.float64)

    # parts, notebooks, checkpoints
    def stored_parts(self, digests: list[str]) -> Iterable[str]:
        p = t.parts.c
        return list(self.con.execute(select(p.digest).where(p.digest.in_(digests))).scalars())

    def part_rows(self, digests: list[str]) -> Iterable[tuple[str, int, bytes]]:
        p = t.parts.c
        rows = self.con.execute(select(p.digest, p.encoding, p.data).where(p.digest.in_(digests)))
        return [(digest, encoding, data) for digest, encoding, data in rows]

    def insert_parts(self, rows: list[tuple[str, int, int, bytes]]) -> None:
        values = [
            {"digest": digest, "size": size, "encoding": encoding, "data": data}
            for digest, size, encoding, data in rows
        ]
        self.con.execute(_parts_insert(self.con.dialect.name), values)

    def latest_checkpoint(self, project_id: int, notebook_id: str) -> tuple[str, int] | None:
        c = t.checkpoints.c
        row = self.con.execute(
            select(c.id, c.seq)
            .where(c.project_id == project_id, c.notebook_id == notebook_id)
            .order_by(c.seq.desc())
            .limit(1)
        ).first()
        return None if row is None else (row[0], row[1])

    def insert_checkpoint(self, project_id: int, values: Mapping[str, Any]) -> None:
        self.con.execute(insert(t.checkpoints).values(project_id=project_id, **values))

    def touch_notebook(self, project_id: int, notebook_id: str, path: str, now: float) -> None:
        n = t.notebooks.c
        updated = self.con.execute(
            update(t.notebooks)
            .where(n.project_id == project_id, n.notebook_id == notebook_id)
            .values(path=path, updated=now)
        )
        if not updated.rowcount:
            self.con.execute(
                insert(t.notebooks).values(
                    project_id=project_id, notebook_id=notebook_id, path=path, created=now,
                    updated=now,
                )
            )  # fmt: skip

    def checkpoints(self, project: str, notebook_id: str | None, prefix: str = "") -> list[Any]:
        c = t.checkpoints.c
        query = (
            select(*(c[name] for name in CHECKPOINT_COLUMNS))
            .join(t.projects, t.projects.c.id == c.project_id)
            .where(t.projects.c.name == project)
            .order_by(c.seq.desc())
        )
        if notebook_id is not None:
            query = query.where(c.notebook_id == notebook_id)
        if prefix:
            query = query.where(c.id >= prefix, c.id < prefix + "g").limit(2)
        return [tuple(row) for row in self.con.execute(query)]

    def notebooks(
        self, project: str, notebook_id: str | None = None
    ) -> list[tuple[str, str, float, float, int]]:
        n, c = t.notebooks.c, t.checkpoints.c
        count = (
            select(func.count())
            .where(c.project_id == n.project_id, c.notebook_id == n.notebook_id)
            .scalar_subquery()
        )
        query = (
            select(n.notebook_id, n.path, n.created, n.updated, count)
            .join(t.projects, t.projects.c.id == n.project_id)
            .where(t.projects.c.name == project)
            .order_by(n.updated.desc())
        )
        if notebook_id is not None:
            query = query.where(n.notebook_id == notebook_id)
        return [(a, b, c_, d, e) for a, b, c_, d, e in self.con.execute(query)]


@cache
def _batch_insert(dialect: str) -> Any:
    """INSERT into applied_batches that returns no row for a known batch id."""
    table = t.applied_batches
    return (
        _dialect_insert(dialect)(table)
        .on_conflict_do_nothing(index_elements=[table.c.batch_id])
        .returning(table.c.batch_id)
    )


def _dialect_insert(dialect: str) -> Any:
    """The INSERT of ``dialect``, which has ON CONFLICT (PostgreSQL and SQLite both)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@cache
def _parts_insert(dialect: str) -> Any:
    """INSERT into parts that leaves a part stored already (by another request, meanwhile)."""
    return _dialect_insert(dialect)(t.parts).on_conflict_do_nothing(
        index_elements=[t.parts.c.digest]
    )


@cache
def _fields_upsert(dialect: str) -> Any:
    """INSERT into fields that replaces the type and value of a field that exists."""
    statement = _dialect_insert(dialect)(t.fields)
    return statement.on_conflict_do_update(
        index_elements=[t.fields.c.object_uid, t.fields.c.path],
        set_={"type": statement.excluded.type, "value": statement.excluded.value},
    )


def _check_limit(
    con: Connection,
    project_id: int,
    size: int,
    what: str,
    *,
    known: tuple[str, int | None] | None = None,
) -> None:
    """StorageLimitExceeded if adding ``size`` bytes (``what``) would take the project past
    its storage limit (``known``: its name and limit, when the caller read them already).
    A project's use: the batches of its objects, trashed ones included, and the files and
    parts it uploaded (each digest once)."""
    p, o, b = t.projects.c, t.objects.c, t.blob_projects.c
    if known is None:
        name, limit = con.execute(select(p.name, p.storage_limit).where(p.id == project_id)).one()
    else:
        name, limit = known
    if limit is None:
        return
    objects = select(func.coalesce(func.sum(o.used_bytes), 0)).where(o.project_id == project_id)
    files = select(func.coalesce(func.sum(b.size), 0)).where(b.project_id == project_id)
    used = int(con.execute(objects).scalar_one()) + int(con.execute(files).scalar_one())
    if used + size > limit:
        raise StorageLimitExceeded(
            f"the project {name!r} is at its storage limit ({used:,} of {limit:,} bytes "
            f"used); {what} was not stored. Nothing is lost: the client keeps it queued and "
            "ships it once there is room: objects deleted from the project's trash "
            f"(`nepnb trash list -p {name}`; trashed ones still count), or a higher limit "
            f"from the server's admin (`nepnb admin project set {name} --storage-limit BYTES`)."
        )


def _last_writes(con: Connection, uids: list[str]) -> dict[str, float]:
    """uid -> when the object was last written (its creation, or its last batch)."""
    o, a = t.objects.c, t.applied_batches.c
    rows = con.execute(select(o.uid, o.created).where(o.uid.in_(uids)))
    written = {uid: float(created) for uid, created in rows}
    batches = select(a.object_uid, func.max(a.applied)).where(a.object_uid.in_(uids))
    for uid, applied in con.execute(batches.group_by(a.object_uid)):
        written[uid] = max(written.get(uid, 0.0), float(applied or 0.0))
    return written


def _files_of(con: Connection, uids: list[str]) -> dict[str, set[str]]:
    """uid -> the digests of the files its File, FileSet and FileSeries fields name."""
    f, c = t.fields.c, t.series_chunks.c
    values = select(f.object_uid, f.type, f.value).where(
        f.object_uid.in_(uids), f.type.in_(["file", "fileSet"])
    )
    series = (
        select(c.object_uid, f.type, c.vals)
        .join(t.fields, and_(f.object_uid == c.object_uid, f.path == c.path))
        .where(c.object_uid.in_(uids), f.type == "fileSeries")
    )
    found: dict[str, set[str]] = {}
    for uid, kind, raw in [*con.execute(values), *con.execute(series)]:
        try:
            value = json.loads(bytes(raw) if isinstance(raw, memoryview) else raw or "null")
        except ValueError:
            continue
        found.setdefault(uid, set()).update(files_named(kind, value))
    return found


#: A file uploaded again by the project this recently, after the last write of the deleted
#: objects that named it, is kept: the batch that names it again is on its way (a client
#: uploads a file, then ships the batch naming it).
REUPLOAD_GRACE_SECONDS = 600.0


def _release_files(con: Connection, project_id: int, named: Mapping[str, float]) -> None:
    """Drop the project's hold on the digests the deleted objects named (digest -> their
    last write) that nothing left in the project names: no object's field (trashed ones
    still count), no checkpoint. A digest the deleted objects did not name is never
    dropped (a file uploaded for a batch not applied yet), nor one uploaded again since
    they were last written (see REUPLOAD_GRACE_SECONDS)."""
    b = t.blob_projects.c
    recent = time.time() - REUPLOAD_GRACE_SECONDS
    candidates: set[str] = set()
    for chunk in batched(sorted(named), 500):
        rows = con.execute(
            select(b.digest, b.created).where(b.project_id == project_id, b.digest.in_(chunk))
        )
        candidates.update(d for d, created in rows if created <= max(named[d], recent))
    candidates -= _named_elsewhere(con, project_id, candidates)
    for chunk in batched(sorted(candidates), 500):
        con.execute(delete(t.blob_projects).where(b.project_id == project_id, b.digest.in_(chunk)))


def _named_elsewhere(
    con: Connection, project_id: int, digests: set[str], outside: Iterable[str] = ()
) -> set[str]:
    """Those of ``digests`` that the project's objects (but those of ``outside``, uids)
    name in their fields, or that its checkpoints reach."""
    if not digests:
        return set()
    o = t.objects.c
    skipped = set(outside)
    objects = con.execute(select(o.uid).where(o.project_id == project_id)).scalars()
    others = [uid for uid in objects if uid not in skipped]
    found: set[str] = set()
    for chunk in batched(others, 400):
        for named in _files_of(con, chunk).values():
            found |= named & digests
    parts = t.parts.c
    for chunk in batched(sorted(digests - found), 500):  # only a stored part is a checkpoint's
        if con.execute(select(parts.digest).where(parts.digest.in_(chunk)).limit(1)).first():
            return found | (digests & set(_checkpoint_parts(con, project_id)))
    return found


def _checkpoint_parts(con: Connection, project_id: int) -> dict[str, int]:
    """digest -> size of every part the project's checkpoints reach."""
    c, p = t.checkpoints.c, t.parts.c
    manifests = con.execute(select(c.manifest).where(c.project_id == project_id)).scalars()

    def read(digests: list[str]) -> Iterator[tuple[str, int, Any]]:
        rows = con.execute(
            select(p.digest, p.size, p.encoding, p.data).where(p.digest.in_(digests))
        )
        for digest, size, encoding, data in rows:
            raw = decode_part(encoding, data)
            try:
                yield digest, size, json.loads(raw)
            except ValueError:  # a source, an image
                yield digest, size, None

    return parts_reached(set(manifests), read)
