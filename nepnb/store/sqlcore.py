"""The rules of a SQL store, written once: projects, objects, fields, series, trash, checkpoints.

The local store (sqlite3, nepnb.store.local) and the tracking server's store (SQLAlchemy on
SQLite or PostgreSQL, nepnb.server.sql) both subclass :class:`SQLCore`. What a store means
(project keys, ``sys/id`` and checkpoint numbering, ``sys/size``, the trash, chunked
series reads, batch ids) is decided here; a backend gives only :meth:`SQLCore._transaction`,
which opens a :class:`Tx`: the few statements of one transaction, each a plain read or
write with no rule in it. Writes of a batch go through the backend's
:class:`~nepnb.store.applier.Applier` (``Tx.applier``), the same pattern one level down.

Hooks a backend may override: ``_retrying`` (a write raced by another process),
``_charge`` (a storage limit), ``_unheld`` (digests a project may not read),
``_delete_objects`` (what else goes with deleted objects). This module imports no database
library: ``import nepnb`` stays light.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import partial
from typing import Any, TypeVar

import numpy as np

from nepnb.exceptions import (
    CheckpointNotFound,
    Conflict,
    MissingField,
    ObjectNotFound,
    ProjectNotFound,
)
from nepnb.store.applier import (
    SIZE_FIELD,
    Applier,
    NeedSavepoints,
    chosen_key,
    decode_value,
    new_uid,
    only_pings,
)
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
from nepnb.store.chunks import Chunk, chunked_buckets, series_of_chunks
from nepnb.store.downsample import SeriesBuckets, check_request
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch

#: Bytes of a large part compressed to see whether compressing it is worth it.
PART_SAMPLE = 8_192
#: Series whose chunks hold JSON: their chunks count toward ``sys/size`` as stored.
JSON_SERIES = (FieldType.STRING_SERIES.value, FieldType.FILE_SERIES.value)

T = TypeVar("T")
#: (uid, kind, sys_id, custom_run_id) of an object.
ObjectRow = tuple[str, str, str, str | None]
#: The columns of an object row besides its project.
OBJECT_COLUMNS = ("uid", "kind", "sys_id", "custom_run_id", "model_id", "created")
#: The columns ``Tx.objects`` may match.
OBJECT_FILTERS = ("kind", "sys_id", "custom_run_id", "model_id")
#: The columns of a checkpoint, in CheckpointInfo's order (without the project).
CHECKPOINT_COLUMNS = (
    "id", "notebook_id", "seq", "parent_id", "path", "summary", "body", "author", "created",
    "manifest", "runs", "stats",
)  # fmt: skip


class Tx(ABC):
    """One transaction of a SQL store: the statements the rules of :class:`SQLCore` need.

    Each method is one query (or a few, for long lists); none decides anything.
    """

    # projects ---------------------------------------------------------------------------
    @abstractmethod
    def project(self, name: str, *, lock: bool = False) -> tuple[int, str] | None:
        """(id, key) of the project ``name`` (its row locked for this transaction)."""

    @abstractmethod
    def projects(self) -> list[tuple[str, str]]:
        """(name, key) of every project, by name."""

    @abstractmethod
    def insert_project(self, name: str, key: str, created: float) -> None: ...

    @abstractmethod
    def delete_project(self, project_id: int) -> None:
        """Delete the project and everything in it."""

    @abstractmethod
    def next_number(self, project_id: int, scope: str) -> int:
        """The next number of ``scope`` in the project, counted (call with it locked)."""

    # objects ----------------------------------------------------------------------------
    @abstractmethod
    def object_by_uid(self, uid: str) -> tuple[str, str, str, str | None] | None:
        """(project name, kind, sys_id, custom_run_id) of the object ``uid``."""

    @abstractmethod
    def objects(
        self, project: str, where: Mapping[str, str] | None = None, *, trashed: bool = False
    ) -> list[ObjectRow]:
        """The project's objects whose columns (of OBJECT_FILTERS) have the values of
        ``where`` (``trashed``: only those whose ``sys/trashed`` is true), oldest first (by
        creation, then ``sys_id``)."""

    @abstractmethod
    def insert_object(self, project_id: int, values: Mapping[str, Any]) -> None:
        """An object row (``values`` by OBJECT_COLUMNS)."""

    @abstractmethod
    def existing(self, uids: list[str], *, lock: bool = False) -> list[str]:
        """Those of ``uids`` that exist (their rows locked)."""

    @abstractmethod
    def lock_project_objects(self, project_id: int) -> None:
        """Lock every object of the project (no batch is applied to them meanwhile)."""

    @abstractmethod
    def delete_objects(self, uids: list[str]) -> None:
        """Delete the objects with their fields, chunks and batch ids."""

    # batches and fields -----------------------------------------------------------------
    @abstractmethod
    def record_batch(self, batch_id: str, uid: str, applied: float) -> bool:
        """Record the batch id; False if it was recorded before (a duplicate)."""

    @abstractmethod
    def lock_object(self, uid: str) -> tuple[int, str, int | None] | None:
        """(project id, project name, storage limit) of the object ``uid``, its row locked:
        the batches of one object are applied one at a time."""

    @abstractmethod
    def applier(self, uid: str) -> Applier:
        """The backend's batch applier for ``uid`` in this transaction."""

    @abstractmethod
    def fields(
        self, uids: list[str], paths: list[str] | None = None, prefix: str | None = None
    ) -> Iterable[tuple[str, str, str, str | None]]:
        """(uid, path, type, JSON value) of the fields of ``uids`` among ``paths`` (all if
        None), under the namespace ``prefix`` if given."""

    @abstractmethod
    def chunk_bytes(self, uids: list[str], types: Sequence[str]) -> Iterable[tuple[str, int]]:
        """(uid, bytes of its chunks) summed over its series of ``types``."""

    @abstractmethod
    def field(self, uid: str, path: str) -> tuple[str, str | None] | None:
        """(type, JSON value) of one field."""

    # series chunks ----------------------------------------------------------------------
    @abstractmethod
    def chunks(self, uid: str, path: str) -> list[tuple[bytes, bytes, bytes]]:
        """(steps, vals, times) of every chunk of the series, in order."""

    @abstractmethod
    def chunk_at(
        self, uid: str, path: str, seq: int | None, *, last: bool = False, column: str = "steps"
    ) -> Chunk | None:
        """``(seq, first x, last x)`` of the first chunk at or after ``seq`` (with ``last``:
        the last one at or before it; None: from the start, or the end), x being ``column``,
        read without reading the chunk (see nepnb.store.chunks)."""

    @abstractmethod
    def read_chunks(
        self, uid: str, path: str, column: str, seqs: tuple[int, int]
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """x (``column``) and values of the chunks whose seq is in the closed range."""

    # parts, notebooks, checkpoints ------------------------------------------------------
    @abstractmethod
    def stored_parts(self, digests: list[str]) -> Iterable[str]: ...

    @abstractmethod
    def part_rows(self, digests: list[str]) -> Iterable[tuple[str, int, bytes]]:
        """(digest, encoding, stored bytes) of the stored parts among ``digests``."""

    @abstractmethod
    def insert_parts(self, rows: list[tuple[str, int, int, bytes]]) -> None:
        """Store (digest, size, encoding, bytes) rows, leaving those stored already."""

    @abstractmethod
    def latest_checkpoint(self, project_id: int, notebook_id: str) -> tuple[str, int] | None:
        """(id, seq) of the notebook's newest checkpoint."""

    @abstractmethod
    def insert_checkpoint(self, project_id: int, values: Mapping[str, Any]) -> None:
        """A checkpoint row (``values`` by CHECKPOINT_COLUMNS)."""

    @abstractmethod
    def touch_notebook(self, project_id: int, notebook_id: str, path: str, now: float) -> None:
        """Record the notebook (its path and last update), created if new."""

    @abstractmethod
    def checkpoints(self, project: str, notebook_id: str | None, prefix: str = "") -> list[Any]:
        """Rows of CHECKPOINT_COLUMNS, newest first: the notebook's, or (``prefix``) the
        first two whose id starts with ``prefix``."""

    @abstractmethod
    def notebooks(
        self, project: str, notebook_id: str | None = None
    ) -> list[tuple[str, str, float, float, int]]:
        """(notebook_id, path, created, updated, checkpoint count), last updated first."""


class SQLCore(Store):
    """A store over a SQL database: every rule here, the statements in a :class:`Tx`."""

    #: How errors say where the store is ("in /home/…", "on this server").
    where: str = ""

    @abstractmethod
    def _transaction(self, *, write: bool = False) -> AbstractContextManager[Tx]:
        """A transaction: committed when the block ends, rolled back if it raises. A read
        sees one state of the database."""

    # hooks ------------------------------------------------------------------------------
    def _retrying(self, work: Callable[[], T]) -> T:
        """``work()``; a backend whose writers may race on a unique row calls it again."""
        return work()

    def _charge(self, tx: Tx, uid: str, project: tuple[int, str, int | None], batch: Batch) -> None:
        """Count ``batch`` toward its project's use (no storage limits by default)."""

    def _unheld(self, project: str | None, digests: set[str]) -> set[str]:
        """Those of ``digests`` the project may not read (all readable by default)."""
        return set()

    def _delete_objects(self, tx: Tx, project_id: int, uids: list[str]) -> None:
        """Delete objects of the project (a backend may release what they held)."""
        tx.delete_objects(uids)

    # projects ---------------------------------------------------------------------------
    def _project(self, tx: Tx, name: str, *, lock: bool = False) -> tuple[int, str]:
        row = tx.project(name, lock=lock)
        if row is None:
            raise ProjectNotFound(f"no project {name!r} {self.where}")
        return row

    def get_project(self, name: str, *, create: bool = False) -> ProjectInfo:
        validate_project_name(name)
        with self._transaction() as tx:
            row = tx.project(name)
        if row is not None:
            return ProjectInfo(name, row[1])
        if not create:
            known = ", ".join(p.name for p in self.list_projects()) or "none yet"
            raise ProjectNotFound(f"no project {name!r} {self.where} (projects: {known})")
        return self._retrying(partial(self._create_project, name, None, exists_ok=True))

    def create_project(self, name: str, *, key: str | None = None) -> ProjectInfo:
        validate_project_name(name)
        return self._retrying(partial(self._create_project, name, key, exists_ok=False))

    def _create_project(self, name: str, key: str | None, *, exists_ok: bool) -> ProjectInfo:
        with self._transaction(write=True) as tx:
            row = tx.project(name)
            if row is not None:
                if not exists_ok:
                    raise Conflict(f"the project {name!r} exists already")
                return ProjectInfo(name, row[1])
            return ProjectInfo(name, self._insert_project(tx, name, key))

    def _insert_project(self, tx: Tx, name: str, key: str | None) -> str:
        """Add the project ``name`` (missing in ``tx``); returns its key."""
        key = chosen_key(key, {k for _, k in tx.projects()}, name.split("/")[1])
        tx.insert_project(name, key, time.time())
        return key

    def delete_project(self, name: str) -> None:
        with self._transaction(write=True) as tx:
            project_id, _ = self._project(tx, name, lock=True)
            tx.delete_project(project_id)

    def list_projects(self) -> list[ProjectInfo]:
        with self._transaction() as tx:
            return [ProjectInfo(name, key) for name, key in tx.projects()]

    # objects ----------------------------------------------------------------------------
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
        """See ``Store.create_object``; ``uid``: the new object's, chosen by the caller (so
        that a retried creation finds the object its first attempt made, and a local
        process can hold its liveness lock before the object exists). A missing project is
        made in the same transaction."""
        validate_project_name(project)
        return self._retrying(
            partial(self._create, project, kind, custom_run_id, model_key, model_id, initial, uid)
        )

    def _create(
        self,
        project: str,
        kind: ObjectKind,
        custom_run_id: str | None,
        model_key: str | None,
        model_id: str | None,
        initial: Batch | None,
        uid: str | None,
    ) -> ObjectInfo:
        with self._transaction(write=True) as tx:
            if uid is not None:  # made already (a retried creation)?
                made = tx.object_by_uid(uid)
                if made is not None:
                    name, found_kind, sys_id, custom = made
                    return ObjectInfo(uid, name, ObjectKind(found_kind), sys_id, custom)
            # The project row lock orders the creations of one project (counters, keys).
            found = tx.project(project, lock=True)
            if found is None:  # first use of the project: made in this transaction
                self._insert_project(tx, project, None)
                found = self._project(tx, project, lock=True)
            project_id, key = found
            same: dict[str, str] | None = None  # what makes an object the one asked for
            if kind is ObjectKind.PROJECT:
                same = {}
            elif kind is ObjectKind.RUN and custom_run_id:
                same = {"custom_run_id": custom_run_id}
            elif kind is ObjectKind.MODEL:
                same = {"sys_id": f"{key}-{model_key}"}
            if same is not None:
                for found_uid, _, sys_id, custom in tx.objects(
                    project, {"kind": kind.value, **same}
                ):
                    return ObjectInfo(found_uid, project, kind, sys_id, custom, created=False)
            if kind is ObjectKind.PROJECT:
                sys_id = key
            elif kind is ObjectKind.MODEL:
                sys_id = f"{key}-{model_key}"
            elif kind is ObjectKind.MODEL_VERSION:
                sys_id = f"{model_id}-{tx.next_number(project_id, f'version:{model_id}')}"
            else:
                sys_id = f"{key}-{tx.next_number(project_id, 'run')}"
            uid = uid or new_uid()
            now = time.time()
            row = (uid, kind.value, sys_id, custom_run_id, model_id, now)
            tx.insert_object(project_id, dict(zip(OBJECT_COLUMNS, row, strict=True)))
            applier = tx.applier(uid)
            applier.set("sys/id", FieldType.STRING, sys_id)
            applier.set("sys/creation_time", FieldType.DATETIME, now)
            applier.set("sys/modification_time", FieldType.DATETIME, now)
            if initial is not None:
                applier.apply(initial)
            applier.flush()
            return ObjectInfo(uid, project, kind, sys_id, custom_run_id, created=True)

    def find_object(
        self, project: str, *, sys_id: str | None = None, custom_run_id: str | None = None
    ) -> ObjectInfo:
        validate_project_name(project)
        if sys_id is not None:
            where, what = {"sys_id": sys_id.upper()}, f"id {sys_id!r}"
        elif custom_run_id is not None:
            where, what = {"custom_run_id": custom_run_id}, f"custom_run_id {custom_run_id!r}"
        else:
            raise ValueError("find_object needs sys_id or custom_run_id")
        with self._transaction() as tx:
            rows = tx.objects(project, where)
        if not rows:
            raise ObjectNotFound(
                f"no object with {what} in project {project!r} {self.where}. "
                "Check the id and the project (NEPTUNE_PROJECT or project=...)."
            )
        uid, kind, found_id, custom = rows[0]
        return ObjectInfo(uid, project, ObjectKind(kind), found_id, custom)

    def get_object(self, uid: str) -> ObjectInfo:
        with self._transaction() as tx:
            found = tx.object_by_uid(uid)
        if found is None:
            raise ObjectNotFound(f"no object {uid} {self.where}")
        project, kind, sys_id, custom = found
        return ObjectInfo(uid, project, ObjectKind(kind), sys_id, custom)

    def list_objects(
        self, project: str, kind: ObjectKind, *, model_id: str | None = None
    ) -> list[ObjectInfo]:
        with self._transaction() as tx:
            where = (
                {"kind": kind.value}
                if model_id is None
                else {"kind": kind.value, "model_id": model_id}
            )
            rows = tx.objects(project, where)
        return [ObjectInfo(uid, project, kind, sys_id, custom) for uid, _, sys_id, custom in rows]

    # trash ------------------------------------------------------------------------------
    def list_trash(self, project: str) -> list[ObjectInfo]:
        with self._transaction() as tx:
            self._project(tx, project)  # ProjectNotFound
            rows = tx.objects(project, trashed=True)
        return [ObjectInfo(uid, project, ObjectKind(k), sid, c) for uid, k, sid, c in rows]

    def _set_trashed(self, uids: list[str], trashed: bool) -> None:
        with self._transaction(write=True) as tx:
            # Locked, and only those that still exist (one may be deleted meanwhile).
            for uid in tx.existing(uids, lock=True):
                applier = tx.applier(uid)
                applier.set(TRASHED_FIELD, FieldType.BOOL, trashed)
                applier.flush()

    def _delete_trashed(self, project: str, uids: list[str]) -> None:
        with self._transaction(write=True) as tx:
            project_id, _ = self._project(tx, project, lock=True)
            # Every object of the project locked: no batch is being applied to them (nor
            # are they restored) until this commits.
            tx.lock_project_objects(project_id)
            still = [
                uid
                for chunk in batched(uids, 400)
                for uid, _, value in _values(tx.fields(chunk, [TRASHED_FIELD]))
                if value is True
            ]
            if still:
                self._delete_objects(tx, project_id, still)

    # fields -----------------------------------------------------------------------------
    def apply(self, uid: str, batch: Batch) -> ApplyResult:
        try:
            return self._apply(uid, batch, savepoints=False)
        except NeedSavepoints:  # rolled back: again, each operation on its own
            return self._apply(uid, batch, savepoints=True)

    def _apply(self, uid: str, batch: Batch, *, savepoints: bool) -> ApplyResult:
        with self._transaction(write=True) as tx:
            # The batch id first: a batch applied before (or right now, by another
            # connection, which this insert waits for) is a duplicate.
            if not tx.record_batch(batch.batch_id, uid, time.time()):
                return ApplyResult(duplicate=True)
            project = tx.lock_object(uid)
            if project is None:
                raise ObjectNotFound(f"no object {uid} {self.where}")
            self._charge(tx, uid, project, batch)
            applier = tx.applier(uid)
            rejected = applier.apply(batch, savepoints=savepoints)
            if not only_pings(batch):  # a heartbeat is not a modification
                applier.set("sys/modification_time", FieldType.DATETIME, time.time())
            try:
                applier.flush()
            except Exception as error:
                if savepoints:
                    raise
                raise NeedSavepoints("(batch)") from error
            return ApplyResult(rejected)

    def get_fields_of(
        self,
        uids: Iterable[str],
        paths: Iterable[str] | None = None,
        *,
        prefix: str | None = None,
        sizes: bool = True,
    ) -> Mapping[str, dict[str, FieldInfo]]:
        path_list = None if paths is None else list(paths)
        wants_size = (
            sizes
            and (path_list is None or SIZE_FIELD in path_list)
            and (prefix is None or SIZE_FIELD.startswith(prefix + "/"))
        )
        result: dict[str, dict[str, FieldInfo]] = {}
        with self._transaction() as tx:
            for uid_chunk in batched(list(uids), 400):
                # every field read: sys/size is counted from them, not read again
                every: list[tuple[str, str, str, str | None]] | None = None
                if path_list is None and prefix is None:
                    every = []
                path_chunks = [None] if path_list is None else batched(path_list, 400)
                for path_chunk in path_chunks:
                    for row in tx.fields(uid_chunk, path_chunk, prefix):
                        obj, path, ftype, raw = row
                        kind = FieldType(ftype)
                        info = FieldInfo(path, kind, decode_value(kind, raw))
                        result.setdefault(obj, {})[path] = info
                        if every is not None:
                            every.append(row)
                if wants_size:
                    for obj, size in object_sizes(tx, uid_chunk, every).items():
                        info = FieldInfo(SIZE_FIELD, FieldType.FLOAT, float(size))
                        result.setdefault(obj, {})[SIZE_FIELD] = info
        return result

    # series -----------------------------------------------------------------------------
    def read_series(self, uid: str, path: str) -> SeriesData:
        with self._transaction() as tx:
            found = tx.field(uid, path)
            if found is None or not FieldType(found[0]).is_series:
                raise MissingField(path)
            return series_of_chunks(FieldType(found[0]), tx.chunks(uid, path))

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
        chunks than needed (see nepnb.store.chunks)."""
        start, end = check_request(buckets, x_axis, start, end)
        column = "steps" if x_axis == "step" else "times"
        with self._transaction() as tx:
            found = tx.field(uid, path)
            require_float_series(path, None if found is None else FieldType(found[0]))
            assert found is not None and found[1] is not None
            return chunked_buckets(
                partial(tx.chunk_at, uid, path, column=column),
                partial(tx.read_chunks, uid, path, column),
                int(json.loads(found[1]).get("count") or 0),
                buckets,
                x_axis,
                start,
                end,
            )

    def series_extent(self, uid: str, path: str) -> tuple[float, float] | None:
        with self._transaction() as tx:
            found = tx.field(uid, path)
            if found is None or not FieldType(found[0]).is_series:
                raise MissingField(path)
            first = tx.chunk_at(uid, path, None)
            last = tx.chunk_at(uid, path, None, last=True)
        return None if first is None or last is None else (first[1], last[2])

    # notebook parts ---------------------------------------------------------------------
    def _store_parts(self, parts: Mapping[str, bytes], digests: Iterable[str]) -> set[str]:
        """Store the parts of ``digests`` not stored yet; returns their digests."""
        missing = self._unstored_parts(digests)
        if missing:
            rows = [(d, len(parts[d]), *encode_part(parts[d])) for d in sorted(missing)]
            with self._transaction(write=True) as tx:
                tx.insert_parts(rows)
        return missing

    def _unstored_parts(self, digests: Iterable[str]) -> set[str]:
        wanted = set(digests)
        with self._transaction() as tx:
            for chunk in batched(sorted(wanted), 500):
                wanted.difference_update(tx.stored_parts(chunk))
        return wanted

    def missing_parts(self, digests: Iterable[str], *, project: str | None = None) -> set[str]:
        wanted = set(digests)
        return self._unstored_parts(wanted) | self._unheld(project, wanted)

    def get_parts(self, digests: Iterable[str], *, project: str | None = None) -> dict[str, bytes]:
        wanted = set(digests)
        readable = wanted - self._unheld(project, wanted)
        found: dict[str, bytes] = {}
        with self._transaction() as tx:
            for chunk in batched(sorted(readable), 500):
                found.update(
                    (digest, decode_part(encoding, data))
                    for digest, encoding, data in tx.part_rows(chunk)
                )
        return require_parts(wanted, found, self.location)

    # checkpoints ------------------------------------------------------------------------
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
        stats = dict(stats or {})
        with self._transaction(write=True) as tx:
            # The project row lock numbers the checkpoints of a notebook one at a time.
            project_id, _ = self._project(tx, project, lock=True)
            now = time.time()
            latest = tx.latest_checkpoint(project_id, notebook_id)
            parent_id, seq = (latest[0], latest[1] + 1) if latest else (None, 1)
            seed = f"{project}|{notebook_id}|{seq}|{manifest}|{now}|{uuid.uuid4().hex}"
            info = CheckpointInfo(
                hashlib.sha256(seed.encode()).hexdigest()[:12], project, notebook_id, seq,
                parent_id, path, summary, body, author, now, manifest, run_list, stats,
            )  # fmt: skip
            row = dict(zip(CHECKPOINT_COLUMNS, _checkpoint_row(info), strict=True))
            tx.insert_checkpoint(project_id, row)
            tx.touch_notebook(project_id, notebook_id, path, now)
        return info

    def list_checkpoints(self, project: str, notebook_id: str) -> list[CheckpointInfo]:
        with self._transaction() as tx:
            rows = tx.checkpoints(project, notebook_id)
        return [_checkpoint(project, row) for row in rows]

    def get_checkpoint(self, project: str, checkpoint_id: str) -> CheckpointInfo:
        prefix = checkpoint_id.strip().lower()
        if len(prefix) < 4 or not re.fullmatch(r"[0-9a-f]+", prefix):
            raise CheckpointNotFound(
                f"{checkpoint_id!r} is not a checkpoint id: give at least 4 of its hex "
                "characters (`nepnb checkpoint list NOTEBOOK` shows them)"
            )
        with self._transaction() as tx:
            rows = tx.checkpoints(project, None, prefix)
        if not rows:
            raise CheckpointNotFound(f"no checkpoint {checkpoint_id!r} in project {project!r}")
        if len(rows) > 1:
            raise CheckpointNotFound(
                f"{checkpoint_id!r} matches several checkpoints; give more of its characters"
            )
        return _checkpoint(project, rows[0])

    def list_notebooks(self, project: str) -> list[NotebookInfo]:
        with self._transaction() as tx:
            return [NotebookInfo(project, *row) for row in tx.notebooks(project)]

    def get_notebook(self, project: str, notebook_id: str) -> NotebookInfo | None:
        with self._transaction() as tx:
            rows = tx.notebooks(project, notebook_id)
        return NotebookInfo(project, *rows[0]) if rows else None


def object_sizes(
    tx: Tx, uids: list[str], fields: Iterable[tuple[str, str, str, str | None]] | None = None
) -> dict[str, int]:
    """``sys/size`` of objects, computed when read: the JSON of their user fields (a series'
    state included; not ``sys/``, which changes on every write), 24 bytes a float series
    point (step, value, timestamp: its chunks are not read, a table of long series could
    not afford it), the chunks of other series, and the bytes of the files they name.
    Objects that exist only: a deleted one has no size. ``fields``: every field of the
    objects, when the caller read them already."""
    sizes = dict.fromkeys(tx.existing(uids), 0)
    for uid, path, ftype, raw in tx.fields(uids) if fields is None else fields:
        if uid in sizes and not path.startswith("sys/"):
            sizes[uid] += field_bytes(FieldType(ftype), raw)
    for uid, size in tx.chunk_bytes(uids, JSON_SERIES):
        if uid in sizes:
            sizes[uid] += int(size or 0)
    return sizes


def field_bytes(kind: FieldType, raw: str | None) -> int:
    """What one field adds to ``sys/size`` besides the chunks of a string or file series."""
    if raw is None:
        return 0
    size = len(raw)
    if kind is FieldType.FLOAT_SERIES:
        size += 24 * int(json.loads(raw).get("count") or 0)
    elif kind is FieldType.FILE:
        size += int((json.loads(raw) or {}).get("size") or 0)
    elif kind is FieldType.FILE_SET:
        size += sum(int((ref or {}).get("size") or 0) for ref in (json.loads(raw) or {}).values())
    return size


def encode_part(data: bytes) -> tuple[int, bytes]:
    """(encoding, stored bytes): zlib, unless a sample shows the data hardly compresses (the
    base64 of a PNG only loses base64's own third, and costs most of a checkpoint's time)."""
    if len(data) > PART_SAMPLE * 4:
        sample = data[len(data) // 2 : len(data) // 2 + PART_SAMPLE]
        if len(zlib.compress(sample, 1)) > PART_SAMPLE * 0.7:
            return 0, data
    return 1, zlib.compress(data, 1)


def decode_part(encoding: int, data: bytes) -> bytes:
    """The bytes of a part stored by ``encode_part``."""
    return zlib.decompress(data) if encoding else bytes(data)


def batched(items: list[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the bound parameters one statement may take)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _values(rows: Iterable[tuple[str, str, str, str | None]]) -> Iterator[tuple[str, str, Any]]:
    for uid, path, ftype, raw in rows:
        yield uid, path, decode_value(FieldType(ftype), raw, raw_datetime=True)


def _checkpoint_row(info: CheckpointInfo) -> tuple[Any, ...]:
    return (
        info.id, info.notebook_id, info.seq, info.parent_id, info.path, info.summary, info.body,
        info.author, info.created, info.manifest, json.dumps(list(info.runs)),
        json.dumps(info.stats),
    )  # fmt: skip


def _checkpoint(project: str, row: Sequence[Any]) -> CheckpointInfo:
    cid, nid, seq, parent, path, summary, body, author, created, manifest, runs, stats = row
    return CheckpointInfo(
        cid, project, nid, seq, parent, path, summary, body, author, created, manifest,
        tuple(json.loads(runs)), json.loads(stats),
    )  # fmt: skip
