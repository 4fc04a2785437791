"""The tracking server's store: the Store interface over SQLAlchemy (SQLite or PostgreSQL).

Writes follow the same rules as the local store (nepnb.store.applier does the work);
series are chunked the same way and downsampled chunk by chunk (nepnb.store.chunks).
Nothing lives in the process that another process needs: counters, applied batch ids and
locks are in the database (a row lock on the object on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite), so several server processes can share one database and one blob folder.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from functools import cache, partial
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from nepnb.exceptions import (
    CheckpointNotFound,
    Conflict,
    MissingField,
    ObjectNotFound,
    ProjectNotFound,
    StorageLimitExceeded,
)
from nepnb.server import tables as t
from nepnb.server.database import WRITE
from nepnb.store.applier import (
    SIZE_FIELD,
    Applier,
    NeedSavepoints,
    batch_bytes,
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
    TrashUsage,
    require_float_series,
    require_parts,
    validate_project_name,
)
from nepnb.store.blobs import Blobs, file_digest, open_blobs
from nepnb.store.chunks import chunked_buckets, series_of_chunks
from nepnb.store.downsample import SeriesBuckets, check_request
from nepnb.store.field_types import FieldType
from nepnb.store.local import encode_part
from nepnb.store.operations import Batch
from nepnb.store.references import files_named, parts_reached

_RETRIES = 5


class SQLStore(Store):
    """Tracking data in the database of ``engine``, blobs in ``blobs`` (a folder or s3://)."""

    kind = "sql"

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
    def get_project(self, name: str, *, create: bool = False) -> ProjectInfo:
        validate_project_name(name)
        with self._read() as con:
            row = con.execute(
                select(t.projects.c.name, t.projects.c.key).where(t.projects.c.name == name)
            ).first()
        if row:
            return ProjectInfo(*row)
        if not create:
            known = ", ".join(p.name for p in self.list_projects()) or "none yet"
            raise ProjectNotFound(f"no project {name!r} on this server (projects: {known})")
        return self._retrying(partial(self._create_project, name, None, exists_ok=True))

    def create_project(self, name: str, *, key: str | None = None) -> ProjectInfo:
        validate_project_name(name)
        return self._retrying(partial(self._create_project, name, key, exists_ok=False))

    def _create_project(self, name: str, key: str | None, *, exists_ok: bool) -> ProjectInfo:
        with self._write() as con:
            row = con.execute(
                select(t.projects.c.name, t.projects.c.key).where(t.projects.c.name == name)
            ).first()
            if row:
                if not exists_ok:
                    raise Conflict(f"the project {name!r} exists already")
                return ProjectInfo(*row)
            taken = set(con.execute(select(t.projects.c.key)).scalars())
            key = chosen_key(key, taken, name.split("/")[1])
            con.execute(insert(t.projects).values(name=name, key=key, created=time.time()))
            return ProjectInfo(name, key)

    def delete_project(self, name: str) -> None:
        """See ``Store.delete_project``; its members' roles go too."""
        with self._write() as con:
            project_id, _ = self.project_id(con, name, lock=True)
            objects = select(t.objects.c.uid).where(t.objects.c.project_id == project_id)
            for table in (t.series_chunks, t.fields, t.applied_batches):
                con.execute(delete(table).where(table.c.object_uid.in_(objects)))
            for table in (
                t.objects, t.counters, t.checkpoints, t.notebooks, t.project_members,
                t.blob_projects,
            ):  # fmt: skip
                con.execute(delete(table).where(table.c.project_id == project_id))
            con.execute(delete(t.projects).where(t.projects.c.id == project_id))

    def list_projects(self) -> list[ProjectInfo]:
        with self._read() as con:
            rows = con.execute(
                select(t.projects.c.name, t.projects.c.key).order_by(t.projects.c.name)
            )
            return [ProjectInfo(*row) for row in rows]

    def project_id(self, con: Connection, name: str, *, lock: bool = False) -> tuple[int, str]:
        """(id, key) of the project ``name``; ProjectNotFound if there is none."""
        query = select(t.projects.c.id, t.projects.c.key).where(t.projects.c.name == name)
        row = con.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise ProjectNotFound(f"no project {name!r} on this server")
        return row[0], row[1]

    def project_of(self, uid: str) -> str:
        """The project name of the object ``uid``; ObjectNotFound if there is none."""
        with self._read() as con:
            name = con.execute(
                select(t.projects.c.name)
                .join(t.objects, t.objects.c.project_id == t.projects.c.id)
                .where(t.objects.c.uid == uid)
            ).scalar()
        if name is None:
            raise ObjectNotFound(f"no object {uid} on this server")
        return name

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
        """See ``Store.create_object``; ``uid``: the new object's, chosen by the caller (so
        that a retried creation finds the object its first attempt made)."""
        self.get_project(project, create=True)
        if uid is not None:
            existing = self._object_by_uid(uid)
            if existing is not None:
                return existing
        return self._retrying(
            partial(self._create, project, kind, custom_run_id, model_key, model_id, initial, uid)
        )

    def _object_by_uid(self, uid: str) -> ObjectInfo | None:
        with self._read() as con:
            row = con.execute(
                select(
                    t.objects.c.uid,
                    t.projects.c.name,
                    t.objects.c.kind,
                    t.objects.c.sys_id,
                    t.objects.c.custom_run_id,
                )
                .join(t.projects, t.projects.c.id == t.objects.c.project_id)
                .where(t.objects.c.uid == uid)
            ).first()
        if row is None:
            return None
        return ObjectInfo(row[0], row[1], ObjectKind(row[2]), row[3], row[4], created=False)

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
        with self._write() as con:
            # The project row lock orders the creations of one project (counters, keys).
            project_id, key = self.project_id(con, project, lock=True)
            o = t.objects.c
            where: Any = None
            if kind is ObjectKind.PROJECT:
                where = o.kind == kind.value
            elif kind is ObjectKind.RUN and custom_run_id:
                where = and_(o.kind == kind.value, o.custom_run_id == custom_run_id)
            elif kind is ObjectKind.MODEL:
                where = and_(o.kind == kind.value, o.sys_id == f"{key}-{model_key}")
            if where is not None:
                row = con.execute(
                    select(o.uid, o.sys_id, o.custom_run_id).where(
                        o.project_id == project_id, where
                    )
                ).first()
                if row is not None:
                    return ObjectInfo(row[0], project, kind, row[1], row[2], created=False)
            if kind is ObjectKind.PROJECT:
                sys_id = key
            elif kind is ObjectKind.MODEL:
                sys_id = f"{key}-{model_key}"
            elif kind is ObjectKind.MODEL_VERSION:
                sys_id = f"{model_id}-{_next_number(con, project_id, f'version:{model_id}')}"
            else:
                sys_id = f"{key}-{_next_number(con, project_id, 'run')}"
            uid = uid or new_uid()
            now = time.time()
            con.execute(
                insert(t.objects).values(
                    uid=uid,
                    project_id=project_id,
                    kind=kind.value,
                    sys_id=sys_id,
                    custom_run_id=custom_run_id,
                    model_id=model_id,
                    created=now,
                )
            )
            applier = _SQLApplier(con, uid)
            applier.set_raw("sys/id", FieldType.STRING, sys_id)
            applier.set_raw("sys/creation_time", FieldType.DATETIME, now)
            applier.set_raw("sys/modification_time", FieldType.DATETIME, now)
            if initial is not None:
                applier.apply(initial)
            applier.flush()
            return ObjectInfo(uid, project, kind, sys_id, custom_run_id, created=True)

    def find_object(
        self, project: str, *, sys_id: str | None = None, custom_run_id: str | None = None
    ) -> ObjectInfo:
        validate_project_name(project)
        o = t.objects.c
        if sys_id is not None:
            where, what = o.sys_id == sys_id.upper(), f"id {sys_id!r}"
        elif custom_run_id is not None:
            where, what = o.custom_run_id == custom_run_id, f"custom_run_id {custom_run_id!r}"
        else:
            raise ValueError("find_object needs sys_id or custom_run_id")
        with self._read() as con:
            row = con.execute(
                select(o.uid, o.kind, o.sys_id, o.custom_run_id)
                .join(t.projects, t.projects.c.id == o.project_id)
                .where(t.projects.c.name == project, where)
            ).first()
        if row is None:
            raise ObjectNotFound(
                f"no object with {what} in project {project!r}. "
                "Check the id and the project (NEPTUNE_PROJECT or project=...)."
            )
        return ObjectInfo(row[0], project, ObjectKind(row[1]), row[2], row[3])

    def list_objects(
        self, project: str, kind: ObjectKind, *, model_id: str | None = None
    ) -> list[ObjectInfo]:
        o = t.objects.c
        query = (
            select(o.uid, o.sys_id, o.custom_run_id)
            .join(t.projects, t.projects.c.id == o.project_id)
            .where(t.projects.c.name == project, o.kind == kind.value)
        )
        if model_id is not None:
            query = query.where(o.model_id == model_id)
        with self._read() as con:
            rows = con.execute(query.order_by(o.created, o.sys_id)).all()
        return [ObjectInfo(uid, project, kind, sys_id, custom) for uid, sys_id, custom in rows]

    # trash ---------------------------------------------------------------------------
    def list_trash(self, project: str) -> list[ObjectInfo]:
        o, f = t.objects.c, t.fields.c
        with self._read() as con:
            project_id, _ = self.project_id(con, project)
            rows = con.execute(
                select(o.uid, o.kind, o.sys_id, o.custom_run_id)
                .join(t.fields, and_(f.object_uid == o.uid, f.path == TRASHED_FIELD))
                .where(o.project_id == project_id, f.value == "true")
                .order_by(o.created, o.sys_id)
            ).all()
        return [ObjectInfo(uid, project, ObjectKind(k), sid, c) for uid, k, sid, c in rows]

    def _set_trashed(self, uids: list[str], trashed: bool) -> None:
        with self._write() as con:
            # Locked, and only those that still exist (one may be deleted meanwhile).
            found = con.execute(
                select(t.objects.c.uid).where(t.objects.c.uid.in_(uids)).with_for_update()
            ).scalars()
            for uid in list(found):
                applier = _SQLApplier(con, uid)
                applier.set_raw(TRASHED_FIELD, FieldType.BOOL, trashed)
                applier.flush()

    def _delete_trashed(self, project: str, uids: list[str]) -> None:
        f, o = t.fields.c, t.objects.c
        with self._write() as con:
            project_id, _ = self.project_id(con, project, lock=True)
            # Every object of the project locked: no batch is being applied to them (nor to
            # those deleted), so what still names a file is known until this commits.
            con.execute(select(o.uid).where(o.project_id == project_id).with_for_update()).all()
            named: dict[str, float] = {}  # digest -> last write of a deleted object naming it
            for chunk in _chunks(uids, 400):
                still = list(
                    con.execute(
                        select(f.object_uid).where(
                            f.object_uid.in_(chunk), f.path == TRASHED_FIELD, f.value == "true"
                        )
                    ).scalars()
                )
                if not still:
                    continue
                written = _last_writes(con, still)
                for uid, digests in _files_of(con, still).items():
                    for digest in digests:
                        named[digest] = max(named.get(digest, 0.0), written[uid])
                for table in (t.series_chunks, t.fields, t.applied_batches):
                    con.execute(delete(table).where(table.c.object_uid.in_(still)))
                con.execute(delete(t.objects).where(o.uid.in_(still)))
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
            for chunk in _chunks(trashed, 400):
                rows = con.execute(select(o.uid, o.used_bytes).where(o.uid.in_(chunk)))
                each.update((uid, int(used)) for uid, used in rows)
                for uid, digests in _files_of(con, chunk).items():
                    for digest in digests:
                        namers.setdefault(digest, set()).add(uid)
            sizes: dict[str, int] = {}
            for chunk in _chunks(sorted(namers), 500):
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
            try:
                return self._apply(uid, batch, savepoints=False)
            except NeedSavepoints:  # rolled back: again, each operation on its own
                return self._apply(uid, batch, savepoints=True)
        except IntegrityError:
            # The same batch, applied at the same moment through another connection.
            return ApplyResult(duplicate=True)

    def _apply(self, uid: str, batch: Batch, *, savepoints: bool) -> ApplyResult:
        with self._write() as con:
            # The batch id first: a batch applied before (or right now, by another
            # connection, which this insert waits for) is a duplicate.
            recorded = con.execute(
                _batch_insert(con.dialect.name).values(
                    batch_id=batch.batch_id, object_uid=uid, applied=time.time()
                )
            ).first()
            if recorded is None:
                return ApplyResult(duplicate=True)
            # Lock the object: the writes of one object are applied one batch at a time.
            o, p = t.objects.c, t.projects.c
            found = con.execute(
                select(p.id, p.name, p.storage_limit)
                .join(t.projects, p.id == o.project_id)
                .where(o.uid == uid)
                .with_for_update(of=t.objects)
            ).first()
            if found is None:
                raise ObjectNotFound(f"no object {uid} on this server")
            self._count_use(con, uid, *found, batch)
            applier = _SQLApplier(con, uid)
            rejected = applier.apply(batch, savepoints=savepoints)
            if not only_pings(batch):  # a heartbeat is not a modification
                applier.set_raw("sys/modification_time", FieldType.DATETIME, time.time())
            try:
                applier.flush()
            except Exception as error:
                if savepoints:
                    raise
                raise NeedSavepoints("(batch)") from error
            return ApplyResult(rejected)

    @staticmethod
    def _count_use(
        con: Connection, uid: str, project_id: int, name: str, limit: int | None, batch: Batch
    ) -> None:
        """Add the batch's bytes to its object's use (its row is locked already); if the
        project has a storage limit, StorageLimitExceeded (nothing stored) when its use
        would pass it. Concurrent writes to other objects may pass the limit by their own
        size: it is checked, not reserved."""
        size = batch_bytes(batch)
        _check_limit(con, project_id, size, f"this batch ({size:,} bytes)", known=(name, limit))
        o = t.objects.c
        con.execute(update(t.objects).where(o.uid == uid).values(used_bytes=o.used_bytes + size))

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
        f = t.fields.c
        uid_list = list(uids)
        path_list = None if paths is None else list(paths)
        result: dict[str, dict[str, FieldInfo]] = {}
        with self._read() as con:
            for uid_chunk in _chunks(uid_list, 400):
                query = select(f.object_uid, f.path, f.type, f.value).where(
                    f.object_uid.in_(uid_chunk)
                )
                if prefix is not None:
                    query = query.where(f.path >= prefix + "/", f.path < prefix + "0")
                path_chunks: list[list[str] | None] = (
                    [None] if path_list is None else list(_chunks(path_list, 400))
                )
                for path_chunk in path_chunks:
                    chunk_query = (
                        query if path_chunk is None else query.where(f.path.in_(path_chunk))
                    )
                    for obj, path, ftype, raw in con.execute(chunk_query):
                        kind = FieldType(ftype)
                        info = FieldInfo(path, kind, decode_value(kind, raw))
                        result.setdefault(obj, {})[path] = info
                wants_size = (path_list is None or SIZE_FIELD in path_list) and (
                    prefix is None or SIZE_FIELD.startswith(prefix + "/")
                )
                if wants_size:
                    for obj, size in self._sizes(con, uid_chunk).items():
                        info = FieldInfo(SIZE_FIELD, FieldType.FLOAT, float(size))
                        result.setdefault(obj, {})[SIZE_FIELD] = info
        return result

    @staticmethod
    def _sizes(con: Connection, uids: list[str]) -> dict[str, int]:
        """sys/size of objects, computed when read: bytes of their values, series and files
        (counted as the local store counts them)."""
        f, c = t.fields.c, t.series_chunks.c
        # Objects that exist only: a deleted one has no size (nor any field).
        sizes = dict.fromkeys(
            con.execute(select(t.objects.c.uid).where(t.objects.c.uid.in_(uids))).scalars(), 0
        )
        rows = con.execute(
            select(f.object_uid, f.path, f.type, f.value).where(f.object_uid.in_(uids))
        )
        for uid, path, ftype, raw in rows:
            if path.startswith("sys/") or uid not in sizes:
                continue
            kind = FieldType(ftype)
            if kind is FieldType.FLOAT_SERIES:
                sizes[uid] += 24 * int(json.loads(raw).get("count") or 0)
                continue
            sizes[uid] += len(raw or "")
            value = json.loads(raw) if raw else None
            if kind is FieldType.FILE and isinstance(value, dict):
                sizes[uid] += int(value.get("size") or 0)
            elif kind is FieldType.FILE_SET and isinstance(value, dict):
                sizes[uid] += sum(int((ref or {}).get("size") or 0) for ref in value.values())
        chunk_bytes = (
            select(
                c.object_uid,
                func.sum(func.length(c.steps) + func.length(c.vals) + func.length(c.times)),
            )
            .join(t.fields, and_(f.object_uid == c.object_uid, f.path == c.path))
            .where(
                c.object_uid.in_(uids),
                f.type.in_([FieldType.STRING_SERIES.value, FieldType.FILE_SERIES.value]),
            )
            .group_by(c.object_uid)
        )
        for uid, size in con.execute(chunk_bytes):
            if uid in sizes:
                sizes[uid] += int(size or 0)
        return sizes

    def _series_type(self, con: Connection, uid: str, path: str) -> tuple[FieldType, Any] | None:
        f = t.fields.c
        row = con.execute(
            select(f.type, f.value).where(f.object_uid == uid, f.path == path)
        ).first()
        return None if row is None else (FieldType(row[0]), row[1])

    def read_series(self, uid: str, path: str) -> SeriesData:
        c = t.series_chunks.c
        with self._read() as con:
            found = self._series_type(con, uid, path)
            if found is None or not found[0].is_series:
                raise MissingField(path)
            kind = found[0]
            rows = con.execute(
                select(c.steps, c.vals, c.times)
                .where(c.object_uid == uid, c.path == path)
                .order_by(c.seq)
            ).all()
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
        start, end = check_request(buckets, x_axis, start, end)
        column = "steps" if x_axis == "step" else "times"
        with self._read() as con:
            found = self._series_type(con, uid, path)
            require_float_series(path, None if found is None else found[0])
            assert found is not None
            total = int(json.loads(found[1]).get("count") or 0)
            return chunked_buckets(
                partial(_chunk_at, con, uid, path, column=column),
                partial(_read_chunks, con, uid, path, column),
                total,
                buckets,
                x_axis,
                start,
                end,
            )

    def series_extent(self, uid: str, path: str) -> tuple[float, float] | None:
        with self._read() as con:
            found = self._series_type(con, uid, path)
            if found is None or not found[0].is_series:
                raise MissingField(path)
            first = _chunk_at(con, uid, path, None)
            last = _chunk_at(con, uid, path, None, last=True)
        return None if first is None or last is None else (first[1], last[2])

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
            for chunk in _chunks(wanted, 500):
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
            for chunk in _chunks(sorted(digests), 500):
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
            for chunk in _chunks(sorted(sizes), 500):
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
            for chunk in _chunks(sorted(known), 500):
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

    def _store_parts(self, parts: Mapping[str, bytes], digests: Iterable[str]) -> set[str]:
        """Store the parts of ``digests`` not stored yet; returns their digests."""
        missing = self._unstored_parts(digests)
        if not missing:
            return missing
        with self._write() as con:
            for digest in sorted(missing):
                data = parts[digest]
                encoding, packed = encode_part(data)
                try:
                    with con.begin_nested():
                        con.execute(
                            insert(t.parts).values(
                                digest=digest, size=len(data), encoding=encoding, data=packed
                            )
                        )
                except IntegrityError:  # stored meanwhile by another request
                    pass
        return missing

    def missing_parts(self, digests: Iterable[str], *, project: str | None = None) -> set[str]:
        wanted = set(digests)
        missing = self._unstored_parts(wanted)
        if project is not None:  # a project's are those it uploaded
            missing |= wanted - self.held(project, wanted)
        return missing

    def _unstored_parts(self, digests: Iterable[str]) -> set[str]:
        wanted = set(digests)
        with self._read() as con:
            for chunk in _chunks(sorted(wanted), 500):
                found = con.execute(select(t.parts.c.digest).where(t.parts.c.digest.in_(chunk)))
                wanted.difference_update(found.scalars())
        return wanted

    def get_parts(self, digests: Iterable[str], *, project: str | None = None) -> dict[str, bytes]:
        wanted = set(digests)
        if project is not None:
            wanted &= self.held(project, wanted)
        p = t.parts.c
        found: dict[str, bytes] = {}
        with self._read() as con:
            for chunk in _chunks(sorted(wanted), 500):
                rows = con.execute(select(p.digest, p.encoding, p.data).where(p.digest.in_(chunk)))
                found.update(
                    (digest, zlib.decompress(data) if encoding else bytes(data))
                    for digest, encoding, data in rows
                )
        return require_parts(set(digests), found, "the server's database")

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
        c = t.checkpoints.c
        with self._write() as con:
            project_id, _ = self.project_id(con, project, lock=True)
            now = time.time()
            latest = con.execute(
                select(c.id, c.seq)
                .where(c.project_id == project_id, c.notebook_id == notebook_id)
                .order_by(c.seq.desc())
                .limit(1)
            ).first()
            parent_id, seq = (latest[0], latest[1] + 1) if latest else (None, 1)
            seed = f"{project}|{notebook_id}|{seq}|{manifest}|{now}|{uuid.uuid4().hex}"
            checkpoint_id = hashlib.sha256(seed.encode()).hexdigest()[:12]
            con.execute(
                insert(t.checkpoints).values(
                    id=checkpoint_id, project_id=project_id, notebook_id=notebook_id, seq=seq,
                    parent_id=parent_id, path=path, summary=summary, body=body, author=author,
                    created=now, manifest=manifest, runs=json.dumps(list(run_list)),
                    stats=json.dumps(stats),
                )
            )  # fmt: skip
            n = t.notebooks.c
            updated = con.execute(
                update(t.notebooks)
                .where(n.project_id == project_id, n.notebook_id == notebook_id)
                .values(path=path, updated=now)
            )
            if not updated.rowcount:
                con.execute(
                    insert(t.notebooks).values(
                        project_id=project_id,
                        notebook_id=notebook_id,
                        path=path,
                        created=now,
                        updated=now,
                    )
                )
        return CheckpointInfo(
            checkpoint_id, project, notebook_id, seq, parent_id, path, summary, body, author,
            now, manifest, run_list, stats,
        )  # fmt: skip

    def _checkpoints(self, project: str, *where: Any, limit: int | None = None) -> list[Any]:
        c = t.checkpoints.c
        query = (
            select(
                c.id,
                c.notebook_id,
                c.seq,
                c.parent_id,
                c.path,
                c.summary,
                c.body,
                c.author,
                c.created,
                c.manifest,
                c.runs,
                c.stats,
            )
            .join(t.projects, t.projects.c.id == c.project_id)
            .where(t.projects.c.name == project, *where)
            .order_by(c.seq.desc())
        )
        with self._read() as con:
            rows = con.execute(query if limit is None else query.limit(limit)).all()
        return [
            CheckpointInfo(
                cid,
                project,
                nid,
                seq,
                parent,
                path,
                summary,
                body,
                author,
                created,
                manifest,
                tuple(json.loads(runs)),
                json.loads(stats),
            )
            for cid, nid, seq, parent, path, summary, body, author, created, manifest, runs, stats in rows
        ]

    def list_checkpoints(self, project: str, notebook_id: str) -> list[CheckpointInfo]:
        return self._checkpoints(project, t.checkpoints.c.notebook_id == notebook_id)

    def get_checkpoint(self, project: str, checkpoint_id: str) -> CheckpointInfo:
        prefix = checkpoint_id.strip().lower()
        if len(prefix) < 4 or not re.fullmatch(r"[0-9a-f]+", prefix):
            raise CheckpointNotFound(
                f"{checkpoint_id!r} is not a checkpoint id: give at least 4 of its hex "
                "characters (`nepnb checkpoint list NOTEBOOK` shows them)"
            )
        c = t.checkpoints.c
        found = self._checkpoints(project, c.id >= prefix, c.id < prefix + "g", limit=2)
        if not found:
            raise CheckpointNotFound(f"no checkpoint {checkpoint_id!r} in project {project!r}")
        if len(found) > 1:
            raise CheckpointNotFound(
                f"{checkpoint_id!r} matches several checkpoints; give more of its characters"
            )
        return found[0]

    def list_notebooks(self, project: str) -> list[NotebookInfo]:
        return self._notebooks(project)

    def get_notebook(self, project: str, notebook_id: str) -> NotebookInfo | None:
        return next(iter(self._notebooks(project, notebook_id)), None)

    def _notebooks(self, project: str, notebook_id: str | None = None) -> list[NotebookInfo]:
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
        with self._read() as con:
            return [NotebookInfo(project, *row) for row in con.execute(query)]


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

    def set_raw(self, path: str, ftype: FieldType, value: Any) -> None:
        """Set a field outside any operation (sys/ fields the store maintains)."""
        self._set(path, ftype, value)

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
        for chunk in _chunks(paths, 400):
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
def _fields_upsert(dialect: str) -> Any:
    """INSERT into fields that replaces the type and value of a field that exists."""
    statement = _dialect_insert(dialect)(t.fields)
    return statement.on_conflict_do_update(
        index_elements=[t.fields.c.object_uid, t.fields.c.path],
        set_={"type": statement.excluded.type, "value": statement.excluded.value},
    )


def _chunk_at(
    con: Connection,
    uid: str,
    path: str,
    seq: int | None,
    *,
    last: bool = False,
    column: str = "steps",
) -> tuple[int, float, float] | None:
    """``(seq, first x, last x)`` of the first chunk at or after ``seq`` (see
    nepnb.store.chunks), reading 16 bytes of it, not the chunk."""
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
    found = con.execute(query.limit(1)).first()
    if found is None:
        return None
    first = float(np.frombuffer(bytes(found[1]), dtype=np.float64)[0])
    final = float(np.frombuffer(bytes(found[2]), dtype=np.float64)[0])
    return found[0], first, final


def _read_chunks(
    con: Connection, uid: str, path: str, column: str, seqs: tuple[int, int]
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The x (steps or times) and values of the chunks in the closed range ``seqs``."""
    c = t.series_chunks.c
    x = c.steps if column == "steps" else c.times
    rows = con.execute(
        select(x, c.vals)
        .where(c.object_uid == uid, c.path == path, c.seq >= seqs[0], c.seq <= seqs[1])
        .order_by(c.seq)
    )
    for xs, ys in rows:
        yield np.frombuffer(xs, dtype=np.float64), np.frombuffer(ys, dtype=np.float64)


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
    for chunk in _chunks(sorted(named), 500):
        rows = con.execute(
            select(b.digest, b.created).where(b.project_id == project_id, b.digest.in_(chunk))
        )
        candidates.update(d for d, created in rows if created <= max(named[d], recent))
    candidates -= _named_elsewhere(con, project_id, candidates)
    for chunk in _chunks(sorted(candidates), 500):
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
    for chunk in _chunks(others, 400):
        for named in _files_of(con, chunk).values():
            found |= named & digests
    parts = t.parts.c
    for chunk in _chunks(sorted(digests - found), 500):  # only a stored part is a checkpoint's
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
            raw = zlib.decompress(data) if encoding else bytes(data)
            try:
                yield digest, size, json.loads(raw)
            except ValueError:  # a source, an image
                yield digest, size, None

    return parts_reached(set(manifests), read)


def _next_number(con: Connection, project_id: int, scope: str) -> int:
    """The next number of ``scope`` in the project (call with the project row locked)."""
    c = t.counters.c
    number = con.execute(
        select(c.next).where(c.project_id == project_id, c.scope == scope)
    ).scalar()
    if number is None:
        con.execute(insert(t.counters).values(project_id=project_id, scope=scope, next=2))
        return 1
    con.execute(
        update(t.counters)
        .where(c.project_id == project_id, c.scope == scope)
        .values(next=number + 1)
    )
    return int(number)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
