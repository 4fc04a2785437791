"""Neptune client 1.x operations (``neptune.internal.operation``) as nepnb operations.

Every operation type the 1.x client logs has a mapping here (``NEPTUNE_OPERATIONS``); an
operation that cannot be imported (an unknown type, a file that is gone, a copy from an
object on Neptune's server) becomes a warning naming the field, never a silent drop.
"""

from __future__ import annotations

import base64
import binascii
import glob
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nepnb.client.filesets import artifact_entries, expand_files, merge_artifact
from nepnb.client.values import MAX_STRING_LENGTH
from nepnb.store.base import Store
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Operation, OpKind, SeriesPoints

_ATOMS = {
    "AssignFloat": FieldType.FLOAT,
    "AssignInt": FieldType.INT,
    "AssignBool": FieldType.BOOL,
    "AssignString": FieldType.STRING,
}
_SERIES = {
    "LogFloats": FieldType.FLOAT_SERIES,
    "LogStrings": FieldType.STRING_SERIES,
    "LogImages": FieldType.FILE_SERIES,
}
_CLEARS = {
    "ClearFloatLog": FieldType.FLOAT_SERIES,
    "ClearStringLog": FieldType.STRING_SERIES,
    "ClearImageLog": FieldType.FILE_SERIES,
    "ClearStringSet": FieldType.STRING_SET,
}


class Skipped(Exception):
    """An operation that cannot be imported; its message says which field and why."""


@dataclass
class Counts:
    """What a container's operations amount to in nepnb."""

    fields: set[str] = field(default_factory=set)
    points: int = 0
    files: int = 0


class Translator:
    """Translates the operations of one Neptune container, in the order they were logged.

    Keeps what later operations depend on: the last step of each series (Neptune's default
    step is the last one + 1, and steps must increase), the files tracked by each Artifact.
    Files are put into ``store``'s blobs (for ``project``) as they are met. ``cwd``: the
    folder the Neptune process ran in (where its ``.neptune`` is), which file set names were
    relative to.
    """

    def __init__(self, store: Store, project: str, warn: Callable[[str], None], cwd: Path) -> None:
        self._store = store
        self._project = project
        self._warn = warn
        self._cwd = cwd
        self._last_step: dict[str, float] = {}
        self._artifacts: dict[str, dict[str, Any]] = {}
        self.counts = Counts()

    def translate(self, op: dict[str, Any], upload_path: Path) -> list[Operation]:
        """The nepnb operations of one Neptune operation (none when it is skipped, with a
        warning). Appends carry ``Points``: pass the operations through ``coalesce``."""
        kind = op.get("type")
        path = "/".join(str(part) for part in op.get("path") or [])
        handler = NEPTUNE_OPERATIONS.get(str(kind))
        if handler is None:
            self._warn(
                f"{path or '?'}: the Neptune operation type {kind!r} is unknown to this "
                "importer; not imported"
            )
            return []
        try:
            out = handler(self, path, op, upload_path)
        except Skipped as skipped:
            self._warn(f"{path}: {skipped}")
            return []
        except (KeyError, TypeError, ValueError) as error:
            self._warn(f"{path}: a malformed {kind} operation ({error!r}); not imported")
            return []
        for item in out:
            if item.kind is not OpKind.DELETE:
                self.counts.fields.add(item.path)
        return out

    # atoms -------------------------------------------------------------------------------
    def _atom(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        ftype = _ATOMS[op["type"]]
        value = op["value"]
        if ftype is FieldType.FLOAT:
            value = float(value)
        elif ftype is FieldType.INT:
            value = int(value)
        elif ftype is FieldType.BOOL:
            value = bool(value)
        else:
            value = self._text(path, str(value))
        return [Operation(OpKind.ASSIGN, path, ftype, value)]

    def _datetime(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        # Neptune logs milliseconds since the epoch; nepnb stores seconds.
        return [Operation(OpKind.ASSIGN, path, FieldType.DATETIME, op["value"] / 1000.0)]

    def _text(self, path: str, text: str) -> str:
        if len(text) > MAX_STRING_LENGTH:
            self._warn(f"{path}: a string of {len(text)} characters cut to {MAX_STRING_LENGTH}")
            return text[:MAX_STRING_LENGTH]
        return text

    # series ------------------------------------------------------------------------------
    def _log(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        ftype = _SERIES[op["type"]]
        steps: list[float] = []
        values: list[Any] = []
        stamps: list[float] = []
        for step, point in self._steps(path, op["values"], report=True):
            values.append(self._point_value(path, ftype, point["value"]))
            steps.append(step)
            stamps.append(float(point["ts"]))
        if not steps:
            return []
        self.counts.points += len(steps)
        # ``coalesce`` merges consecutive appends and makes the arrays.
        return [Operation(OpKind.LOG, path, ftype, Points(steps, values, stamps))]

    def _steps(
        self, path: str, points: list[dict[str, Any]], report: bool
    ) -> list[tuple[float, dict[str, Any]]]:
        """The step of each point that is kept: its own, or Neptune's default (the last
        step + 1); a step that does not increase is dropped (with a warning if ``report``)."""
        kept = []
        last = self._last_step.get(path, -1.0)
        for point in points:
            step = last + 1 if point.get("step") is None else float(point["step"])
            if step <= last or not math.isfinite(step):
                if report:
                    self._warn(
                        f"{path}: step {step:g} not imported: steps must increase (the last "
                        f"is {last:g}); the Neptune server dropped it too"
                    )
                continue
            last = step
            kept.append((step, point))
        self._last_step[path] = last
        return kept

    def observe(self, op: dict[str, Any]) -> None:
        """Follow an operation Neptune's server acknowledged (not imported): the steps its
        appends took, so that later appends without a step continue after them."""
        kind = op.get("type")
        path = "/".join(str(part) for part in op.get("path") or [])
        if kind in _SERIES:
            self._steps(path, op.get("values") or [], report=False)
        elif kind in _CLEARS or kind == "DeleteAttribute":
            self._forget(path)

    def _point_value(self, path: str, ftype: FieldType, value: Any) -> Any:
        if ftype is FieldType.FLOAT_SERIES:
            return float(value)
        if ftype is FieldType.STRING_SERIES:
            return self._text(path, str(value))
        image = value if isinstance(value, dict) else {"data": value}
        ref = self._blob(path, _decode(path, image.get("data")), "png")
        for key in ("name", "description"):
            if image.get(key) is not None:
                ref[key] = str(image[key])
        return ref

    def _clear(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        self._last_step.pop(path, None)
        return [Operation(OpKind.CLEAR, path, _CLEARS[op["type"]])]

    def _configure(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        config = {"min": op.get("min"), "max": op.get("max"), "unit": op.get("unit")}
        return [Operation(OpKind.CONFIGURE, path, FieldType.FLOAT_SERIES, config)]

    # string sets -------------------------------------------------------------------------
    def _strings(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        kind = OpKind.SET_ADD if op["type"] == "AddStrings" else OpKind.SET_REMOVE
        return [Operation(kind, path, FieldType.STRING_SET, sorted(map(str, op["values"])))]

    # files -------------------------------------------------------------------------------
    def _upload_file(self, path: str, op: dict[str, Any], upload_path: Path) -> list[Operation]:
        if op.get("file_path"):
            source = Path(op["file_path"])
        elif op.get("tmp_file_name"):
            source = upload_path / op["tmp_file_name"]
        else:
            raise Skipped("an UploadFile operation that names no file; not imported")
        if not source.is_file():
            raise Skipped(f"the file {source} is gone; this File field was not imported")
        digest, size = self._store.put_blob_file(source, project=self._project)
        self.counts.files += 1
        ref = {"digest": digest, "size": size, "extension": op.get("ext") or ""}
        return [Operation(OpKind.ASSIGN, path, FieldType.FILE, ref)]

    def _upload_content(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        data = _decode(path, op["file_content"])
        ref = self._blob(path, data, op.get("ext") or "")
        return [Operation(OpKind.ASSIGN, path, FieldType.FILE, ref)]

    def _blob(self, path: str, data: bytes, extension: str) -> dict[str, Any]:
        self.counts.files += 1
        return {
            "digest": self._store.put_blob(data, project=self._project),
            "size": len(data),
            "extension": extension,
        }

    def _upload_file_set(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        out: list[Operation] = []
        if str(op.get("reset")) == "True":
            out.append(Operation(OpKind.CLEAR, path, FieldType.FILE_SET))
        matched = _match(path, op["file_globs"], self._warn)
        if not matched:
            return out
        files: dict[str, Any] = {}
        for name, source in expand_files(matched, _common_root(matched, self._cwd)):
            digest, size = self._store.put_blob_file(source, project=self._project)
            files[name] = {"digest": digest, "size": size, "mtime": source.stat().st_mtime}
        self.counts.files += len(files)
        out.append(Operation(OpKind.FILES_UPLOAD, path, FieldType.FILE_SET, files))
        return out

    def _delete_files(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        patterns = sorted(map(str, op["file_paths"]))
        return [Operation(OpKind.FILES_DELETE, path, FieldType.FILE_SET, patterns)]

    # artifacts ---------------------------------------------------------------------------
    def _assign_artifact(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        value = {"hash": str(op["hash"]), "files": []}
        self._artifacts[path] = value
        return [Operation(OpKind.ASSIGN, path, FieldType.ARTIFACT, value)]

    def _track_files(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        entries: list[dict[str, Any]] = []
        for source, destination in op["entries"]:
            local = str(source).removeprefix("file://")
            if "://" in local:
                raise Skipped(f"tracks {source}, which is not a local file; not imported")
            matched = _match(path, [local], self._warn)
            entries.extend(artifact_entries(matched, destination))
        if not entries:
            return []
        value = merge_artifact(self._artifacts.get(path), entries)
        self._artifacts[path] = value
        return [Operation(OpKind.ASSIGN, path, FieldType.ARTIFACT, value)]

    def _clear_artifact(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        value = merge_artifact(None, [])
        self._artifacts[path] = value
        return [Operation(OpKind.ASSIGN, path, FieldType.ARTIFACT, value)]

    # the rest ----------------------------------------------------------------------------
    def _delete(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        self._forget(path)
        return [Operation(OpKind.DELETE, path)]

    def _forget(self, path: str) -> None:
        """What is known of the fields at and under ``path`` (deleted, or a cleared series)."""
        for known in (self._last_step, self._artifacts):
            for key in [k for k in known if k == path or k.startswith(path + "/")]:
                del known[key]

    def _copy(self, path: str, op: dict[str, Any], _: Path) -> list[Operation]:
        source = "/".join(op.get("source_path") or [])
        raise Skipped(
            f"copies '{source}' of {op.get('container_type')} {op.get('container_id')} from "
            "Neptune's server, which local data does not hold; not imported"
        )


@dataclass
class Points:
    """Points of one or more appends to a series, before ``coalesce`` makes them arrays."""

    steps: list[float]
    values: list[Any]
    timestamps: list[float]

    def extend(self, other: Points) -> None:
        self.steps.extend(other.steps)
        self.values.extend(other.values)
        self.timestamps.extend(other.timestamps)

    def as_series_points(self, ftype: FieldType | None) -> SeriesPoints:
        values = self.values
        if ftype is FieldType.FLOAT_SERIES:
            values = np.asarray(values, dtype=np.float64)  # type: ignore[assignment]
        steps = np.asarray(self.steps, dtype=np.float64)
        return SeriesPoints(steps, values, np.asarray(self.timestamps, dtype=np.float64))


def coalesce(operations: list[Operation]) -> list[Operation]:
    """The same writes, with consecutive appends to each series merged into one operation
    (Neptune logs one record per append call). Any other write keeps its place: the appends
    before it are emitted first."""
    out: list[Operation] = []
    pending: dict[str, tuple[FieldType | None, Points]] = {}

    def flush() -> None:
        for path, (ftype, points) in pending.items():
            out.append(Operation(OpKind.LOG, path, ftype, points.as_series_points(ftype)))
        pending.clear()

    for op in operations:
        if op.kind is not OpKind.LOG:
            flush()
            out.append(op)
            continue
        merged = pending.get(op.path)
        if merged is not None and merged[0] is not op.type:
            flush()
            merged = None
        if merged is None:
            pending[op.path] = (op.type, Points([], [], []))
        pending[op.path][1].extend(op.value)
    flush()
    return out


def _decode(path: str, data: Any) -> bytes:
    if not isinstance(data, str):
        raise Skipped("an image or file with no content; not imported")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise Skipped("content that is not base64; not imported") from None


def _match(path: str, patterns: list[str], warn: Callable[[str], None]) -> list[str]:
    matched: list[str] = []
    for pattern in patterns:
        found = glob.glob(str(pattern), recursive=True)
        if not found:
            warn(f"{path}: nothing matches {pattern} any more; those files were not imported")
        matched.extend(found)
    return matched


def _common_root(matched: list[str], cwd: Path) -> Path | None:
    """The folder Neptune named files relative to (``neptune.internal.utils.get_common_root``):
    the deepest one they all share, or the process's folder when that one is inside it."""
    if not matched:
        return None
    root = os.path.commonpath([os.path.abspath(m) for m in matched])
    root = os.path.dirname(root) if os.path.isfile(root) else root
    return cwd if root.startswith(f"{cwd}{os.sep}") else Path(root)


Handler = Callable[[Translator, str, dict[str, Any], Path], list[Operation]]

#: Every operation type of neptune.internal.operation (1.x) and what it becomes.
NEPTUNE_OPERATIONS: dict[str, Handler] = {
    **{name: Translator._atom for name in _ATOMS},
    "AssignDatetime": Translator._datetime,
    "AssignArtifact": Translator._assign_artifact,
    "UploadFile": Translator._upload_file,
    "UploadFileContent": Translator._upload_content,
    "UploadFileSet": Translator._upload_file_set,
    **{name: Translator._log for name in _SERIES},
    **{name: Translator._clear for name in _CLEARS},
    "ConfigFloatSeries": Translator._configure,
    "AddStrings": Translator._strings,
    "RemoveStrings": Translator._strings,
    "DeleteFiles": Translator._delete_files,
    "DeleteAttribute": Translator._delete,
    "TrackFilesToArtifact": Translator._track_files,
    "ClearArtifact": Translator._clear_artifact,
    "CopyAttribute": Translator._copy,
}
