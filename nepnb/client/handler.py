"""Handler: what ``run["a/b"]`` returns — the methods of the field (or namespace) at a path."""

from __future__ import annotations

import glob
import hashlib
import os
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nepnb.client import values as V
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

if TYPE_CHECKING:
    import pandas as pd

    from nepnb.client.objects import NeptuneObject


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

    __slots__ = ("_obj", "_path")

    def __init__(self, obj: NeptuneObject, path: str) -> None:
        self._obj = obj
        self._path = path

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

    def get_root_object(self) -> NeptuneObject:
        return self._obj

    # writes: atoms -------------------------------------------------------------------
    def assign(self, value: Any, wait: bool = False) -> None:
        """Set the field to ``value``; a dict sets a namespace of fields."""
        obj = self._obj
        obj._check_writable(self._path)
        from nepnb.types.series import FileSeries, FloatSeries, StringSeries
        from nepnb.types.sets import StringSet
        from nepnb.types.value import Series

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
            obj._enqueue(Operation(OpKind.CLEAR, self._path, series_type))
            obj._series_state(self._path, series_type).reset()
            low, high, unit = (getattr(value, k, None) for k in ("min", "max", "unit"))
            if series_type is FieldType.FLOAT_SERIES and (low, high, unit) != (None, None, None):
                self.configure(min=low, max=high, unit=unit)
            self._extend_series(list(value.values), value.steps, value.timestamps)
        elif isinstance(value, StringSet):
            obj._claim(self._path, FieldType.STRING_SET)
            obj._enqueue(Operation(OpKind.CLEAR, self._path, FieldType.STRING_SET))
            obj._enqueue(
                Operation(OpKind.SET_ADD, self._path, FieldType.STRING_SET, sorted(value.values))
            )
        elif _is_file(value):
            self.upload(value)
            return
        else:
            self._assign_atom(value)
        obj._writer.after_call(wait)

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
            obj._claim(self._path, FieldType.GIT_REF)
            obj._enqueue(Operation(OpKind.ASSIGN, self._path, FieldType.GIT_REF, info))
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
        obj = self._obj
        state = obj._series.get(self._path)
        if state is not None and type(value) in V.FLOAT_TYPES and state.floats and not kwargs:
            # The hot path of a training loop: no allocation beyond the point itself.
            if step is None:
                step = state.next_step
            elif not step > state.last_step:
                obj._drop_point(self._path, step, state.last_step)
                return
            pipeline = obj._pipeline
            with pipeline.lock:
                buffer = pipeline.active.get(self._path) or pipeline.new_buffer(
                    self._path, FieldType.FLOAT_SERIES
                )
                buffer.steps.append(step)
                buffer.values.append(value)
                buffer.times.append(time.time() if timestamp is None else V.timestamp_of(timestamp))
            state.last_step = step
            state.next_step = step + 1.0
            if wait or obj._sync:
                obj._writer.after_call(wait)
            return
        self._append_slow(value, step, timestamp, wait, kwargs)

    def _append_slow(
        self, value: Any, step: Any, timestamp: Any, wait: bool, kwargs: dict[str, Any]
    ) -> None:
        obj = self._obj
        obj._check_writable(self._path)
        if V.is_namespace_value(value):
            for key, item in V.namespace_items(value):
                self[key].append(item, step=step, timestamp=timestamp, **kwargs)
            obj._writer.after_call(wait)
            return
        self._append_one(value, step, timestamp, kwargs)
        obj._writer.after_call(wait)

    def _append_one(self, value: Any, step: Any, timestamp: Any, kwargs: Mapping[str, Any]) -> None:
        obj = self._obj
        try:
            ftype, stored = self._series_value(value, kwargs)
        except _Skip as skipped:
            warn_dropped(str(skipped))
            return
        state = obj._series_state(self._path, ftype)
        if step is None:
            step_value = state.next_step
        else:
            step_value = V.step_of(self._path, step)
            if not step_value > state.last_step:
                obj._drop_point(self._path, step_value, state.last_step)
                return
        stamp = V.timestamp_of(timestamp)
        pipeline = obj._pipeline
        with pipeline.lock:
            buffer = pipeline.active.get(self._path) or pipeline.new_buffer(self._path, ftype)
            buffer.steps.append(step_value)
            buffer.values.append(stored)
            buffer.times.append(stamp)
        state.last_step = step_value
        state.next_step = step_value + 1.0

    def _series_value(self, value: Any, kwargs: Mapping[str, Any]) -> tuple[FieldType, Any]:
        """The series type a value goes to, and its stored form (claiming the type)."""
        obj = self._obj
        existing = obj._types.get(self._path)
        value = V.unwrap_scalar(value)
        stored: Any
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            ftype, stored = FieldType.FLOAT_SERIES, float(value)
        elif isinstance(value, str):
            ftype, stored = FieldType.STRING_SERIES, V.truncate(self._path, value)
        elif _is_file(value) or _is_image_like(value) or existing is FieldType.FILE_SERIES:
            ftype = FieldType.FILE_SERIES
            stored = obj._file_ref(_to_file(value, image=True), self._path)
            for key in ("name", "description"):
                if kwargs.get(key) is not None:
                    stored[key] = str(kwargs[key])
        else:
            from nepnb.types.stringify import StringifyValue

            if isinstance(value, StringifyValue):
                ftype, stored = FieldType.STRING_SERIES, V.truncate(self._path, str(value.value))
            else:
                raise _Skip(
                    f"'{self._path}': cannot append a {type(value).__name__}. Series take "
                    "numbers (FloatSeries), strings (StringSeries) or images/File (FileSeries); "
                    "a dict appends to one series per key."
                )
        obj._claim(self._path, ftype)
        return ftype, stored

    def extend(
        self,
        values: Any,
        steps: Iterable[float] | None = None,
        timestamps: Iterable[float] | None = None,
        wait: bool = False,
        **kwargs: Any,
    ) -> None:
        """Append several values; a dict of lists extends one series per key."""
        obj = self._obj
        obj._check_writable(self._path)
        if V.is_namespace_value(values):
            for key, items in V.namespace_items(values):
                self[key].extend(items, steps=steps, timestamps=timestamps, **kwargs)
        else:
            self._extend_series(values, steps, timestamps, **kwargs)
        obj._writer.after_call(wait)

    def _extend_series(self, values: Any, steps: Any, timestamps: Any, **kwargs: Any) -> None:
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise UnsupportedValue(
                f"'{self._path}': extend() takes a collection of values, not "
                f"{type(values).__name__}; use append() for one value"
            )
        items = list(values)
        step_list = _aligned(self._path, "steps", steps, len(items))
        time_list = _aligned(self._path, "timestamps", timestamps, len(items))
        for i, item in enumerate(items):
            self._append_one(item, step_list[i], time_list[i], kwargs)

    def log(
        self, value: Any, step: Any = None, timestamp: Any = None, wait: bool = False, **kwargs: Any
    ) -> None:
        """Deprecated in Neptune 1.x: ``append`` for one value, ``extend`` for a collection."""
        if isinstance(value, (list, tuple, np.ndarray)) and not _is_image_like(value):
            self.extend(value, steps=step, timestamps=timestamp, wait=wait, **kwargs)
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
        items = [values] if isinstance(values, str) else list(values)
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
        obj._enqueue(Operation(OpKind.CLEAR, self._path, ftype))
        if ftype.is_series:
            obj._series_state(self._path, ftype).reset()
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
        files: dict[str, Any] = {}
        for pattern in patterns:
            matched = glob.glob(os.fspath(pattern), recursive=True)
            if not matched:
                raise InvalidValue(
                    f"'{self._path}': no file matches {os.fspath(pattern)!r} "
                    f"(from {os.getcwd()}); check the path"
                )
            for name, source in _expand_files(matched):
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
        entries = []
        for name, source in _expand_files(matched):
            digest = _file_sha256(source)
            entries.append(
                {
                    "file_path": join(destination or "", name),
                    "file_hash": digest,
                    "type": "Local",
                    "size": source.stat().st_size,
                    "metadata": {"file_path": f"file://{source.resolve()}"},
                }
            )
        current = obj._fetch_value_or_none(self._path, FieldType.ARTIFACT)
        by_path = {e["file_path"]: e for e in (current or {}).get("files", [])}
        by_path.update({e["file_path"]: e for e in entries})
        files = sorted(by_path.values(), key=lambda e: e["file_path"])
        combined = hashlib.sha256(
            "".join(f"{e['file_path']}:{e['file_hash']};" for e in files).encode()
        ).hexdigest()
        obj._claim(self._path, FieldType.ARTIFACT)
        artifact = {"hash": combined, "files": files}
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
        last = info.value.get("last")
        if info.type is FieldType.FILE_SERIES:
            return last
        return last

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

    def download_last(self, destination: str | None = None, progress_bar: Any = None) -> None:
        """Download the last file of a FileSeries."""
        self._obj._download(self._path, destination, last_only=True)


class _Skip(UnsupportedValue):
    """A value that is not stored, with a warning (as the Neptune client does)."""


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


def _is_image_like(value: Any) -> bool:
    module = type(value).__module__ or ""
    if isinstance(value, np.ndarray):
        return value.ndim in (2, 3)
    return module.startswith(("PIL.", "matplotlib.", "plotly.", "torch", "tensorflow", "seaborn"))


def _to_file(value: Any, *, image: bool) -> Any:
    from nepnb.types.file import File

    if isinstance(value, File):
        return value
    if isinstance(value, (str, os.PathLike)) and not image:
        return File.from_path(os.fspath(value))
    if image and _is_image_like(value):
        return File.as_image(value)
    raise UnsupportedValue(
        f"cannot upload a {type(value).__name__}; pass a path, a File, or an image "
        "(PIL image, numpy array, matplotlib figure)"
    )


def _expand_files(matched: Iterable[str]) -> list[tuple[str, Path]]:
    """(name in the set, file) for every file in ``matched``, folders walked recursively."""
    cwd = Path.cwd().resolve()
    found: list[tuple[str, Path]] = []
    for item in matched:
        source = Path(item)
        files = (
            [p for p in sorted(source.rglob("*")) if p.is_file()] if source.is_dir() else [source]
        )
        for file in files:
            resolved = file.resolve()
            try:
                name = resolved.relative_to(cwd).as_posix()
            except ValueError:
                base = source.parent
                name = resolved.relative_to(base.resolve()).as_posix()
            found.append((name, file))
    return found


def _file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            hasher.update(chunk)
    return hasher.hexdigest()


def warn_dropped(message: str) -> None:
    warnings.warn(message, ValueDropped, stacklevel=4)
