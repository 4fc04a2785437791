"""Applying a batch of operations to one object: the write rules every SQL store shares.

The local store (SQLite, nepnb.store.local) and the tracking server's SQL store
(SQLAlchemy, nepnb.server.sql) subclass :class:`Applier` with their database primitives,
so that a batch means the same thing in both (the rules around a batch, and those of
reads and catalog work, are nepnb.store.sqlcore's). Series are stored in chunks of up to
``CHUNK_POINTS`` points: steps, values and timestamps as packed float64 arrays (values of
string and file series as JSON).
"""

from __future__ import annotations

import fnmatch
import json
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import numpy as np

from nepnb.exceptions import RejectedOperation
from nepnb.store.field_types import FieldType, with_article
from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints

CHUNK_POINTS = 16_384
#: Small chunks allowed at the end of a series before they are merged.
TAIL_CHUNKS = 32
#: Computed when read (never stored): the bytes an object takes.
SIZE_FIELD = "sys/size"
PING_FIELD = "sys/ping_time"
EMPTY_META: dict[str, Any] = {
    "count": 0,
    "last": None,
    "last_step": None,
    "last_timestamp": None,
    "next_seq": 0,
    "tail_seq": 0,
}
SERIES_CONFIG = ("min", "max", "unit")


class Applier(ABC):
    """Applies the operations of one batch to one object, inside the caller's transaction.

    The rules (types fixed at first write, increasing steps, chunked series, savepoints per
    operation) live here; subclasses give the few database primitives (``_db_*``).
    """

    def __init__(self, uid: str) -> None:
        self.uid = uid
        self.known: dict[str, tuple[FieldType, Any] | None] = {}

    def apply(self, batch: Batch, *, savepoints: bool = True) -> list[RejectedOperation]:
        """Apply ``batch``; returns the operations refused (each refused one changed nothing).

        Without ``savepoints``, an operation that fails unexpectedly raises
        :class:`NeedSavepoints`: the caller rolls the transaction back and applies the batch
        again with them. (Refusals are decided before an operation writes, so only such
        failures need a savepoint; skipping them halves the statements of a batch.)
        """
        self._load([op.path for op in batch.operations])
        rejected = []
        for op in batch.operations:
            # Each operation is all or nothing: a savepoint undoes a half-applied one, so a
            # bad operation never blocks the ones after it (or the queue it came from).
            if savepoints:
                self._db_savepoint()
            known = dict(self.known) if savepoints else self.known
            try:
                reason = self._apply(op)
                if savepoints:  # a buffered write that fails must fail inside the savepoint
                    self.flush()
            except Dropped as dropped:
                if savepoints:
                    self._db_release()
                rejected.append(RejectedOperation(op.path, str(dropped), dropped=True))
                continue
            except Exception as error:
                if not savepoints:
                    raise NeedSavepoints(op.path) from error
                self._db_rollback()
                self.known = known
                rejected.append(RejectedOperation(op.path, f"could not be stored: {error!r}"))
                continue
            if savepoints:
                self._db_release()
            if reason:
                rejected.append(RejectedOperation(op.path, reason))
        return rejected

    def _load(self, paths: list[str]) -> None:
        wanted = {p for p in paths if p not in self.known}
        for path, ftype, raw in self._db_fields(sorted(wanted)):
            kind = FieldType(ftype)
            self.known[path] = (kind, decode_value(kind, raw, raw_datetime=True))
        for path in wanted:
            self.known.setdefault(path, None)

    def _field(self, path: str) -> tuple[FieldType, Any] | None:
        if path not in self.known:
            self._load([path])
        return self.known[path]

    def set(self, path: str, ftype: FieldType, value: Any) -> None:
        """Set a field outside any operation (the ``sys/`` fields a store maintains)."""
        self._set(path, ftype, value)

    def _set(self, path: str, ftype: FieldType, value: Any) -> None:
        self.known[path] = (ftype, value)
        self._db_set(path, ftype, json.dumps(value))

    def _placement_conflict(self, path: str) -> str | None:
        """Why a new field cannot be created at ``path`` (a parent is a field, or it is a namespace)."""
        parts = path.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            existing = self._field(parent)
            if existing is not None:
                return (
                    f"'{parent}' is {with_article(existing[0].label)} field, so nothing can be "
                    "stored under it"
                )
        child = self._db_first_child(path)
        if child:
            return f"'{path}' is a namespace (it holds '{child}'); it cannot also be a field"
        return None

    def _typed(self, op: Operation, wanted: FieldType | tuple[FieldType, ...]) -> tuple[Any, str]:
        """The field's current value (None if new) and a rejection reason ('' if fine)."""
        existing = self._field(op.path)
        wanted_types = wanted if isinstance(wanted, tuple) else (wanted,)
        if existing is None:
            conflict = self._placement_conflict(op.path)
            return None, conflict or ""
        if existing[0] not in wanted_types:
            label = " or ".join(t.label for t in wanted_types)
            return None, (
                f"field is {with_article(existing[0].label)}; cannot store {with_article(label)} there"
            )
        return existing[1], ""

    def _apply(self, op: Operation) -> str | None:
        handler = getattr(self, f"_op_{op.kind.value}")
        return handler(op)

    def _op_assign(self, op: Operation) -> str | None:
        assert op.type is not None
        _, reason = self._typed(op, op.type)
        if reason:
            return reason
        self._set(op.path, op.type, op.value)
        return None

    def _op_log(self, op: Operation) -> str | None:
        assert op.type is not None
        meta, reason = self._typed(op, op.type)
        if reason:
            return reason
        meta = dict(EMPTY_META) if meta is None else dict(meta)
        points: SeriesPoints = op.value
        if not len(points.steps) == len(points.values) == len(points.timestamps):
            return (
                f"malformed points: {len(points.steps)} steps, {len(points.values)} values, "
                f"{len(points.timestamps)} timestamps"
            )
        steps = np.asarray(points.steps, dtype=np.float64)
        last_step = meta["last_step"]
        if np.isnan(steps).any():
            steps = number_steps(steps, last_step)
        floor = -np.inf if last_step is None else last_step
        previous_max = np.maximum.accumulate(np.concatenate(([floor], steps)))[:-1]
        keep = steps > previous_max
        dropped = int(len(steps) - keep.sum())
        if dropped:
            steps = steps[keep]
            times = np.asarray(points.timestamps, dtype=np.float64)[keep]
            if op.type is FieldType.FLOAT_SERIES:
                values: Any = np.asarray(points.values, dtype=np.float64)[keep]
            else:
                values = [v for v, k in zip(points.values, keep, strict=True) if k]
        else:
            times = np.asarray(points.timestamps, dtype=np.float64)
            values = points.values
            if op.type is FieldType.FLOAT_SERIES:
                values = np.asarray(values, dtype=np.float64)
        if len(steps):
            self._write_points(op.path, op.type, meta, steps, values, times)
        self._set(op.path, op.type, meta)
        if dropped:
            raise Dropped(
                f"{dropped} point(s) not stored: steps must increase "
                f"(the series was at step {format_step(last_step)})"
            )
        return None

    def _write_points(
        self,
        path: str,
        ftype: FieldType,
        meta: dict[str, Any],
        steps: np.ndarray,
        values: Any,
        times: np.ndarray,
    ) -> None:
        total = len(steps)
        seq = meta["next_seq"]
        for start in range(0, total, CHUNK_POINTS):
            end = min(start + CHUNK_POINTS, total)
            self._put_chunk(path, ftype, seq, steps[start:end], values[start:end], times[start:end])
            seq += 1
        meta["next_seq"] = seq
        meta["count"] += total
        last_value = values[total - 1]
        meta["last"] = float(last_value) if ftype is FieldType.FLOAT_SERIES else last_value
        meta["last_step"] = float(steps[-1])
        meta["last_timestamp"] = float(times[-1])
        if total < CHUNK_POINTS:
            tail = meta.setdefault("tail_seq", 0)
            if seq - tail > TAIL_CHUNKS:
                self._compact_tail(path, ftype, meta)
        else:
            # A full chunk was written last or only the last one is partial: the tail starts there.
            meta["tail_seq"] = seq - 1

    def _compact_tail(self, path: str, ftype: FieldType, meta: dict[str, Any]) -> None:
        """Merge the small chunks that small appends left at the end of a series."""
        tail = meta["tail_seq"]
        rows = self._db_chunks_from(path, tail)
        self._db_delete_chunks(path, tail)
        steps = np.concatenate([np.frombuffer(r[0], dtype=np.float64) for r in rows])
        times = np.concatenate([np.frombuffer(r[2], dtype=np.float64) for r in rows])
        values: Any
        if ftype is FieldType.FLOAT_SERIES:
            values = np.concatenate([np.frombuffer(r[1], dtype=np.float64) for r in rows])
        else:
            values = [v for r in rows for v in json.loads(r[1])]
        seq = tail
        for start in range(0, len(steps), CHUNK_POINTS):
            end = min(start + CHUNK_POINTS, len(steps))
            self._put_chunk(path, ftype, seq, steps[start:end], values[start:end], times[start:end])
            seq += 1
        meta["next_seq"] = seq
        meta["tail_seq"] = seq - 1

    def _put_chunk(
        self,
        path: str,
        ftype: FieldType,
        seq: int,
        steps: np.ndarray,
        values: Any,
        times: np.ndarray,
    ) -> None:
        if ftype is FieldType.FLOAT_SERIES:
            packed = np.ascontiguousarray(values, dtype=np.float64).tobytes()
        else:
            packed = json.dumps(list(values)).encode()
        self._db_put_chunk(
            path,
            seq,
            len(steps),
            np.ascontiguousarray(steps, dtype=np.float64).tobytes(),
            packed,
            np.ascontiguousarray(times, dtype=np.float64).tobytes(),
        )

    def _op_clear(self, op: Operation) -> str | None:
        existing = self._field(op.path)
        if existing is None:
            return None
        ftype, value = existing
        if ftype.is_series:
            self._db_delete_chunks(op.path, 0)
            meta = dict(EMPTY_META)
            meta.update({k: value.get(k) for k in SERIES_CONFIG if k in value})
            self._set(op.path, ftype, meta)
        elif ftype is FieldType.STRING_SET:
            self._set(op.path, ftype, [])
        elif ftype is FieldType.FILE_SET:
            self._set(op.path, ftype, {})
        else:
            return (
                f"field is a {ftype.label}; only series, string sets and file sets can be cleared"
            )
        return None

    def _op_configure(self, op: Operation) -> str | None:
        meta, reason = self._typed(op, FieldType.FLOAT_SERIES)
        if reason:
            return reason
        meta = dict(EMPTY_META) if meta is None else dict(meta)
        meta.update(op.value)
        self._set(op.path, FieldType.FLOAT_SERIES, meta)
        return None

    def _op_set_add(self, op: Operation) -> str | None:
        current, reason = self._typed(op, FieldType.STRING_SET)
        if reason:
            return reason
        self._set(op.path, FieldType.STRING_SET, sorted(set(current or ()) | set(op.value)))
        return None

    def _op_set_remove(self, op: Operation) -> str | None:
        current, reason = self._typed(op, FieldType.STRING_SET)
        if reason:
            return reason
        self._set(op.path, FieldType.STRING_SET, sorted(set(current or ()) - set(op.value)))
        return None

    def _op_files_upload(self, op: Operation) -> str | None:
        current, reason = self._typed(op, FieldType.FILE_SET)
        if reason:
            return reason
        self._set(op.path, FieldType.FILE_SET, {**(current or {}), **op.value})
        return None

    def _op_files_delete(self, op: Operation) -> str | None:
        current, reason = self._typed(op, FieldType.FILE_SET)
        if reason:
            return reason
        kept = {
            name: ref
            for name, ref in (current or {}).items()
            if not any(matches_file(name, pattern) for pattern in op.value)
        }
        self._set(op.path, FieldType.FILE_SET, kept)
        return None

    def _op_delete(self, op: Operation) -> str | None:
        self._db_delete_under(op.path)
        prefix = op.path + "/"
        for path in list(self.known):
            if path == op.path or path.startswith(prefix):
                self.known[path] = None
        return None

    # database primitives ---------------------------------------------------------------
    @abstractmethod
    def _db_fields(self, paths: list[str]) -> Iterable[tuple[str, str, str | None]]:
        """(path, type, JSON value) of the object's fields among ``paths``."""

    @abstractmethod
    def _db_set(self, path: str, ftype: FieldType, raw: str) -> None:
        """Insert or replace the field ``path`` (``raw``: its JSON value)."""

    @abstractmethod
    def _db_first_child(self, path: str) -> str | None:
        """The path of some field under the namespace ``path``, or None."""

    @abstractmethod
    def _db_put_chunk(
        self, path: str, seq: int, count: int, steps: bytes, vals: bytes, times: bytes
    ) -> None:
        """Insert or replace chunk ``seq`` of the series ``path``."""

    @abstractmethod
    def _db_chunks_from(self, path: str, seq: int) -> list[tuple[bytes, bytes, bytes]]:
        """(steps, vals, times) of the chunks of ``path`` from ``seq`` on, in order."""

    @abstractmethod
    def _db_delete_chunks(self, path: str, seq: int) -> None:
        """Delete the chunks of ``path`` from ``seq`` on."""

    @abstractmethod
    def _db_delete_under(self, path: str) -> None:
        """Delete the field ``path``, every field under it, and their chunks."""

    def flush(self) -> None:  # noqa: B027 - a hook: most stores write at once
        """Write what the subclass buffered (nothing by default)."""

    @abstractmethod
    def _db_savepoint(self) -> None:
        """Open a savepoint around one operation."""

    @abstractmethod
    def _db_rollback(self) -> None:
        """Undo everything since the savepoint, and close it."""

    @abstractmethod
    def _db_release(self) -> None:
        """Keep everything since the savepoint, and close it."""


class NeedSavepoints(Exception):
    """An operation failed while a batch was applied without savepoints (see ``apply``)."""


class Dropped(Exception):
    """Points of a LOG operation left out (the others are stored)."""


def number_steps(steps: np.ndarray, last_step: float | None) -> np.ndarray:
    """Steps with each NaN ("the next one") replaced by the previous step + 1."""
    start = 0.0 if last_step is None else last_step + 1.0
    missing = np.isnan(steps)
    if missing.all():
        return start + np.arange(len(steps), dtype=np.float64)
    numbered = steps.copy()
    previous = -1.0 if last_step is None else last_step
    for i, step in enumerate(numbered):
        if step != step:  # NaN
            step = previous + 1.0
            numbered[i] = step
        previous = max(previous, step)
    return numbered


def matches_file(name: str, pattern: str) -> bool:
    pattern = pattern.strip("/")
    return name == pattern or name.startswith(pattern + "/") or fnmatch.fnmatchcase(name, pattern)


def format_step(step: float | None) -> str:
    if step is None:
        return "none"
    return str(int(step)) if float(step).is_integer() else str(step)


def decode_value(kind: FieldType, raw: str | None, *, raw_datetime: bool = False) -> Any:
    value = None if raw is None else json.loads(raw)
    if kind is FieldType.DATETIME and value is not None and not raw_datetime:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return value


def batch_bytes(batch: Batch) -> int:
    """About how many bytes storing ``batch`` takes: 24 per float point (step, value,
    timestamp) and the JSON of everything else. Not the files it names: a project is charged
    for those once, when it uploads them (the tracking server's ``blob_projects``)."""
    total = 0
    for op in batch.operations:
        value = op.value
        if isinstance(value, SeriesPoints):
            if op.type is FieldType.FLOAT_SERIES:
                total += 24 * len(value)
            else:
                total += 16 * len(value) + len(json.dumps(list(value.values), default=str))
            continue
        total += len(op.path) + len(json.dumps(value, default=str))
    return total


def only_pings(batch: Batch) -> bool:
    return bool(batch.operations) and all(
        op.kind is OpKind.ASSIGN and op.path == PING_FIELD for op in batch.operations
    )


def project_key(project: str, taken: set[str]) -> str:
    """A short upper-case key for a project: initials of its words, or its first letters."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", project) if w]
    letters = "".join(w[0] for w in words) if len(words) > 1 else ""
    if len(letters) < 2:
        letters = re.sub(r"[^A-Za-z0-9]", "", project)[:3]
    base = (letters or "PRJ").upper()[:5]
    if not base[0].isalpha():
        base = "P" + base[:4]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}{n}", n + 1
    return key


def chosen_key(key: str | None, taken: set[str], project: str) -> str:
    """``key`` (upper-cased) if it is a usable project key not in ``taken``, else the error
    to raise; without one, a key made from the name (``project_key``)."""
    from nepnb.exceptions import Conflict, InvalidValue

    if key is None:
        return project_key(project, taken)
    key = key.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{1,10}", key) or not re.search(r"[A-Z]", key):
        raise InvalidValue(
            f"project key {key!r} must have 1 to 10 letters or digits, at least one letter "
            "(e.g. 'CLS')"
        )
    if key in taken:
        raise Conflict(f"the project key {key!r} is taken; choose another")
    return key


def new_uid() -> str:
    """A new object uid."""
    return uuid.uuid4().hex
