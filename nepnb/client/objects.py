"""The objects users open: Run, Project, Model and ModelVersion, and what they share."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import weakref
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nepnb.client import heartbeat
from nepnb.client.attributes import Attribute, attribute_of
from nepnb.client.buffers import Pipeline, SeriesBuffer, SeriesState
from nepnb.client.delivery import Writer
from nepnb.client.handler import Handler, PreparedPoints, warn_dropped
from nepnb.client.paths import parents, validate_path
from nepnb.client.queue import OperationQueue
from nepnb.exceptions import (
    FieldTypeConflict,
    InactiveObject,
    InvalidPath,
    InvalidValue,
    MissingField,
    NotAvailableInMode,
    ReadOnlyMode,
)
from nepnb.store.applier import SIZE_FIELD
from nepnb.store.base import FieldInfo, ObjectInfo, ObjectKind, SeriesData, Store
from nepnb.store.field_types import FieldType
from nepnb.store.liveness import AliveLock
from nepnb.store.operations import Operation, OpKind

log = logging.getLogger("nepnb")

#: sys/ fields users may write.
WRITABLE_SYS = frozenset({"sys/name", "sys/description", "sys/tags", "sys/group_tags"})
STAGES = ("none", "staging", "production", "archived")
#: Field types whose value ``fetch()`` returns.
FETCHABLE = frozenset(
    {
        FieldType.FLOAT,
        FieldType.INT,
        FieldType.BOOL,
        FieldType.STRING,
        FieldType.DATETIME,
        FieldType.STRING_SET,
        FieldType.RUN_STATE,
        FieldType.GIT_REF,
        FieldType.NOTEBOOK_REF,
        FieldType.ARTIFACT,
    }
)


@dataclass
class Connection:
    """Where an object lives and how its writes get there (built by nepnb.client.init)."""

    mode: str
    project: str
    kind: ObjectKind
    store: Store | None
    info: ObjectInfo | None
    make_writer: Callable[[NeptuneObject], Writer] | None
    queue: OperationQueue | None = None
    resumed: bool = False
    initial_fields: list[Operation] = field(default_factory=list)  # when there is no store
    shared: bool = False  # other processes may write this object (custom_run_id)
    alive: AliveLock | None = None  # held while the object is open for writing (local store)


class NeptuneObject:
    """What runs, projects, models and model versions share: fields at paths."""

    _kind_label = "object"
    _kind: ObjectKind = ObjectKind.RUN

    def __init__(self, connection: Connection) -> None:
        self._mode = connection.mode
        self._project = connection.project
        self._store = connection.store
        self._info = connection.info
        self._queue = connection.queue
        self._types: dict[str, FieldType] = {}
        self._namespaces: set[str] = set()
        self._handlers: dict[str, Handler] = {}
        self._pid = os.getpid()
        self._pipeline = Pipeline()
        self._series: dict[str, SeriesState] = self._pipeline.series
        self._state = "started"
        self._stop_lock = threading.Lock()
        self._sync = connection.mode == "sync"
        self._alive = connection.alive
        # sys/name as opened or last assigned here; read from the store when first asked
        self._name: str | None = next(
            (
                op.value
                for op in reversed(connection.initial_fields)
                if op.path == "sys/name" and isinstance(op.value, str)
            ),
            None,
        )
        # Points appended without a step are numbered by the store when other processes
        # may write the same series (custom_run_id), or when the stored steps are unknown
        # (an offline object opened with with_id).
        self._store_numbers_steps = connection.shared or (
            connection.mode == "offline" and connection.resumed
        )
        if self._store is not None and self._info is not None:
            self._load_structure()
        else:
            for op in connection.initial_fields:
                if op.type is not None:
                    self._claim(op.path, op.type)
        # Read-only objects get the base writer: writes are refused before they reach it.
        self._writer: Writer = (
            connection.make_writer(self)
            if connection.make_writer is not None
            else Writer(self._pipeline, self._label)
        )
        _OPEN_OBJECTS.add(self)
        if self._mode in ("async", "sync") and self._store is not None:
            heartbeat.start(self)  # sys/ping_time, while open

    # identity ------------------------------------------------------------------------
    @property
    def _sys_id(self) -> str | None:
        return self._info.sys_id if self._info is not None else None

    def _label(self) -> str:
        if self._sys_id:
            return f"{self._kind_label} {self._sys_id}"
        return f"{self._mode} {self._kind_label} in {self._project}"

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self._sys_id or '(' + self._mode + ')'} in {self._project}>"
        )

    # read-only views, for the layers above the client (kernel, widgets, jupyter) ----------
    @property
    def store(self) -> Store | None:
        """The store this object is read from (and written to); None offline and in debug mode."""
        return self._store

    @property
    def mode(self) -> str:
        """The connection mode: "async", "sync", "offline", "debug" or "read-only"."""
        return self._mode

    @property
    def project(self) -> str:
        """The project's ``workspace/project`` name."""
        return self._project

    @property
    def sys_id(self) -> str | None:
        """``sys/id`` (``CLS-12``); None while the object is in no store (offline, debug)."""
        return self._sys_id

    @property
    def info(self) -> ObjectInfo | None:
        """The object as its store knows it (uid, ``sys/id``); None while in no store."""
        return self._info

    @property
    def name(self) -> str | None:
        """``sys/name``: the name the object was opened with, or last given through
        ``obj["sys/name"] = ...`` in this process; read from the store once when the object
        was opened by id. None when it has none (debug mode without one, projects)."""
        if self._name is None and self._store is not None and self._info is not None:
            stored = self._store.get_fields(self._info.uid, ["sys/name"]).get("sys/name")
            if stored is not None and isinstance(stored.value, str):
                self._name = stored.value
        return self._name

    @property
    def kind_label(self) -> str:
        """What the object is, in words: "run", "model", "model version", "project"."""
        return self._kind_label

    @property
    def label(self) -> str:
        """The object in words for messages: "run CLS-12", or "offline run in team/cls"."""
        return self._label()

    def field_type(self, path: str) -> FieldType | None:
        """The type of the field at ``path`` as this object knows it (stored when it opened,
        or given by a write since); None for a path it has no field at."""
        return self._types.get(path)

    def pending_series(self, path: str) -> list[SeriesBuffer]:
        """The buffers of the series ``path`` not yet handed to the writer: the points a
        reader of the store does not see yet. Taken without the write lock (one C-level
        list copy, as :mod:`nepnb.widgets.series` explains), so it never slows a writer."""
        return [
            item
            for item in list(self._pipeline.pending)
            if isinstance(item, SeriesBuffer) and item.path == path
        ]

    def write_progress(self) -> tuple[int, int]:
        """``(handed, waiting)``: writes handed to the writer so far, and writes waiting in
        this object's pipeline; either changes when the object is written to."""
        return self._pipeline.drained, self._pipeline.size()

    def user_writes(self) -> int:
        """How many writes the user made so far (those nepnb makes itself not counted)."""
        return self._pipeline.user_writes()

    def queued_writes(self) -> int:
        """Writes made but not yet in the store (or the queue folder)."""
        return self._writer.queued()

    def writes_in_transit(self) -> bool:
        """True while writes taken from the pipeline are not in the store yet: a reader of
        both (a live chart) would miss them for now."""
        return self._writer.in_transit()

    def assign_internal(self, path: str, ftype: FieldType, value: Any) -> None:
        """Assign a field nepnb writes itself (cell capture, checkpoint links): not counted
        in ``user_writes``; nothing happens once the object is stopped or read-only."""
        self._assign_internal(path, ftype, value)

    def log_internal(self, path: str, ftype: FieldType, value: Any, step: float) -> bool:
        """Append a point nepnb logs itself (cell sources, outputs) at ``step``; False when
        it was not stored (stopped, read-only, or a step that does not increase).
        FieldTypeConflict if the user keeps something else at ``path``."""
        return self._log_internal(path, ftype, value, step)

    def get_url(self) -> str:
        """The address of this object: ``nepnb://<project>/<id>`` on the local store."""
        location = self._store.location if self._store is not None else "offline"
        return f"nepnb://{self._project}/{self._sys_id or 'unsynced'}?store={location}"

    def get_state(self) -> str:
        """ "started" until ``stop()``, then "stopped"."""
        return self._state

    def get_root_object(self) -> NeptuneObject:
        return self

    @property
    def container_type(self) -> ObjectKind:
        """What this object is (``.value``: "run", "project", "model", "model_version")."""
        return self._kind

    def ping(self) -> None:
        """Refresh ``sys/ping_time`` now (nepnb also does it on its own while the object is open)."""
        heartbeat._ping(self)

    # fields --------------------------------------------------------------------------
    def __getitem__(self, path: str) -> Handler:
        try:
            return self._handlers[path]  # the hot path: a dict lookup, no call
        except KeyError:
            handler = Handler(self, validate_path(path))
            self._handlers[path] = handler
            return handler

    def __setitem__(self, path: str, value: Any) -> None:
        self[path].assign(value)

    def __delitem__(self, path: str) -> None:
        self.pop(path)

    def __contains__(self, path: str) -> bool:
        return self.exists(path)

    def assign(self, value: dict[str, Any], wait: bool = False) -> None:
        """Assign a dict of values at the root: ``run.assign({"a": 1, "b": {"c": 2}})``."""
        from nepnb.client.values import is_namespace_value, namespace_items

        if not is_namespace_value(value):
            raise InvalidValue(
                f"{type(self).__name__}.assign() takes a dict of fields, not "
                f"{type(value).__name__}; to set one field use obj['path'] = value"
            )
        for key, item in namespace_items(value):
            self[key].assign(item)
        self._writer.after_call(wait)

    def pop(self, path: str, wait: bool = False) -> None:
        """Delete the field or namespace at ``path``."""
        path = validate_path(path)
        self._check_writable(path)
        prefix = path + "/"
        # A snapshot: another thread's first append may add a path meanwhile (iterating the
        # dict itself would fail with "dictionary changed size during iteration").
        known_paths = list(self._types)
        doomed = [p for p in known_paths if p == path or p.startswith(prefix)]
        if not doomed:
            raise MissingField(path, self._label())
        for known in doomed:
            self._types.pop(known, None)
            state = self._series.pop(known, None)
            if state is not None:
                self._retire(state)
        self._namespaces = {ns for p in list(self._types) for ns in parents(p)}
        self._enqueue(Operation(OpKind.DELETE, path))
        self._writer.after_call(wait)

    def get_attribute(self, path: str) -> Attribute | None:
        """The field at ``path`` as an attribute of its class (``FloatSeries``, ``String`` …,
        ``Namespace`` for a namespace), or None when there is none (Neptune's
        ``get_attribute``: not None exactly when ``exists(path)``)."""
        if not self.exists(path):
            return None
        path = validate_path(path)
        ftype = self._types.get(path)
        if ftype is None and path not in self._namespaces and self._store and self._info:
            info = self._store.get_fields(self._info.uid, [path]).get(path)
            ftype = info.type if info is not None else None
        return attribute_of(self, path, ftype)

    def define(self, path: str, value: Any, wait: bool = False) -> Handler:
        """Create the field at ``path`` with ``value``; InvalidValue if something is there."""
        path = validate_path(path)
        if self.exists(path):
            raise InvalidValue(
                f"'{path}' already exists in {self._label()}; define() only creates fields. "
                f"To change it, assign: obj['{path}'] = value"
            )
        handler = self[path]
        handler.assign(value, wait=wait)
        return handler

    def exists(self, path: str) -> bool:
        """Whether a field or namespace exists at ``path``."""
        path = validate_path(path)
        if path in self._types or path in self._namespaces:
            return True
        if self._store is None or self._info is None:
            return False
        self.wait()
        return bool(self._store.get_fields(self._info.uid, [path])) or bool(
            self._store.get_fields(self._info.uid, prefix=path)
        )

    def fetch(self) -> dict[str, Any]:
        """The values of every single-value field (not series or files), as a nested dict."""
        atoms = {p: i for p, i in self._all_fields().items() if i.type in FETCHABLE}
        return self._tree(atoms, self._present)

    def get_structure(self) -> dict[str, Any]:
        """The fields as a nested dict of attributes, each of its field's class."""
        return self._tree(self._structure(), lambda info: attribute_of(self, info.path, info.type))

    def _structure(self) -> dict[str, FieldInfo]:
        """Every field with its type: from the store, or (offline, debug) as written here."""
        if self._store is None or self._info is None:
            return {path: FieldInfo(path, ftype, None) for path, ftype in self._types.items()}
        return self._all_fields()

    def print_structure(self) -> None:
        """Print the namespaces and fields with their types."""

        def show(tree: dict[str, Any], indent: int) -> None:
            for key in sorted(tree):
                value = tree[key]
                if isinstance(value, dict):
                    print("    " * indent + f"'{key}':")
                    show(value, indent + 1)
                else:
                    print("    " * indent + f"'{key}': {value}")

        show(self._tree(self._structure(), lambda info: info.type.label), 0)

    @staticmethod
    def _tree(fields: dict[str, FieldInfo], leaf: Callable[[FieldInfo], Any]) -> dict[str, Any]:
        tree: dict[str, Any] = {}
        for path in sorted(fields):
            node = tree
            *heads, last = path.split("/")
            for head in heads:
                node = node.setdefault(head, {})
            node[last] = leaf(fields[path])
        return tree

    # lifecycle -----------------------------------------------------------------------
    def wait(self, disk_only: bool = False) -> None:
        """Block until every write so far is stored; raises RejectedOperations for refused ones."""
        self._writer.wait()

    def sync(self, wait: bool = True) -> None:
        """Wait for writes, then reload the field list from the store."""
        if wait:
            self.wait()
        if self._store is not None and self._info is not None:
            self._load_structure()

    def stop(self, seconds: float | None = None) -> None:
        """Flush every write and close the object. Calls after this raise InactiveObject."""
        with self._stop_lock:
            if self._state == "stopped":
                return
            if self._pid != os.getpid():
                # A forked child's copy of the parent's object: closing it here must neither
                # write to the parent's object nor release the parent's liveness lock.
                self._state = "stopped"
                return
            heartbeat.stop(self)
            try:
                self._before_stop()
            finally:
                self._state = "stopped"
                for state in self._series.values():
                    self._retire(state)
                self._series.clear()
                _OPEN_OBJECTS.discard(self)
                try:
                    self._writer.close()
                finally:
                    try:
                        self._after_stop()
                    finally:
                        # Only now, with the last writes stored: no longer open here.
                        if self._alive is not None:
                            self._alive.release()

    def _before_stop(self) -> None:
        """Subclass hook: last writes before the writer closes."""

    def _after_stop(self) -> None:
        """Subclass hook: after the writer closed."""

    def __enter__(self) -> NeptuneObject:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None and self._state != "stopped":
            self._on_exception(exc_type, exc, tb)
        self.stop()

    def _on_exception(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Subclass hook: an exception left the ``with`` block."""

    # used by handlers ----------------------------------------------------------------
    def _check_forked(self) -> None:
        if self._pid != os.getpid():
            raise InactiveObject(
                f"{self._label()} was opened in process {self._pid}, and this is a forked "
                f"process ({os.getpid()}); {self._reopen_hint('here')}"
            )

    def _reopen_hint(self, where: str = "") -> str:
        """How to write to this object again, in a new process or after ``stop()``."""
        if self._mode == "debug":
            return "a debug-mode object stores nothing and cannot be opened again; open a new one"
        if self._sys_id is None:
            return (
                "upload its queued data with `nepnb sync`, then open it again with "
                "with_id=<the id sync prints>"
            )
        if where:
            return f"open it again {where} with with_id='{self._sys_id}' or the same custom_run_id"
        return f"open it again with with_id='{self._sys_id}' to add more"

    def _check_writable(self, path: str) -> None:
        self._check_forked()
        if self._state == "stopped":
            raise InactiveObject(
                f"{self._label()} was stopped; cannot write '{path}'. {self._reopen_hint()}"
            )
        if self._mode == "read-only":
            raise ReadOnlyMode(
                f"{self._label()} is open in read-only mode; cannot write '{path}'. "
                "Open it with mode='async' (the default) to write."
            )
        if (path == "sys" or path.startswith("sys/")) and path not in WRITABLE_SYS:
            raise InvalidPath(
                f"'{path}' is set by nepnb and read-only; of sys/ you can write "
                f"{', '.join(sorted(WRITABLE_SYS))}"
            )

    def _assign_internal(self, path: str, ftype: FieldType, value: Any) -> None:
        """A write nepnb makes itself (sys/state, sys/failed, source_code/git …): no check of
        the sys/ rules, which are for users."""
        if self._state == "stopped" or self._mode == "read-only":
            return
        self._claim(path, ftype)
        self._pipeline.internal += 1
        self._enqueue(Operation(OpKind.ASSIGN, path, ftype, value))

    def _log_internal(self, path: str, ftype: FieldType, value: Any, step: float) -> bool:
        """A series point nepnb logs itself (cell capture); False if ``step`` does not
        increase. Raises FieldTypeConflict if the user keeps something else at ``path``."""
        if self._state == "stopped" or self._mode == "read-only":
            return False
        self._claim(path, ftype)
        state = self._series_state(path, ftype)
        with state.lock:
            if state.add(step, value, time.time()) is None:
                return False
            self._pipeline.internal += 1
        return True

    def _buffer_points(self, batch: dict[str, PreparedPoints]) -> None:
        """Queue checked points of several series: all of them, or (on a type clash) none."""
        for path, points in batch.items():
            self._claim(path, points.type, dry_run=True)
        for path, points in batch.items():
            self._claim(path, points.type)
            state = self._series_state(path, points.type)
            self[path]._use_series(state)  # the handler's hot path
            dropped: list[tuple[float, float]] = []
            with state.lock:
                for value, step, stamp in zip(
                    points.values, points.steps, points.timestamps, strict=True
                ):
                    if state.add(step, value, stamp) is None:
                        dropped.append((step, state.last()))  # type: ignore[arg-type]
            for step, last in dropped:
                self._drop_point(path, step, last)

    def _claim(self, path: str, ftype: FieldType, dry_run: bool = False) -> None:
        """Record that ``path`` holds ``ftype``; FieldTypeConflict if it holds something else."""
        existing = self._types.get(path)
        if existing is ftype:
            return
        if existing is not None:
            raise FieldTypeConflict(
                path, existing.label, ftype.label, hint=_conflict_hint(existing, ftype)
            )
        if path in self._namespaces:
            raise FieldTypeConflict(
                path, "namespace", ftype.label, hint=f"delete it first with del obj['{path}']"
            )
        for parent in parents(path):
            if parent in self._types:
                raise FieldTypeConflict(
                    parent,
                    self._types[parent].label,
                    f"namespace (for '{path}')",
                    hint=f"delete '{parent}' first",
                )
        if dry_run:
            return
        self._types[path] = ftype
        self._namespaces.update(parents(path))

    def _retire(self, state: SeriesState) -> None:
        """A series state no longer in use: its handler leaves the hot path."""
        state.retire()
        handler = self._handlers.get(state.path)
        if handler is not None:
            handler._leave_series(state)

    def _series_state(self, path: str, ftype: FieldType) -> SeriesState:
        with self._pipeline.lock:  # two threads appending first must share one state
            state = self._series.get(path)
            if state is None or state.type is not ftype:
                if state is not None:
                    self._retire(state)
                state = SeriesState(
                    self._pipeline, path, ftype, self._store_numbers_steps, sync=self._sync
                )
                self._series[path] = state
            return state

    def _enqueue(self, op: Operation) -> None:
        self._pipeline.add(op)

    def _drop_point(self, path: str, step: Any, last_step: float) -> None:
        warn_dropped(
            f"'{path}': step {step} was not stored: steps must increase (the last step is "
            f"{last_step:g}). Pass a larger step, or none to use the next one."
        )

    def _file_ref(self, file: Any, path: str) -> dict[str, Any]:
        if file.is_path_based and Path(file.path).is_file():
            # Streamed: a large file is never read into memory at once.
            digest, size = self._writer.put_blob_file(Path(file.path))
        else:
            data = file.read_bytes()
            digest, size = self._writer.put_blob(data), len(data)
        return {"digest": digest, "size": size, "extension": file.extension or ""}

    # reads ---------------------------------------------------------------------------
    def _readable(self) -> tuple[Store, str]:
        self._check_forked()
        if self._store is None or self._info is None:
            raise NotAvailableInMode(
                f"cannot read from a {self._mode} {self._kind_label}: its data is not in a store. "
                + (
                    "Debug mode stores nothing."
                    if self._mode == "debug"
                    else "Upload it with `nepnb sync`, then open it with mode='read-only'."
                )
            )
        if self._state != "stopped":
            self._writer.wait()
        return self._store, self._info.uid

    def _all_fields(self) -> dict[str, FieldInfo]:
        store, uid = self._readable()
        return store.get_fields(uid)

    def _fetch_field(self, path: str, required: bool = True) -> FieldInfo:
        store, uid = self._readable()
        info = store.get_fields(uid, [path]).get(path)
        if info is None and required:
            raise MissingField(path, self._label())
        return info  # type: ignore[return-value]

    def _fetch_value_or_none(self, path: str, ftype: FieldType) -> Any:
        if self._store is None or self._info is None or path not in self._types:
            return None
        info = self._fetch_field(path, required=False)
        return info.value if info is not None and info.type is ftype else None

    def _fetch_namespace(self, path: str) -> dict[str, Any] | None:
        store, uid = self._readable()
        fields = store.get_fields(uid, prefix=path)
        if not fields:
            return None
        cut = len(path) + 1
        relative = {
            p[cut:]: FieldInfo(p[cut:], i.type, i.value)
            for p, i in fields.items()
            if i.type in FETCHABLE
        }
        return self._tree(relative, self._present)

    def _read_series(self, path: str) -> SeriesData:
        store, uid = self._readable()
        info = store.get_fields(uid, [path]).get(path)
        if info is None:
            raise MissingField(path, self._label())
        if not info.type.is_series:
            raise FieldTypeConflict(
                path, info.type.label, "series read (fetch_values)", hint="use fetch()"
            )
        return store.read_series(uid, path)

    def _present(self, info: FieldInfo, series_last: bool = False) -> Any:
        """The value users get from ``fetch()`` for a stored field."""
        if info.type is FieldType.STRING_SET:
            return set(info.value)
        if info.type is FieldType.RUN_STATE:
            return "Active" if info.value == "running" else "Inactive"
        if info.type.is_series:
            if series_last:
                return info.value.get("last")
            raise FieldTypeConflict(
                info.path, info.type.label, "fetch()", hint="use fetch_last() or fetch_values()"
            )
        if info.type is FieldType.FILE:
            raise FieldTypeConflict(info.path, "File", "fetch()", hint="use download()")
        if info.type is FieldType.FILE_SET:
            raise FieldTypeConflict(
                info.path, "FileSet", "fetch()", hint="use download() or list_fileset_files()"
            )
        return info.value

    def _download(self, path: str, destination: str | None, *, last_only: bool) -> None:
        store, uid = self._readable()
        info = self._fetch_field(path)
        name = path.split("/")[-1]
        if info.type is FieldType.FILE:
            target = _target_file(destination, f"{name}.{info.value['extension']}".rstrip("."))
            store.copy_blob_to(info.value["digest"], target)
        elif info.type is FieldType.FILE_SET:
            target = _target_file(destination, f"{name}.zip")
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
                for file_name, ref in sorted(info.value.items()):
                    archive.writestr(file_name, store.read_blob(ref["digest"]))
        elif info.type is FieldType.FILE_SERIES:
            data = store.read_series(uid, path)
            refs = list(zip(data.steps, data.values, strict=True))
            if last_only:
                refs = refs[-1:]
                if not refs:
                    raise MissingField(path, self._label())
                step, ref = refs[0]
                target = _target_file(destination, f"{int(step)}.{ref['extension']}".rstrip("."))
                store.copy_blob_to(ref["digest"], target)
                return
            folder = Path(destination or name)
            folder.mkdir(parents=True, exist_ok=True)
            for step, ref in refs:
                store.copy_blob_to(
                    ref["digest"], folder / f"{int(step)}.{ref['extension']}".rstrip(".")
                )
        else:
            raise FieldTypeConflict(path, info.type.label, "download()", hint="use fetch()")

    def _load_structure(self) -> None:
        assert self._store is not None and self._info is not None
        # Types and last steps only: sys/size, which every object has, is computed by the
        # store when read, a cost an object's opening need not pay.
        fields = self._store.get_fields(self._info.uid, sizes=False)
        self._types = {path: info.type for path, info in fields.items()}
        self._types[SIZE_FIELD] = FieldType.FLOAT
        self._namespaces = {ns for p in self._types for ns in parents(p)}
        for path, info in fields.items():
            if info.type.is_series:
                state = self._series_state(path, info.type)
                last = info.value.get("last_step")
                if last is not None:
                    state.last_step = last


def _target_file(destination: str | None, default_name: str) -> Path:
    if destination is None:
        return Path(default_name)
    target = Path(destination)
    if target.is_dir() or destination.endswith(os.sep):
        target.mkdir(parents=True, exist_ok=True)
        return target / default_name
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _conflict_hint(existing: FieldType, attempted: FieldType) -> str:
    if existing.is_series and not attempted.is_series:
        return "use append() to add to the series"
    if attempted.is_series and not existing.is_series:
        return "assign with = to change the value"
    return ""


_OPEN_OBJECTS: weakref.WeakSet[NeptuneObject] = weakref.WeakSet()


def open_objects() -> list[NeptuneObject]:
    """Objects opened in this process and not stopped yet."""
    return list(_OPEN_OBJECTS)


def _stop_all_at_exit() -> None:
    for obj in open_objects():
        try:
            obj.stop()
        except Exception as error:  # at exit, report and go on with the others
            print(f"nepnb: while stopping {obj._label()}: {error}", file=sys.stderr)


def _forget_in_child() -> None:
    # The parent's objects are the parent's: a forked child must not stop them at its exit,
    # and its appends must take the slow path, which says to open the run again.
    for obj in list(_OPEN_OBJECTS):
        for state in obj._series.values():
            obj._retire(state)
    _OPEN_OBJECTS.clear()


import atexit  # noqa: E402

atexit.register(_stop_all_at_exit)
os.register_at_fork(after_in_child=_forget_in_child)
