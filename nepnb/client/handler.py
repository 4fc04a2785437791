"""Handler: what ``run["a/b"]`` returns — the methods of the field (or namespace) at a path."""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nepnb.client import values as V
from nepnb.client.buffers import extend_column
from nepnb.client.filesets import artifact_entries, expand_files, merge_artifact
from nepnb.client.paths import join, validate_path
from nepnb.exceptions import (
    FieldTypeConflict,
    InvalidValue,
    MissingField,
    UnsupportedValue,
    ValueDropped,
)
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Operation, OpKind
from nepnb.types.stringify import StringifyValue
from nepnb.warn import warn_user

if TYPE_CHECKING:
    import pandas as pd

    from nepnb.client.buffers import SeriesState
    from nepnb.client.objects import NeptuneObject


_FAST_FLOATS = V.FLOAT_TYPES
_is_number_0d = V.is_number_0d
_INF = float("inf")
_now = time.time


@dataclass
class PreparedPoints:
    """Checked points for one series, ready to buffer: steps None take the next step."""

    type: FieldType
    values: list[Any]
    steps: list[float | None]
    timestamps: list[float]


@dataclass(frozen=True)
class FileEntry:
    """A file of a FileSet (``list_fileset_files``)."""

    name: str
    size: int
    mtime: float
    file_type: str = "file"


@dataclass(frozen=True)
class ArtifactFileData:
    """A file tracked by an Artifact (``fetch_files_list``)."""

    file_path: str
    file_hash: str
    type: str
    size: int | None
    metadata: dict[str, str]


class Handler:
    """The field or namespace at ``path`` of an object."""

    __slots__ = ("_children", "_hot_series", "_obj", "_path")

    def __init__(self, obj: NeptuneObject, path: str) -> None:
        self._obj = obj
        self._path = path
        # The float series this handler appends to on the hot path (see _use_series); None
        # until it appended once, and again once the series is retired.
        self._hot_series: SeriesState | None = None
        self._children: dict[str, Handler] | None = None  # by key, for dicts appended here

    def _use_series(self, state: SeriesState) -> None:
        """Append to ``state`` on the lock-free path from now on, when it allows one (a float
        series whose steps the client numbers). Called by the object that buffers points."""
        if state.floats and not state.numbered:
            self._hot_series = state

    def _leave_series(self, state: SeriesState) -> None:
        """``state`` is retired (field deleted or retyped, object stopped): appends take the
        checked path again."""
        if self._hot_series is state:
            self._hot_series = None

    def __repr__(self) -> str:
        ftype = self._obj._types.get(self._path)
        what = f"{ftype.label} field" if ftype else "namespace or new field"
        return f"<{what} '{self._path}' of {self._obj._label()}>"

    # navigation ----------------------------------------------------------------------
    def __getitem__(self, path: str) -> Handler:
        return self._obj[join(self._path, validate_path(path))]

    def __setitem__(self, path: str, value: Any) -> None:
        self[path].assign(value)

    def __delitem__(self, path: str) -> None:
        self._obj.pop(join(self._path, validate_path(path)))

    @property
    def container(self) -> NeptuneObject:
        """The run, model, model version or project this field belongs to."""
        return self._obj

    def get_root_object(self) -> NeptuneObject:
        return self._obj

    # writes: atoms -------------------------------------------------------------------
    def assign(self, value: Any, wait: bool = False) -> None:
        """Set the field to ``value``; a dict sets a namespace of fields."""
        obj = self._obj
        obj._check_writable(self._path)
        from nepnb.types.file_set import FileSet
        from nepnb.types.series import FileSeries, FloatSeries, StringSeries
        from nepnb.types.sets import StringSet
        from nepnb.types.value import Series

        if isinstance(value, StringifyValue):
            value = V.stringified_value(value)
        if V.is_namespace_value(value):
            for key, item in V.namespace_items(value):
                self[key].assign(item)
        elif isinstance(value, Series):
            series_type = {
                FloatSeries: FieldType.FLOAT_SERIES,
                StringSeries: FieldType.STRING_SERIES,
                FileSeries: FieldType.FILE_SERIES,
            }[type(value)]
            obj._claim(self._path, series_type)
            obj._enqueue(Operation(OpKind.CLEAR, self._path, series_type))  # steps from 0 again
            low, high, unit = (getattr(value, k, None) for k in ("min", "max", "unit"))
            if series_type is FieldType.FLOAT_SERIES and (low, high, unit) != (None, None, None):
                self.configure(min=low, max=high, unit=unit)
            points = self._prepare_points(list(value.values), value.steps, value.timestamps, {})
            if points is not None:
                obj._buffer_points({self._path: points})
        elif isinstance(value, Handler):
            self._assign_copy(value)
        elif isinstance(value, FileSet):
            obj._claim(self._path, FieldType.FILE_SET)
            obj._enqueue(Operation(OpKind.CLEAR, self._path, FieldType.FILE_SET))
            self.upload_files(value.file_globs)
            return
        elif isinstance(value, StringSet):
            obj._claim(self._path, FieldType.STRING_SET)
            obj._enqueue(Operation(OpKind.CLEAR, self._path, FieldType.STRING_SET))
            obj._enqueue(
                Operation(OpKind.SET_ADD, self._path, FieldType.STRING_SET, sorted(value.values))
            )
        elif _is_file(value) or _is_chart(value):
            self.upload(value)
            return
        else:
            self._assign_atom(value)
        obj._writer.after_call(wait)

    def _assign_copy(self, source: Handler) -> None:
        """``run["best"] = run["acc"]``: the current value of another single-value field."""
        info = source._obj._fetch_field(source._path)
        if info.type not in (
            FieldType.FLOAT,
            FieldType.INT,
            FieldType.BOOL,
            FieldType.STRING,
            FieldType.DATETIME,
        ):
            raise UnsupportedValue(
                f"'{self._path}': only number, boolean, string and datetime fields can be copied; "
                f"'{source._path}' is a {info.type.label}"
            )
        value = info.value.timestamp() if info.type is FieldType.DATETIME else info.value
        self._obj._claim(self._path, info.type)
        self._obj._enqueue(Operation(OpKind.ASSIGN, self._path, info.type, value))

    def _assign_atom(self, value: Any) -> None:
        obj = self._obj
        from nepnb.types.atoms import Artifact, GitRef
        from nepnb.types.value import Atom

        if isinstance(value, Artifact):
            obj._claim(self._path, FieldType.ARTIFACT)
            artifact: dict[str, Any] = {"hash": value.hash, "files": []}
            obj._enqueue(Operation(OpKind.ASSIGN, self._path, FieldType.ARTIFACT, artifact))
            return
        if isinstance(value, GitRef):
            from nepnb.client.autolog import git_info

            folder = value.resolve_path()
            info = git_info(folder) if folder is not None else None
            if info is None:
                raise InvalidValue(f"'{self._path}': {folder} is not in a git repository")
            obj._assign_internal(self._path, FieldType.GIT_REF, info)
            return
        if isinstance(value, Atom):
            value = getattr(value, "value", value)
        try:
            ftype, stored = V.atom_of(self._path, value)
        except UnsupportedValue as error:
            warn_dropped(str(error))
            return
        existing = obj._types.get(self._path)
        if existing is FieldType.FLOAT and ftype is FieldType.INT:
            ftype, stored = FieldType.FLOAT, float(stored)
        elif existing is FieldType.STRING_SET and ftype is FieldType.STRING:
            raise FieldTypeConflict(
                self._path,
                "StringSet",
                "String",
                hint=f"add tags with run['{self._path}'].add(...)",
            )
        obj._claim(self._path, ftype)
        obj._enqueue(Operation(OpKind.ASSIGN, self._path, ftype, stored))
        if self._path == "sys/name":
            obj._name = stored  # what obj.name says from now on

    # writes: series ------------------------------------------------------------------
    def append(
        self,
        value: Any,
        step: float | None = None,
        timestamp: float | None = None,
        wait: bool = False,
        **kwargs: Any,
    ) -> None:
        """Append ``value`` to the series; a dict appends to a namespace of series."""
        state = self._hot_series
        kind = type(value)
        if (
            state is not None
            and (kind is float or kind in _FAST_FLOATS or _is_number_0d(value))
            and step is None
            and timestamp is None
            and not kwargs
        ):
            # The hot path of a training loop: no lock (see buffers.Column). An append that
            # meets a frozen column (a flush sealed the buffer meanwhile) takes the lock.
            # The column converts ints and numpy numbers as float() does.
            values = state.values
            if values is not None:
                try:
                    values.append(value)
                except BufferError:
                    pass
                except OverflowError:
                    raise InvalidValue(V.too_large(self._path, value)) from None
                else:
                    try:  # noqa: SIM105 (contextlib.suppress costs more than the append)
                        values.stamps.append(_now())
                    except BufferError:
                        pass  # frozen just now: stamped with the time of the freeze
                    if wait or state.sync:
                        self._obj._writer.after_call(wait)
                    return
        if (
            state is not None
            and state.floats
            and (kind in _FAST_FLOATS or _is_number_0d(value))
            and (step is None or (type(step) in _FAST_FLOATS and -_INF < step < _INF))
            and not kwargs
        ):
            # A given step or timestamp, or no open buffer: the same under the lock.
            number = self._float(value)
            stamp = _now() if timestamp is None else V.timestamp_of(timestamp, self._path)
            with state.lock:
                # Retired meanwhile (stop, delete: without the lock)? Then the slow path, which
                # says so, rather than a point in a buffer that may never be shipped.
                retired = not state.floats
                if not retired:
                    point_step = state.add(step, number, stamp)
                    last = state.last()
            if not retired:
                if point_step is None:
                    self._obj._drop_point(self._path, step, last)
                elif wait or state.sync:
                    self._obj._writer.after_call(wait)
                return
        if kind is dict and step is None and timestamp is None and not kwargs:
            # A step's metrics as one dict: lock-free as well, once every key is a float
            # series this handler's children appended to before.
            hot: list[tuple[Handler, Any, Any]] = []
            if self._hot_children(value, hot):
                self._append_hot(hot, wait)
                return
        obj = self._obj
        obj._check_writable(self._path)
        if V.is_namespace_value(value):
            batch = self._prepare_namespace(
                value, lambda items: [items], [step], [timestamp], kwargs
            )
        else:
            batch = self._prepared_batch([value], [step], [timestamp], kwargs)
        obj._buffer_points(batch)
        obj._writer.after_call(wait)

    def _hot_children(self, value: dict[Any, Any], hot: list[tuple[Handler, Any, Any]]) -> bool:
        """Collect (child handler, open column, number) for every leaf of ``value`` (nested
        dicts are nested namespaces); False as soon as one cannot take the hot path, before
        anything is appended: the checked path then takes the whole dict."""
        children = self._children
        if children is None:
            children = self._children = {}
        for key, item in value.items():
            child = children.get(key)
            if child is None:
                if type(key) is not str:
                    return False
                child = children[key] = self[key]
            kind = type(item)
            if kind is dict:
                if not child._hot_children(item, hot):
                    return False
                continue
            state = child._hot_series
            if (
                state is None
                or not (kind is float or kind in _FAST_FLOATS or _is_number_0d(item))
                or (kind is int and item.bit_length() > 1000)  # too large: the checked path
            ):
                return False
            column = state.values
            if column is None:
                return False
            hot.append((child, column, item))
        return bool(hot)

    def _append_hot(self, hot: list[tuple[Handler, Any, Any]], wait: bool) -> None:
        """Append collected points to their open columns, all stamped with one time."""
        now = _now()
        sync = False
        for child, column, item in hot:
            try:
                column.append(item)
            except BufferError:  # sealed since collected: the locked path, for this one
                child.append(item)
            else:
                try:  # noqa: SIM105
                    column.stamps.append(now)
                except BufferError:
                    pass  # stamped with the time of the freeze
                sync = sync or (child._hot_series is not None and child._hot_series.sync)
        if wait or sync:
            self._obj._writer.after_call(wait)

    def extend(
        self,
        values: Any,
        steps: Iterable[float] | None = None,
        timestamps: Iterable[float] | None = None,
        wait: bool = False,
        **kwargs: Any,
    ) -> None:
        """Append several values; a dict of collections extends one series per key.

        All values are checked first: if one cannot be stored, none is.
        """
        obj = self._obj
        obj._check_writable(self._path)
        if not kwargs and self._extend_floats(values, steps, timestamps):
            obj._writer.after_call(wait)
            return
        step_list = None if steps is None else list(steps)
        time_list = None if timestamps is None else list(timestamps)
        if isinstance(values, StringifyValue) and isinstance(values.value, (list, tuple, set)):
            values = [StringifyValue(item) for item in values.value]  # each typed as appended
        if V.is_namespace_value(values):
            batch = self._prepare_namespace(
                values, lambda items: _collection(self._path, items), step_list, time_list, kwargs
            )
        else:
            items = _collection(self._path, values)
            batch = self._prepared_batch(items, step_list, time_list, kwargs)
        obj._buffer_points(batch)
        obj._writer.after_call(wait)

    def _extend_floats(self, values: Any, steps: Any, timestamps: Any) -> bool:
        """Buffer a batch of numbers whole (a few copies in C, whatever its length), when it
        is one a float series takes as it is; False leaves it to the checked path, which
        takes everything else (and says what is wrong)."""
        numbers = V.float_batch(values)
        if numbers is None:
            return False
        count = len(numbers)
        hot = self._hot_series
        if hot is not None and steps is None and timestamps is None:
            # As a single append: no lock while the series' column is open.
            column = hot.values
            if column is not None and extend_column(column, numbers, np.full(count, _now())):
                return True
        step_array = None if steps is None else V.finite_batch(steps, count)
        stamp_array = None if timestamps is None else V.finite_batch(timestamps, count)
        if (steps is not None and step_array is None) or (
            timestamps is not None and stamp_array is None
        ):
            return False
        obj = self._obj
        existing = obj._types.get(self._path)
        if existing is not None and existing is not FieldType.FLOAT_SERIES:
            return False  # the checked path names the clash
        obj._claim(self._path, FieldType.FLOAT_SERIES)
        state = obj._series_state(self._path, FieldType.FLOAT_SERIES)
        with state.lock:
            if not state.floats:  # retired meanwhile: the checked path says why
                return False
            dropped = state.add_batch(
                step_array, numbers, _now() if stamp_array is None else stamp_array
            )
        self._use_series(state)
        for step, last in dropped:
            obj._drop_point(self._path, step, last)
        return True

    def _prepare_namespace(
        self,
        values: Any,
        as_items: Callable[[Any], list[Any]],
        steps: list[Any] | None,
        timestamps: list[Any] | None,
        kwargs: Mapping[str, Any],
    ) -> dict[str, PreparedPoints]:
        """Prepared points for every leaf of a (nested) dict, keyed by field path."""
        prepared: dict[str, PreparedPoints] = {}
        for key, item in V.namespace_items(values):
            child = self[key]
            if V.is_namespace_value(item):
                prepared.update(child._prepare_namespace(item, as_items, steps, timestamps, kwargs))
            else:
                prepared.update(child._prepared_batch(as_items(item), steps, timestamps, kwargs))
        return prepared

    def _prepared_batch(
        self,
        values: list[Any],
        steps: list[Any] | None,
        timestamps: list[Any] | None,
        kwargs: Mapping[str, Any],
    ) -> dict[str, PreparedPoints]:
        points = self._prepare_points(values, steps, timestamps, kwargs)
        return {} if points is None else {self._path: points}

    def _prepare_points(
        self,
        values: list[Any],
        steps: list[Any] | None,
        timestamps: list[Any] | None,
        kwargs: Mapping[str, Any],
    ) -> PreparedPoints | None:
        """Check and convert points for this series; None (with a warning) if they are skipped."""
        step_list = _aligned(self._path, "steps", steps, len(values))
        time_list = _aligned(self._path, "timestamps", timestamps, len(values))
        ftype: FieldType | None = None
        stored_values = []
        for value in values:
            try:
                kind, stored = self._series_value(value, kwargs)
            except _Skip as skipped:
                warn_dropped(str(skipped))
                return None
            if ftype is None:
                ftype = kind
            elif kind is not ftype:
                raise FieldTypeConflict(
                    self._path, ftype.label, kind.label, hint="a series holds values of one type"
                )
            stored_values.append(stored)
        if ftype is None:
            return None
        existing = self._obj._types.get(self._path)
        if existing is not None and existing is not ftype:
            raise FieldTypeConflict(
                self._path, existing.label, ftype.label, hint=_series_hint(existing)
            )
        step_values = [None if s is None else V.step_of(self._path, s) for s in step_list]
        stamps = [V.timestamp_of(t, self._path) for t in time_list]
        return PreparedPoints(ftype, stored_values, step_values, stamps)

    def _float(self, value: Any) -> float:
        try:
            return float(value)
        except OverflowError:
            raise InvalidValue(V.too_large(self._path, value)) from None

    def _series_value(self, value: Any, kwargs: Mapping[str, Any]) -> tuple[FieldType, Any]:
        """The series type a value goes to, and its stored form."""
        obj = self._obj
        existing = obj._types.get(self._path)
        if isinstance(value, StringifyValue):
            value = V.stringified_point(value, existing)
        value = V.unwrap_scalar(value)
        stored: Any
        if isinstance(value, (int, float)):  # a bool is logged as 1.0 / 0.0, as in Neptune
            try:
                return FieldType.FLOAT_SERIES, float(value)
            except OverflowError:
                raise InvalidValue(V.too_large(self._path, value)) from None
        if isinstance(value, str):
            return FieldType.STRING_SERIES, V.truncate(self._path, value)
        if _is_file(value) or _is_image_like(value) or existing is FieldType.FILE_SERIES:
            stored = obj._file_ref(_to_file(value, image=True), self._path)
            for key in ("name", "description"):
                if kwargs.get(key) is not None:
                    stored[key] = str(kwargs[key])
            return FieldType.FILE_SERIES, stored
        raise _Skip(
            f"'{self._path}': cannot append a {type(value).__name__}. Series take numbers "
            "(FloatSeries), strings (StringSeries) or images/File (FileSeries); a dict appends "
            "to one series per key."
        )

    def log(
        self, value: Any, step: Any = None, timestamp: Any = None, wait: bool = False, **kwargs: Any
    ) -> None:
        """Deprecated in Neptune 1.x: ``append`` for one value, ``extend`` for a collection."""
        if isinstance(value, (list, tuple, np.ndarray)) and not _is_image_like(value):
            if step is not None and len(value) != 1:
                raise InvalidValue(
                    f"'{self._path}': log() of {len(value)} values cannot take one step; pass "
                    "extend(values, steps=[...]) with a step per value"
                )
            steps = None if step is None else [step]
            stamps = None if timestamp is None else [timestamp] * len(value)
            self.extend(value, steps=steps, timestamps=stamps, wait=wait, **kwargs)
        else:
            self.append(value, step=step, timestamp=timestamp, wait=wait, **kwargs)

    def configure(
        self,
        min: float | None = None,
        max: float | None = None,
        unit: str | None = None,
        wait: bool = False,
    ) -> None:
        """Set the display range and unit of a FloatSeries."""
        obj = self._obj
        obj._check_writable(self._path)
        obj._claim(self._path, FieldType.FLOAT_SERIES)
        obj._series_state(self._path, FieldType.FLOAT_SERIES)
        config = {"min": min, "max": max, "unit": unit}
        obj._enqueue(Operation(OpKind.CONFIGURE, self._path, FieldType.FLOAT_SERIES, config))
        obj._writer.after_call(wait)

    # writes: sets, files -------------------------------------------------------------
    def add(self, values: str | Iterable[str], wait: bool = False) -> None:
        """Add strings (tags) to a StringSet."""
        self._set_op(OpKind.SET_ADD, values, wait)

    def remove(self, values: str | Iterable[str], wait: bool = False) -> None:
        """Remove strings from a StringSet."""
        self._set_op(OpKind.SET_REMOVE, values, wait)

    def _set_op(self, kind: OpKind, values: str | Iterable[str], wait: bool) -> None:
        obj = self._obj
        obj._check_writable(self._path)
        if isinstance(values, str):
            items = [values]
        elif isinstance(values, Iterable):
            items = list(values)
        else:
            raise UnsupportedValue(
                f"'{self._path}': a StringSet takes a string or a collection of strings, not "
                f"{type(values).__name__} {values!r}"
            )
        for item in items:
            if not isinstance(item, str):
                raise UnsupportedValue(
                    f"'{self._path}': a StringSet holds strings; {item!r} is a "
                    f"{type(item).__name__} (use str(x))"
                )
        obj._claim(self._path, FieldType.STRING_SET)
        obj._enqueue(Operation(kind, self._path, FieldType.STRING_SET, sorted(set(items))))
        obj._writer.after_call(wait)

    def clear(self, wait: bool = False) -> None:
        """Empty a series or a StringSet (its type stays)."""
        obj = self._obj
        obj._check_writable(self._path)
        ftype = obj._types.get(self._path)
        if ftype is None:
            return
        if not (ftype.is_series or ftype is FieldType.STRING_SET):
            raise FieldTypeConflict(self._path, ftype.label, "clear()", hint="use del run[path]")
        obj._enqueue(Operation(OpKind.CLEAR, self._path, ftype))  # a series: steps from 0 again
        obj._writer.after_call(wait)

    def upload(self, value: Any, wait: bool = False, **kwargs: Any) -> None:
        """Upload one file (a path or a File) to a File field."""
        obj = self._obj
        obj._check_writable(self._path)
        ref = obj._file_ref(_to_file(value, image=False), self._path)
        obj._claim(self._path, FieldType.FILE)
        obj._enqueue(Operation(OpKind.ASSIGN, self._path, FieldType.FILE, ref))
        obj._writer.after_call(wait)

    def upload_files(self, value: str | Iterable[str], wait: bool = False) -> None:
        """Upload files and folders (glob patterns allowed) to a FileSet."""
        obj = self._obj
        obj._check_writable(self._path)
        patterns = [value] if isinstance(value, (str, os.PathLike)) else list(value)
        matched: list[str] = []
        for pattern in patterns:
            found = glob.glob(os.fspath(pattern), recursive=True)
            if not found:
                raise InvalidValue(
                    f"'{self._path}': no file matches {os.fspath(pattern)!r} "
                    f"(from {os.getcwd()}); check the path"
                )
            matched.extend(found)
        files: dict[str, Any] = {}
        for name, source in expand_files(matched):
            digest, size = obj._writer.put_blob_file(source)
            files[name] = {"digest": digest, "size": size, "mtime": source.stat().st_mtime}
        obj._claim(self._path, FieldType.FILE_SET)
        obj._enqueue(Operation(OpKind.FILES_UPLOAD, self._path, FieldType.FILE_SET, files))
        obj._writer.after_call(wait)

    def delete_files(self, paths: str | Iterable[str], wait: bool = False) -> None:
        """Delete files (names or glob patterns) from a FileSet."""
        obj = self._obj
        obj._check_writable(self._path)
        patterns = [paths] if isinstance(paths, str) else list(paths)
        obj._claim(self._path, FieldType.FILE_SET)
        obj._enqueue(Operation(OpKind.FILES_DELETE, self._path, FieldType.FILE_SET, patterns))
        obj._writer.after_call(wait)

    def track_files(self, path: str, destination: str | None = None, wait: bool = False) -> None:
        """Track files by hash (their contents are not uploaded) in an Artifact."""
        obj = self._obj
        obj._check_writable(self._path)
        if "://" in path and not path.startswith("file://"):
            raise InvalidValue(
                f"'{self._path}': only local files can be tracked here, not {path!r}"
            )
        local = path.removeprefix("file://")
        matched = glob.glob(local, recursive=True)
        if not matched:
            raise InvalidValue(f"'{self._path}': nothing to track at {path!r}; check the path")
        entries = artifact_entries(matched, destination)
        current = obj._fetch_value_or_none(self._path, FieldType.ARTIFACT)
        artifact = merge_artifact(current, entries)
        obj._claim(self._path, FieldType.ARTIFACT)
        obj._enqueue(Operation(OpKind.ASSIGN, self._path, FieldType.ARTIFACT, artifact))
        obj._writer.after_call(wait)

    def pop(self, path: str | None = None, wait: bool = False) -> None:
        """Delete this field or namespace (or ``path`` under it)."""
        self._obj.pop(join(self._path, path) if path else self._path, wait=wait)

    # reads ---------------------------------------------------------------------------
    def fetch(self) -> Any:
        """The field's value; for a namespace, a dict of the values under it."""
        obj = self._obj
        info = obj._fetch_field(self._path, required=False)
        if info is None:
            tree = obj._fetch_namespace(self._path)
            if tree is None:
                raise MissingField(self._path, obj._label())
            return tree
        return obj._present(info)

    def fetch_last(self) -> Any:
        """The last value of a series."""
        info = self._obj._fetch_field(self._path)
        if not info.type.is_series:
            raise FieldTypeConflict(
                self._path, info.type.label, "series read (fetch_last)", hint="use fetch()"
            )
        return info.value.get("last")

    def fetch_values(
        self, include_timestamp: bool = True, progress_bar: Any = None
    ) -> pd.DataFrame:
        """All points of a series as a DataFrame: step, value (and timestamp)."""
        import pandas as pd

        data = self._obj._read_series(self._path)
        frame = {"step": data.steps, "value": data.values}
        if include_timestamp:
            frame["timestamp"] = V.local_datetimes(data.timestamps)
        return pd.DataFrame(frame, copy=False)

    def fetch_extension(self) -> str:
        info = self._obj._fetch_field(self._path)
        if info.type is not FieldType.FILE:
            raise FieldTypeConflict(self._path, info.type.label, "File read (fetch_extension)")
        return str(info.value.get("extension", ""))

    def fetch_hash(self) -> str:
        info = self._obj._fetch_field(self._path)
        if info.type is not FieldType.ARTIFACT:
            raise FieldTypeConflict(self._path, info.type.label, "Artifact read (fetch_hash)")
        return str(info.value["hash"])

    def fetch_files_list(self) -> list[ArtifactFileData]:
        info = self._obj._fetch_field(self._path)
        if info.type is not FieldType.ARTIFACT:
            raise FieldTypeConflict(self._path, info.type.label, "Artifact read (fetch_files_list)")
        return [ArtifactFileData(**entry) for entry in info.value["files"]]

    def list_fileset_files(self, path: str | None = None) -> list[FileEntry]:
        """The files of a FileSet (under ``path`` inside it, if given)."""
        info = self._obj._fetch_field(self._path)
        if info.type is not FieldType.FILE_SET:
            raise FieldTypeConflict(self._path, info.type.label, "FileSet read")
        prefix = (path.strip("/") + "/") if path else ""
        seen: dict[str, FileEntry] = {}
        for name, ref in sorted(info.value.items()):
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix) :]
            head, _, tail = rest.partition("/")
            if tail:
                seen.setdefault(head, FileEntry(head, 0, ref.get("mtime", 0.0), "directory"))
            else:
                seen[head] = FileEntry(head, ref["size"], ref.get("mtime", 0.0), "file")
        return list(seen.values())

    def download(self, destination: str | None = None, progress_bar: Any = None) -> None:
        """Download a File, a FileSet (as a zip) or all files of a FileSeries."""
        self._obj._download(self._path, destination, last_only=False)

    def chart(self, **options: Any) -> Any:
        """Chart this float series in the notebook, live while it is written; the options
        are those of :func:`nepnb.chart`. Returns the chart widget."""
        from nepnb.client import hooks

        return hooks.chart(self._obj, self._path, **options)

    def download_last(self, destination: str | None = None, progress_bar: Any = None) -> None:
        """Download the last file of a FileSeries."""
        self._obj._download(self._path, destination, last_only=True)


class _Skip(UnsupportedValue):
    """A value that is not stored, with a warning (as the Neptune client does)."""


def _collection(path: str, values: Any) -> list[Any]:
    if (
        isinstance(values, (str, bytes))
        or not isinstance(values, Iterable)
        or _is_image_like(values)
    ):
        raise UnsupportedValue(
            f"'{path}': extend() takes a collection of values, not {type(values).__name__}; "
            "use append() for one value"
        )
    return list(values)


def _series_hint(existing: FieldType) -> str:
    return "assign with = to change the value" if not existing.is_series else ""


def _aligned(path: str, name: str, given: Any, count: int) -> list[Any]:
    if given is None:
        return [None] * count
    items = list(given)
    if len(items) != count:
        raise InvalidValue(
            f"'{path}': extend() got {count} values but {len(items)} {name}; pass one per value"
        )
    return items


def _is_file(value: Any) -> bool:
    from nepnb.types.file import File

    return isinstance(value, File)


def _is_chart(value: Any) -> bool:
    """Figures, images and charts: ``run["x"] = fig`` stores them as a File."""
    from nepnb.types.file import File

    return File.is_convertable_to_image(value) or File.is_convertable_to_html(value)


def _is_image_like(value: Any) -> bool:
    module = type(value).__module__ or ""
    if isinstance(value, np.ndarray):
        return value.ndim in (2, 3)
    return module.startswith(("PIL.", "matplotlib.", "plotly.", "torch", "tensorflow", "seaborn"))


def _to_file(value: Any, *, image: bool) -> Any:
    """A File for ``value``: a File, a path, or an object File.create_from converts
    (figures and images to PNG, charts and DataFrames to HTML)."""
    from nepnb.types.file import File

    if isinstance(value, File):
        return value
    if isinstance(value, (str, os.PathLike)) and not image:
        return File.from_path(os.fspath(value))
    if image and _is_image_like(value):
        return File.as_image(value)
    return File.create_from(value)


def warn_dropped(message: str) -> None:
    warn_user(message, ValueDropped)
