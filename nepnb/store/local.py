"""The embedded local store: SQLite in WAL mode plus content-addressed blobs, in one folder.

Safe for several processes at once (kernels, the Jupyter server, the CLI): every write is
one ``BEGIN IMMEDIATE`` transaction, waits for the lock instead of failing, and is retried
if SQLite still reports the database as busy. Series are stored in chunks of up to
``CHUNK_POINTS`` points (steps, values and timestamps as packed float64 arrays), so that a
million points are written and read as a few dozen rows. Objects open for writing hold a
lock file in ``alive/`` (nepnb.store.liveness), so that runs whose process died are told
apart from live ones and marked (``mark_abandoned``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from nepnb.exceptions import (
    CheckpointNotFound,
    Conflict,
    MissingField,
    ObjectNotFound,
    ProjectNotFound,
    StoreError,
    StoreSchemaTooNew,
    store_full_error,
)
from nepnb.store import liveness
from nepnb.store.applier import CHUNK_POINTS as CHUNK_POINTS  # re-exported
from nepnb.store.applier import (
    SIZE_FIELD,
    Applier,
    chosen_key,
    decode_value,
    new_uid,
    only_pings,
)
from nepnb.store.applier import TAIL_CHUNKS as TAIL_CHUNKS  # re-exported
from nepnb.store.base import (
    TRASHED_FIELD,
    ApplyResult,
    CheckpointInfo,
    FieldInfo,
    NotebookInfo,
    ObjectInfo,
    ObjectKind,
    ProjectInfo,
    SeriesData,
    Store,
    require_float_series,
    require_parts,
    validate_project_name,
)
from nepnb.store.blobs import BlobStore
from nepnb.store.chunks import chunked_buckets, first_chunk, float64, series_of_chunks
from nepnb.store.downsample import (
    SeriesBuckets,
    check_request,
)
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch, Operation, OpKind
from nepnb.store.schema import MIGRATIONS, SCHEMA_VERSION

#: Bytes of a large part compressed to see whether compressing it is worth it.
PART_SAMPLE = 8_192
_BUSY_RETRIES = 50
#: Set on a run whose process died while it was running (see ``LocalStore.mark_abandoned``).
CRASHED_FIELD = "sys/crashed"


class LocalStore(Store):
    """The store in folder ``home``: ``home/nepnb.db`` and ``home/blobs/``."""

    kind = "local"

    def __init__(self, home: Path | str) -> None:
        self.home = Path(home).expanduser().resolve()
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            self.blobs = BlobStore(self.home / "blobs")  # its folder is ours: name the store's
        except OSError as error:
            raise StoreError(
                f"cannot create the local store folder {self.home}: {error.strerror}. "
                "Set NEPNB_HOME to a folder you can write to."
            ) from None
        self.db_path = self.home / "nepnb.db"
        self._local = threading.local()
        self._pid = os.getpid()
        self._migrate()

    @property
    def location(self) -> str:
        return str(self.home)

    def __repr__(self) -> str:
        return f"LocalStore({str(self.home)!r})"

    # connections and transactions ------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._pid != os.getpid():
            # A forked child must not use its parent's SQLite connections: open its own.
            self._local = threading.local()
            self._pid = os.getpid()
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._open()
            self._local.con = con
        return con

    def _open(self) -> sqlite3.Connection:
        """A new connection in WAL mode. Switching a new database to WAL needs a moment alone
        with it, and SQLite does not wait for that by itself: several processes opening a new
        store at once retry here instead of failing with "database is locked"."""
        for attempt in range(_BUSY_RETRIES):
            con = None
            try:
                con = sqlite3.connect(
                    self.db_path, timeout=60, isolation_level=None, check_same_thread=False
                )
                con.execute("PRAGMA busy_timeout=60000")
                if con.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    con.execute("PRAGMA journal_mode=WAL")
                con.execute("PRAGMA synchronous=NORMAL")
                return con
            except sqlite3.OperationalError as error:
                if con is not None:
                    con.close()
                if "locked" not in str(error) and "busy" not in str(error):
                    raise StoreError(
                        f"cannot open the local store {self.db_path}: {error}"
                    ) from None
                time.sleep(min(0.02 * (attempt + 1), 0.5))
            except sqlite3.DatabaseError as error:
                if con is not None:
                    con.close()
                raise StoreError(f"cannot open the local store {self.db_path}: {error}") from None
        raise StoreError(
            f"the local store {self.db_path} stayed locked by another process; is one stuck?"
        )

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        con = self._connection()
        # A Ctrl-C that landed between an earlier BEGIN and its try block left that
        # transaction open (nothing in it was committed): end it, or this BEGIN would fail.
        _rollback(con)
        for attempt in range(_BUSY_RETRIES):
            try:
                con.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise StoreError(f"local store {self.db_path}: {error}") from None
                time.sleep(min(0.05 * (attempt + 1), 1.0))
        else:
            raise StoreError(
                f"the local store {self.db_path} stayed locked by another process for minutes; "
                "is a process stuck? Nothing was written."
            )
        try:
            yield con
        except BaseException as error:
            _rollback(con)
            full = store_full_error(error, str(self.home))
            if full is not None:
                raise full from None
            raise
        else:
            try:
                con.execute("COMMIT")
            except sqlite3.OperationalError as error:
                _rollback(con)
                raise store_full_error(error, str(self.home)) or StoreError(
                    f"could not write to {self.db_path}: {error}"
                ) from None

    def _migrate(self) -> None:
        con = self._connection()
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreSchemaTooNew(
                f"the local store {self.home} has schema version {version}, written by a newer "
                f"nepnb; this nepnb knows up to {SCHEMA_VERSION}. Upgrade nepnb "
                "(pip install -U nepnb) or point NEPNB_HOME at another folder."
            )
        if version == SCHEMA_VERSION:
            return
        with self._write() as con:
            # Another process may have migrated while this one waited for the lock.
            version = con.execute("PRAGMA user_version").fetchone()[0]
            for script in MIGRATIONS[version:]:
                for statement in script.split(";"):
                    if statement.strip():
                        con.execute(statement)
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one state of the store (a WAL read transaction)."""
        con = self._connection()
        if con.in_transaction:
            yield con
            return
        con.execute("BEGIN")
        try:
            yield con
        finally:
            con.execute("ROLLBACK")

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    # projects ------------------------------------------------------------------------
    def get_project(self, name: str, *, create: bool = False) -> ProjectInfo:
        validate_project_name(name)
        row = (
            self._connection()
            .execute("SELECT name, key FROM projects WHERE name = ?", (name,))
            .fetchone()
        )
        if row:
            return ProjectInfo(*row)
        if not create:
            known = ", ".join(p.name for p in self.list_projects()) or "none yet"
            raise ProjectNotFound(f"no project {name!r} in {self.home} (projects: {known})")
        return self._create_project(name, None, exists_ok=True)

    def create_project(self, name: str, *, key: str | None = None) -> ProjectInfo:
        validate_project_name(name)
        return self._create_project(name, key, exists_ok=False)

    def _create_project(self, name: str, key: str | None, *, exists_ok: bool) -> ProjectInfo:
        with self._write() as con:
            row = con.execute("SELECT name, key FROM projects WHERE name = ?", (name,)).fetchone()
            if row:
                if not exists_ok:
                    raise Conflict(f"the project {name!r} exists already")
                return ProjectInfo(*row)
            taken = {key for (key,) in con.execute("SELECT key FROM projects")}
            key = chosen_key(key, taken, name.split("/")[1])
            con.execute(
                "INSERT INTO projects (name, key, created) VALUES (?, ?, ?)",
                (name, key, time.time()),
            )
            return ProjectInfo(name, key)

    def delete_project(self, name: str) -> None:
        with self._write() as con:
            project_id, _ = self._project_row(con, name)
            objects = "(SELECT uid FROM objects WHERE project_id = ?)"
            for table in ("series_chunks", "fields", "applied_batches"):
                con.execute(f"DELETE FROM {table} WHERE object_uid IN {objects}", (project_id,))
            for table in ("objects", "counters", "checkpoints", "notebooks"):
                con.execute(f"DELETE FROM {table} WHERE project_id = ?", (project_id,))
            con.execute("DELETE FROM projects WHERE id = ?", (project_id,))

    def list_projects(self) -> list[ProjectInfo]:
        rows = self._connection().execute("SELECT name, key FROM projects ORDER BY name")
        return [ProjectInfo(*row) for row in rows]

    def _project_row(self, con: sqlite3.Connection, name: str) -> tuple[int, str]:
        row = con.execute("SELECT id, key FROM projects WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise ProjectNotFound(f"no project {name!r} in {self.home}")
        return row

    # objects -------------------------------------------------------------------------
    def create_object(
        self,
        project: str,
        kind: ObjectKind,
        *,
        custom_run_id: str | None = None,
        model_key: str | None = None,
        model_id: str | None = None,
        initial: Batch | None = None,
        uid: str | None = None,
    ) -> ObjectInfo:
        """See ``Store.create_object``; ``uid``: the new object's, chosen by the caller (who
        holds its liveness lock before the object exists: ``hold_alive``)."""
        self.get_project(project, create=True)
        with self._write() as con:
            project_id, key = self._project_row(con, project)
            if uid is not None:  # made already (a retried creation)?
                row = con.execute(
                    "SELECT o.kind, o.sys_id, o.custom_run_id, p.name FROM objects o JOIN "
                    "projects p ON p.id = o.project_id WHERE o.uid = ?",
                    (uid,),
                ).fetchone()
                if row is not None:
                    return ObjectInfo(uid, row[3], ObjectKind(row[0]), row[1], row[2])
            existing = self._existing_for_create(
                con, project_id, kind, custom_run_id, model_key, key
            )
            if existing is not None:
                uid, sys_id, custom = existing
                return ObjectInfo(uid, project, kind, sys_id, custom, created=False)
            sys_id = self._new_sys_id(con, project_id, key, kind, model_key, model_id)
            uid = uid or new_uid()
            now = time.time()
            con.execute(
                "INSERT INTO objects (uid, project_id, kind, sys_id, custom_run_id, model_id, "
                "created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (uid, project_id, kind.value, sys_id, custom_run_id, model_id, now),
            )
            base = {
                "sys/id": (FieldType.STRING, sys_id),
                "sys/creation_time": (FieldType.DATETIME, now),
                "sys/modification_time": (FieldType.DATETIME, now),
            }
            for path, (ftype, value) in base.items():
                _upsert(con, uid, path, ftype, value)
            if initial is not None:
                _SQLiteApplier(con, uid).apply(initial)
            return ObjectInfo(uid, project, kind, sys_id, custom_run_id, created=True)

    def _existing_for_create(
        self,
        con: sqlite3.Connection,
        project_id: int,
        kind: ObjectKind,
        custom_run_id: str | None,
        model_key: str | None,
        key: str,
    ) -> tuple[str, str, str | None] | None:
        args: tuple[str, ...]
        if kind is ObjectKind.PROJECT:
            where, args = "kind = ?", (kind.value,)
        elif kind is ObjectKind.RUN and custom_run_id:
            where, args = "kind = ? AND custom_run_id = ?", (kind.value, custom_run_id)
        elif kind is ObjectKind.MODEL:
            where, args = "kind = ? AND sys_id = ?", (kind.value, f"{key}-{model_key}")
        else:
            return None
        return con.execute(
            f"SELECT uid, sys_id, custom_run_id FROM objects WHERE project_id = ? AND {where}",
            (project_id, *args),
        ).fetchone()

    def _new_sys_id(
        self,
        con: sqlite3.Connection,
        project_id: int,
        key: str,
        kind: ObjectKind,
        model_key: str | None,
        model_id: str | None,
    ) -> str:
        if kind is ObjectKind.PROJECT:
            return key
        if kind is ObjectKind.MODEL:
            return f"{key}-{model_key}"
        if kind is ObjectKind.MODEL_VERSION:
            return f"{model_id}-{_next_number(con, project_id, f'version:{model_id}')}"
        return f"{key}-{_next_number(con, project_id, 'run')}"

    def find_object(
        self, project: str, *, sys_id: str | None = None, custom_run_id: str | None = None
    ) -> ObjectInfo:
        validate_project_name(project)
        con = self._connection()
        if sys_id is not None:
            where, arg, what = "o.sys_id = ?", sys_id.upper(), f"id {sys_id!r}"
        elif custom_run_id is not None:
            where, arg, what = (
                "o.custom_run_id = ?",
                custom_run_id,
                f"custom_run_id {custom_run_id!r}",
            )
        else:
            raise ValueError("find_object needs sys_id or custom_run_id")
        row = con.execute(
            "SELECT o.uid, o.kind, o.sys_id, o.custom_run_id FROM objects o "
            f"JOIN projects p ON p.id = o.project_id WHERE p.name = ? AND {where}",
            (project, arg),
        ).fetchone()
        if row is None:
            raise ObjectNotFound(
                f"no object with {what} in project {project!r} ({self.home}). "
                "Check the id and the project (NEPTUNE_PROJECT or project=...)."
            )
        uid, kind, found_id, found_custom = row
        return ObjectInfo(uid, project, ObjectKind(kind), found_id, found_custom)

    def list_objects(
        self, project: str, kind: ObjectKind, *, model_id: str | None = None
    ) -> list[ObjectInfo]:
        con = self._connection()
        sql = (
            "SELECT o.uid, o.sys_id, o.custom_run_id FROM objects o JOIN projects p "
            "ON p.id = o.project_id WHERE p.name = ? AND o.kind = ?"
        )
        args: tuple[Any, ...] = (project, kind.value)
        if model_id is not None:
            sql += " AND o.model_id = ?"
            args += (model_id,)
        rows = con.execute(sql + " ORDER BY o.created", args)
        return [ObjectInfo(uid, project, kind, sys_id, custom) for uid, sys_id, custom in rows]

    # trash ---------------------------------------------------------------------------
    def list_trash(self, project: str) -> list[ObjectInfo]:
        self.get_project(project)  # ProjectNotFound
        rows = self._connection().execute(
            "SELECT o.uid, o.kind, o.sys_id, o.custom_run_id FROM objects o "
            "JOIN projects p ON p.id = o.project_id JOIN fields f ON f.object_uid = o.uid "
            "AND f.path = ? WHERE p.name = ? AND f.value = 'true' ORDER BY o.created, o.sys_id",
            (TRASHED_FIELD, project),
        )
        return [ObjectInfo(uid, project, ObjectKind(k), sid, c) for uid, k, sid, c in rows]

    def _set_trashed(self, uids: list[str], trashed: bool) -> None:
        with self._write() as con:
            for uid in uids:
                if con.execute("SELECT 1 FROM objects WHERE uid = ?", (uid,)).fetchone():
                    _upsert(con, uid, TRASHED_FIELD, FieldType.BOOL, trashed)

    def _delete_trashed(self, project: str, uids: list[str]) -> None:
        with self._write() as con:
            for chunk in _chunks(uids, 400):
                marks = ",".join("?" * len(chunk))
                still = [
                    uid
                    for (uid,) in con.execute(
                        f"SELECT object_uid FROM fields WHERE object_uid IN ({marks}) "
                        "AND path = ? AND value = 'true'",
                        (*chunk, TRASHED_FIELD),
                    )
                ]
                if not still:
                    continue
                marks = ",".join("?" * len(still))
                for table, column in (
                    ("series_chunks", "object_uid"),
                    ("fields", "object_uid"),
                    ("applied_batches", "object_uid"),
                    ("objects", "uid"),
                ):
                    con.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", still)

    # liveness ------------------------------------------------------------------------
    def hold_alive(self, uid: str, *, new: bool = False) -> liveness.AliveLock | None:
        """Hold the object ``uid`` open for writing in this process until ``release()``.

        ``new``: the object does not exist yet (its uid was chosen for ``create_object``).
        Else, if no process held it and it was left "running", it is marked crashed first
        (see ``mark_abandoned``). None where file locks are not available.
        """
        if new:
            return liveness.hold(self.home, uid)
        return liveness.claim(self.home, uid, lambda: self._mark_if_running(uid))

    def mark_abandoned(self, project: str) -> list[str]:
        """Mark the runs of ``project`` whose process died while they were open: returns the
        ``sys/id`` of each object it marked (none the next time).

        An object whose ``sys/state`` is "running" but that no process holds open (no lock on
        ``<store>/alive/<uid>``: see ``nepnb.store.liveness``) gets ``sys/state`` "inactive"
        and ``sys/crashed`` True; its other fields, ``sys/ping_time`` (about when its process
        was last alive) and ``sys/modification_time`` included, are kept. Objects open in a
        live process, this one included, are never marked, however long they have been idle.

        Cheap when nothing is running (one query), so callers may run it before every read:
        ``fetch_runs_table`` does, and the kernel magic may. Safe to run from several
        processes at once: an object is marked once. Never marks anything on a platform
        without ``fcntl``.
        """
        if not liveness.SUPPORTED:
            return []
        rows = (
            self._connection()
            .execute(
                "SELECT o.uid, o.sys_id FROM objects o JOIN projects p ON p.id = o.project_id "
                "JOIN fields f ON f.object_uid = o.uid AND f.path = 'sys/state' "
                "WHERE p.name = ? AND f.value = ? ORDER BY o.created",
                (project, json.dumps("running")),
            )
            .fetchall()
        )
        marked = []
        for uid, sys_id in rows:
            lock = liveness.probe(self.home, uid)
            if lock is None:  # open in a live process
                continue
            try:
                if self._mark_if_running(uid):
                    marked.append(sys_id)
            finally:
                lock.release()
        return marked

    def _mark_if_running(self, uid: str) -> bool:
        """Mark ``uid`` crashed if it is still "running" (call with its lock held exclusively)."""
        with self._write() as con:
            row = con.execute(
                "SELECT value FROM fields WHERE object_uid = ? AND path = 'sys/state'", (uid,)
            ).fetchone()
            if row is None or json.loads(row[0]) != "running":
                return False
            ended = Batch(
                [
                    Operation(OpKind.ASSIGN, "sys/state", FieldType.RUN_STATE, "inactive"),
                    Operation(OpKind.ASSIGN, CRASHED_FIELD, FieldType.BOOL, True),
                ]
            )
            rejected = _SQLiteApplier(con, uid).apply(ended)
            return all(r.path != "sys/state" for r in rejected)

    # fields --------------------------------------------------------------------------
    def apply(self, uid: str, batch: Batch) -> ApplyResult:
        with self._write() as con:
            done = con.execute(
                "SELECT 1 FROM applied_batches WHERE batch_id = ?", (batch.batch_id,)
            ).fetchone()
            if done:
                return ApplyResult(duplicate=True)
            if con.execute("SELECT 1 FROM objects WHERE uid = ?", (uid,)).fetchone() is None:
                raise ObjectNotFound(f"no object {uid} in the local store {self.home}")
            rejected = _SQLiteApplier(con, uid).apply(batch)
            if not only_pings(batch):  # a heartbeat is not a modification
                _upsert(con, uid, "sys/modification_time", FieldType.DATETIME, time.time())
            con.execute(
                "INSERT INTO applied_batches (batch_id, object_uid, applied) VALUES (?, ?, ?)",
                (batch.batch_id, uid, time.time()),
            )
            return ApplyResult(rejected)

    def get_fields(
        self, uid: str, paths: Iterable[str] | None = None, *, prefix: str | None = None
    ) -> dict[str, FieldInfo]:
        return self.get_fields_of([uid], paths, prefix=prefix).get(uid, {})

    def get_fields_of(
        self,
        uids: Iterable[str],
        paths: Iterable[str] | None = None,
        *,
        prefix: str | None = None,
    ) -> Mapping[str, dict[str, FieldInfo]]:
        con = self._connection()
        result: dict[str, dict[str, FieldInfo]] = {}
        uid_list = list(uids)
        path_list = None if paths is None else list(paths)
        for uid_chunk in _chunks(uid_list, 400):
            sql = (
                "SELECT object_uid, path, type, value FROM fields WHERE object_uid IN "
                f"({','.join('?' * len(uid_chunk))})"
            )
            args: list[Any] = list(uid_chunk)
            if prefix is not None:
                sql += " AND path >= ? AND path < ?"
                args += [prefix + "/", prefix + "0"]
            path_chunks = [None] if path_list is None else list(_chunks(path_list, 400))
            for path_chunk in path_chunks:
                if path_chunk is not None and not path_chunk:
                    continue
                extra = ""
                extra_args: list[Any] = []
                if path_chunk is not None:
                    extra = f" AND path IN ({','.join('?' * len(path_chunk))})"
                    extra_args = list(path_chunk)
                for obj, path, ftype, raw in con.execute(sql + extra, args + extra_args):
                    kind = FieldType(ftype)
                    result.setdefault(obj, {})[path] = FieldInfo(
                        path, kind, decode_value(kind, raw)
                    )
            wants_size = (path_list is None or SIZE_FIELD in path_list) and (
                prefix is None or SIZE_FIELD.startswith(prefix + "/")
            )
            if wants_size:
                for obj, size in self._sizes(con, uid_chunk).items():
                    info = FieldInfo(SIZE_FIELD, FieldType.FLOAT, float(size))
                    result.setdefault(obj, {})[SIZE_FIELD] = info
        return result

    @staticmethod
    def _sizes(con: sqlite3.Connection, uids: list[str]) -> dict[str, int]:
        """sys/size of objects, computed when read: bytes of their values, series and files."""
        marks = ",".join("?" * len(uids))
        # Objects that exist only: a deleted one has no size (nor any field).
        sizes = {
            uid: 0
            for (uid,) in con.execute(f"SELECT uid FROM objects WHERE uid IN ({marks})", uids)
        }
        queries = (
            # the values users logged (sys/ fields change on every write: not counted)
            f"SELECT object_uid, SUM(length(value)) FROM fields WHERE object_uid IN ({marks}) "
            "AND NOT (path >= 'sys/' AND path < 'sys0') GROUP BY object_uid",
            # series other than float series hold JSON: their chunks, found from their fields
            "SELECT f.object_uid, SUM(length(c.steps) + length(c.vals) + length(c.times)) "
            "FROM fields f CROSS JOIN series_chunks c ON c.object_uid = f.object_uid "
            f"AND c.path = f.path WHERE f.object_uid IN ({marks}) "
            "AND f.type IN ('stringSeries', 'fileSeries') GROUP BY f.object_uid",
            "SELECT object_uid, SUM(json_extract(value, '$.size')) FROM fields WHERE type = 'file' "
            f"AND object_uid IN ({marks}) GROUP BY object_uid",
            "SELECT f.object_uid, SUM(json_extract(e.value, '$.size')) FROM fields f, "
            f"json_each(f.value) e WHERE f.type = 'fileSet' AND f.object_uid IN ({marks}) "
            "GROUP BY f.object_uid",
        )
        for query in queries:
            for uid, size in con.execute(query, uids):
                if uid in sizes:
                    sizes[uid] += int(size or 0)
        # A float series: three float64 arrays (steps, values, timestamps) of `count` points.
        # Its chunks are not read: a scan of series_chunks loads every chunk's blobs, the whole
        # row being the key of the table. (Its state is JSON with NaN: not SQLite's json_*.)
        for uid, raw in con.execute(
            f"SELECT object_uid, value FROM fields WHERE object_uid IN ({marks}) "
            "AND type = 'floatSeries'",
            uids,
        ):
            if uid in sizes:
                sizes[uid] += 24 * int(json.loads(raw).get("count") or 0)
        return sizes

    def read_series(self, uid: str, path: str) -> SeriesData:
        con = self._connection()
        row = con.execute(
            "SELECT type FROM fields WHERE object_uid = ? AND path = ?", (uid, path)
        ).fetchone()
        if row is None:
            raise MissingField(path)
        kind = FieldType(row[0])
        if not kind.is_series:
            raise MissingField(path)
        rows = con.execute(
            "SELECT steps, vals, times FROM series_chunks WHERE object_uid = ? AND path = ? "
            "ORDER BY seq",
            (uid, path),
        ).fetchall()
        return series_of_chunks(kind, rows)

    def read_series_buckets(
        self,
        uid: str,
        path: str,
        *,
        buckets: int,
        x_axis: str = "step",
        start: float | None = None,
        end: float | None = None,
    ) -> SeriesBuckets:
        """Downsampled chunk by chunk, never holding the whole series, and reading no more
        than needed: along steps (which increase), a zoomed range reads only the chunks that
        overlap it, found by a binary search over the chunks' first and last steps. (A scan
        of ``series_chunks`` loads every row's blobs, its key being the whole row: only point
        lookups by ``seq`` are cheap.) Timestamps need not increase: the time axis reads every
        chunk, and sorts the points when they are not in order."""
        start, end = check_request(buckets, x_axis, start, end)
        column = "steps" if x_axis == "step" else "times"
        with self._snapshot() as con:
            row = con.execute(
                "SELECT type, value FROM fields WHERE object_uid = ? AND path = ?", (uid, path)
            ).fetchone()
            require_float_series(path, None if row is None else FieldType(row[0]))
            total = int(json.loads(row[1]).get("count") or 0)
            return chunked_buckets(
                partial(self._chunk_at, con, uid, path, column=column),
                partial(self._chunks, con, uid, path, column),
                total,
                buckets,
                x_axis,
                start,
                end,
            )

    def series_extent(self, uid: str, path: str) -> tuple[float, float] | None:
        with self._snapshot() as con:
            row = con.execute(
                "SELECT type FROM fields WHERE object_uid = ? AND path = ?", (uid, path)
            ).fetchone()
            if row is None or not FieldType(row[0]).is_series:
                raise MissingField(path)
            first = self._chunk_at(con, uid, path, None)
            last = self._chunk_at(con, uid, path, None, last=True)
        return None if first is None or last is None else (first[1], last[2])

    @staticmethod
    def _chunk_at(
        con: sqlite3.Connection,
        uid: str,
        path: str,
        seq: int | None,
        *,
        last: bool = False,
        column: str = "steps",
    ) -> tuple[int, float, float] | None:
        """``(seq, first x, last x)`` of the first chunk at or after ``seq`` (with ``last``:
        the last one at or before it; None: from the start, or the end), x being ``column``."""
        assert column in ("steps", "times")
        where, order = ("seq <= ?", "DESC") if last else ("seq >= ?", "ASC")
        bound = seq if seq is not None else (2**62 if last else -(2**62))
        found = con.execute(
            f"SELECT seq, substr({column}, 1, 8), substr({column}, -8, 8) FROM series_chunks "
            f"WHERE object_uid = ? AND path = ? AND {where} ORDER BY seq {order} LIMIT 1",
            (uid, path, bound),
        ).fetchone()
        if found is None:
            return None
        return found[0], float64(found[1]), float64(found[2])

    @staticmethod
    def _chunks(
        con: sqlite3.Connection, uid: str, path: str, column: str, seqs: tuple[int, int]
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The x (``column``: steps or times) and values of a float series' chunks whose seq
        is in the closed range ``seqs``, one chunk at a time."""
        assert column in ("steps", "times")
        rows = con.execute(
            f"SELECT {column}, vals FROM series_chunks WHERE object_uid = ? AND path = ? "
            "AND seq BETWEEN ? AND ? ORDER BY seq",
            (uid, path, *seqs),
        )
        for x, y in rows:
            yield np.frombuffer(x, dtype=np.float64), np.frombuffer(y, dtype=np.float64)

    # blobs ---------------------------------------------------------------------------
    def put_blob(self, data: bytes, *, project: str | None = None) -> str:
        return self.blobs.put_bytes(data)

    def put_blob_file(self, source: Path, *, project: str | None = None) -> tuple[str, int]:
        return self.blobs.put_file(source)

    def read_blob(self, digest: str) -> bytes:
        return self.blobs.read(digest)

    def copy_blob_to(self, digest: str, destination: Path) -> None:
        self.blobs.copy_to(digest, destination)

    # notebook checkpoints -------------------------------------------------------------
    def put_parts(self, parts: Mapping[str, bytes], *, project: str | None = None) -> int:
        if not parts:
            return 0
        missing = self.missing_parts(parts)
        if not missing:
            return 0
        rows = [(d, len(parts[d]), *encode_part(parts[d])) for d in missing]
        with self._write() as con:
            con.executemany(
                "INSERT OR IGNORE INTO parts (digest, size, encoding, data) VALUES (?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    def missing_parts(self, digests: Iterable[str], *, project: str | None = None) -> set[str]:
        wanted = set(digests)
        con = self._connection()
        for chunk in _chunks(sorted(wanted), 500):
            rows = con.execute(
                f"SELECT digest FROM parts WHERE digest IN ({','.join('?' * len(chunk))})", chunk
            )
            wanted.difference_update(digest for (digest,) in rows)
        return wanted

    def get_parts(self, digests: Iterable[str], *, project: str | None = None) -> dict[str, bytes]:
        wanted = set(digests)
        con = self._connection()
        found: dict[str, bytes] = {}
        for chunk in _chunks(sorted(wanted), 500):
            rows = con.execute(
                "SELECT digest, encoding, data FROM parts WHERE digest IN "
                f"({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update(
                (digest, zlib.decompress(data) if encoding else bytes(data))
                for digest, encoding, data in rows
            )
        return require_parts(wanted, found, str(self.db_path))

    def add_checkpoint(
        self,
        project: str,
        notebook_id: str,
        *,
        path: str,
        summary: str,
        body: str,
        author: str,
        manifest: str,
        runs: Iterable[str] = (),
        stats: Mapping[str, Any] | None = None,
    ) -> CheckpointInfo:
        self.get_project(project, create=True)
        run_list = tuple(runs)
        with self._write() as con:
            project_id, _ = self._project_row(con, project)
            now = time.time()
            latest = con.execute(
                "SELECT id, seq FROM checkpoints WHERE project_id = ? AND notebook_id = ? "
                "ORDER BY seq DESC LIMIT 1",
                (project_id, notebook_id),
            ).fetchone()
            parent_id, seq = (latest[0], latest[1] + 1) if latest else (None, 1)
            seed = f"{project}|{notebook_id}|{seq}|{manifest}|{now}|{uuid.uuid4().hex}"
            checkpoint_id = hashlib.sha256(seed.encode()).hexdigest()[:12]
            con.execute(
                "INSERT INTO checkpoints (id, project_id, notebook_id, seq, parent_id, path, "
                "summary, body, author, created, manifest, runs, stats) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    checkpoint_id, project_id, notebook_id, seq, parent_id, path, summary, body,
                    author, now, manifest, json.dumps(list(run_list)), json.dumps(dict(stats or {})),
                ),
            )  # fmt: skip
            con.execute(
                "INSERT INTO notebooks (project_id, notebook_id, path, created, updated) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (project_id, notebook_id) "
                "DO UPDATE SET path = excluded.path, updated = excluded.updated",
                (project_id, notebook_id, path, now, now),
            )
        return CheckpointInfo(
            checkpoint_id, project, notebook_id, seq, parent_id, path, summary, body, author,
            now, manifest, run_list, dict(stats or {}),
        )  # fmt: skip

    _CHECKPOINT_COLUMNS = (
        "c.id, c.notebook_id, c.seq, c.parent_id, c.path, c.summary, c.body, c.author, "
        "c.created, c.manifest, c.runs, c.stats"
    )

    def _checkpoint(self, project: str, row: tuple[Any, ...]) -> CheckpointInfo:
        cid, nid, seq, parent, path, summary, body, author, created, manifest, runs, stats = row
        return CheckpointInfo(
            cid, project, nid, seq, parent, path, summary, body, author, created, manifest,
            tuple(json.loads(runs)), json.loads(stats),
        )  # fmt: skip

    def list_checkpoints(self, project: str, notebook_id: str) -> list[CheckpointInfo]:
        rows = self._connection().execute(
            f"SELECT {self._CHECKPOINT_COLUMNS} FROM checkpoints c JOIN projects p "
            "ON p.id = c.project_id WHERE p.name = ? AND c.notebook_id = ? ORDER BY c.seq DESC",
            (project, notebook_id),
        )
        return [self._checkpoint(project, row) for row in rows]

    def get_checkpoint(self, project: str, checkpoint_id: str) -> CheckpointInfo:
        prefix = checkpoint_id.strip().lower()
        if len(prefix) < 4 or not re.fullmatch(r"[0-9a-f]+", prefix):
            raise CheckpointNotFound(
                f"{checkpoint_id!r} is not a checkpoint id: give at least 4 of its hex "
                "characters (`nepnb checkpoint list NOTEBOOK` shows them)"
            )
        rows = (
            self._connection()
            .execute(
                f"SELECT {self._CHECKPOINT_COLUMNS} FROM checkpoints c JOIN projects p "
                "ON p.id = c.project_id WHERE p.name = ? AND c.id >= ? AND c.id < ? LIMIT 2",
                (project, prefix, prefix + "g"),
            )
            .fetchall()
        )
        if not rows:
            raise CheckpointNotFound(f"no checkpoint {checkpoint_id!r} in project {project!r}")
        if len(rows) > 1:
            raise CheckpointNotFound(
                f"{checkpoint_id!r} matches several checkpoints; give more of its characters"
            )
        return self._checkpoint(project, rows[0])

    def list_notebooks(self, project: str) -> list[NotebookInfo]:
        return self._notebooks(project)

    def get_notebook(self, project: str, notebook_id: str) -> NotebookInfo | None:
        return next(iter(self._notebooks(project, notebook_id)), None)

    def _notebooks(self, project: str, notebook_id: str | None = None) -> list[NotebookInfo]:
        where, args = (
            ("AND n.notebook_id = ?", (project, notebook_id)) if notebook_id else ("", (project,))
        )
        rows = self._connection().execute(
            "SELECT n.notebook_id, n.path, n.created, n.updated, (SELECT count(*) FROM "
            "checkpoints c WHERE c.project_id = n.project_id AND c.notebook_id = n.notebook_id) "
            f"FROM notebooks n JOIN projects p ON p.id = n.project_id WHERE p.name = ? {where} "
            "ORDER BY n.updated DESC",
            args,
        )
        return [NotebookInfo(project, *row) for row in rows]


class _SQLiteApplier(Applier):
    """The batch applier over a connection of the local store, inside its transaction."""

    def __init__(self, con: sqlite3.Connection, uid: str) -> None:
        super().__init__(uid)
        self.con = con

    def _db_fields(self, paths: list[str]) -> Iterable[tuple[str, str, str | None]]:
        for chunk in _chunks(paths, 400):
            yield from self.con.execute(
                f"SELECT path, type, value FROM fields WHERE object_uid = ? AND path IN "
                f"({','.join('?' * len(chunk))})",
                (self.uid, *chunk),
            )

    def _db_set(self, path: str, ftype: FieldType, raw: str) -> None:
        _upsert_raw(self.con, self.uid, path, ftype, raw)

    def _db_first_child(self, path: str) -> str | None:
        row = self.con.execute(
            "SELECT path FROM fields WHERE object_uid = ? AND path >= ? AND path < ? LIMIT 1",
            (self.uid, path + "/", path + "0"),
        ).fetchone()
        return row[0] if row else None

    def _db_put_chunk(
        self, path: str, seq: int, count: int, steps: bytes, vals: bytes, times: bytes
    ) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO series_chunks (object_uid, path, seq, count, steps, vals, "
            "times) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.uid, path, seq, count, steps, vals, times),
        )

    def _db_chunks_from(self, path: str, seq: int) -> list[tuple[bytes, bytes, bytes]]:
        return self.con.execute(
            "SELECT steps, vals, times FROM series_chunks WHERE object_uid = ? AND path = ? "
            "AND seq >= ? ORDER BY seq",
            (self.uid, path, seq),
        ).fetchall()

    def _db_delete_chunks(self, path: str, seq: int) -> None:
        self.con.execute(
            "DELETE FROM series_chunks WHERE object_uid = ? AND path = ? AND seq >= ?",
            (self.uid, path, seq),
        )

    def _db_delete_under(self, path: str) -> None:
        for sql in (
            "DELETE FROM fields WHERE object_uid = ? AND (path = ? OR (path >= ? AND path < ?))",
            "DELETE FROM series_chunks WHERE object_uid = ? AND (path = ? OR (path >= ? AND path < ?))",
        ):
            self.con.execute(sql, (self.uid, path, path + "/", path + "0"))

    def _db_savepoint(self) -> None:
        self.con.execute("SAVEPOINT op")

    def _db_rollback(self) -> None:
        self.con.execute("ROLLBACK TO op")
        self.con.execute("RELEASE op")

    def _db_release(self) -> None:
        self.con.execute("RELEASE op")


def encode_part(data: bytes) -> tuple[int, bytes]:
    """(encoding, stored bytes): zlib, unless a sample shows the data hardly compresses (the
    base64 of a PNG only loses base64's own third, and costs most of a checkpoint's time)."""
    if len(data) > PART_SAMPLE * 4:
        sample = data[len(data) // 2 : len(data) // 2 + PART_SAMPLE]
        if len(zlib.compress(sample, 1)) > PART_SAMPLE * 0.7:
            return 0, data
    return 1, zlib.compress(data, 1)


def _upsert(con: sqlite3.Connection, uid: str, path: str, ftype: FieldType, value: Any) -> None:
    _upsert_raw(con, uid, path, ftype, json.dumps(value))


def _upsert_raw(con: sqlite3.Connection, uid: str, path: str, ftype: FieldType, raw: str) -> None:
    con.execute(
        "INSERT INTO fields (object_uid, path, type, value) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (object_uid, path) DO UPDATE SET type = excluded.type, value = excluded.value",
        (uid, path, ftype.value, raw),
    )


def _next_number(con: sqlite3.Connection, project_id: int, scope: str) -> int:
    row = con.execute(
        "SELECT next FROM counters WHERE project_id = ? AND scope = ?", (project_id, scope)
    ).fetchone()
    number = row[0] if row else 1
    con.execute(
        "INSERT INTO counters (project_id, scope, next) VALUES (?, ?, ?) "
        "ON CONFLICT (project_id, scope) DO UPDATE SET next = excluded.next",
        (project_id, scope, number + 1),
    )
    return number


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _rollback(con: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already (it does on a full disk)."""
    if con.in_transaction:
        con.execute("ROLLBACK")


_first_chunk = first_chunk  # the name tests/store/test_downsample.py uses
