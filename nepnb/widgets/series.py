"""What a chart shows: float series of runs, read downsampled from the store and, for a run
open for writing in this process, together with the points still in its write pipeline.

A training loop appends to a run's pipeline without a lock (see :mod:`nepnb.client.buffers`);
what is there reaches the store only at the next flush. :func:`pending_points` copies those
points without the lock and without slowing or disturbing the loop: a list copy of the pending
buffers and an ``array`` slice of each are single C-level copies under the GIL, and a slice,
unlike ``memoryview`` or ``numpy.frombuffer``, exports no buffer of the open column (an export
would make the hot path's next ``append`` fail and take the slow path).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nepnb.client.buffers import SeriesBuffer
from nepnb.exceptions import InvalidValue, MissingField, NotAvailableInMode
from nepnb.store.base import require_float_series
from nepnb.store.downsample import SeriesBuckets, concat_buckets, downsample, sort_by_x
from nepnb.store.field_types import FieldType

if TYPE_CHECKING:
    from nepnb.client.objects import NeptuneObject

__all__ = ["ChartSeries", "PendingCopies", "pending_points"]

_EMPTY = np.empty(0, dtype=np.float64)
#: How often a run opened read-only is asked whether it still runs (seconds).
STATE_CHECK_SECONDS = 1.0


class PendingCopies:
    """The hot path's open buffers as copied so far, so that each read copies only the points
    appended since the last one (a training loop's buffer holds up to a flush period of
    points: copying all of them a few times a second would hold the GIL for long)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the feed thread and the kernel's fetches share it
        self._copies: dict[int, _Copy] = {}

    def points(self, buffer: SeriesBuffer) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, values)`` of a buffer of consecutive steps: read-only views."""
        assert buffer.values is not None and buffer.first_step is not None
        with self._lock:
            copy = self._copies.get(id(buffer))
            if copy is None or copy.buffer is not buffer:
                copy = self._copies[id(buffer)] = _Copy(buffer)
            new = buffer.values[copy.count :]  # a copy of the new part, no buffer export
            count = copy.count + len(new)
            if count > len(copy.y):
                size = max(count, 2 * len(copy.y), 1024)
                copy.y = np.resize(copy.y[: copy.count], size)
                copy.x = buffer.first_step + np.arange(size, dtype=np.float64)
            copy.y[copy.count : count] = np.frombuffer(new, dtype=np.float64)
            copy.count = count
            x, y = copy.x[:count], copy.y[:count]
        x.flags.writeable = y.flags.writeable = False
        return x, y

    def keep_only(self, buffers: list[SeriesBuffer]) -> None:
        """Forget the copies of buffers no longer pending."""
        with self._lock:
            alive = {id(buffer) for buffer in buffers}
            for key in [key for key in self._copies if key not in alive]:
                del self._copies[key]


class _Copy:
    __slots__ = ("buffer", "count", "x", "y")

    def __init__(self, buffer: SeriesBuffer) -> None:
        self.buffer = buffer  # held: its id is not reused while it is here
        self.count = 0
        self.x = _EMPTY
        self.y = _EMPTY


def pending_points(
    obj: NeptuneObject, path: str, x_axis: str, copies: PendingCopies | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The points of the float series ``path`` in ``obj``'s write pipeline (not yet handed to
    the writer), as ``(x, y)`` along ``x_axis`` ("step" or "time"), in x order. Points the
    store will number (NaN steps) have no place on a step axis and are left out. ``copies``:
    what earlier reads copied of the open buffers, to copy only what is new."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    ordered = True  # steps of the hot path's buffers are consecutive and never NaN
    buffers = [
        item
        for item in obj.pending_series(path)  # one C-level copy: no lock
        if item.type is FieldType.FLOAT_SERIES
    ]
    if copies is not None:
        copies.keep_only(buffers)
    for item in buffers:
        if item.values is not None and item.first_step is not None:
            if x_axis == "step" and copies is not None:
                x, y = copies.points(item)
                xs.append(x)
                ys.append(y)
                continue
            values = item.values[:]  # a copy, no buffer export (see the module docstring)
            if x_axis == "step":
                y = np.frombuffer(values, dtype=np.float64)
                x = item.first_step + np.arange(len(y), dtype=np.float64)
            else:
                stamps = item.values.stamps[:]
                count = min(len(values), len(stamps))
                y = np.frombuffer(values, dtype=np.float64)[:count]
                x = np.frombuffer(stamps, dtype=np.float64)[:count]
                ordered = False
        else:
            data = item.data[:]
            triples = np.frombuffer(data, dtype=np.float64)[: len(data) // 3 * 3].reshape(-1, 3)
            x, y = triples[:, 0 if x_axis == "step" else 2], triples[:, 1]
            ordered = False
        xs.append(x)
        ys.append(y)
    if not xs:
        return _EMPTY, _EMPTY
    x, y = (xs[0], ys[0]) if len(xs) == 1 else (np.concatenate(xs), np.concatenate(ys))
    if ordered and len(xs) == 1:
        return x, y
    keep = ~np.isnan(x)
    if not keep.all():
        x, y = x[keep], y[keep]
    return sort_by_x(x, y)


@dataclass
class ChartSeries:
    """One line of a chart: the float series at ``path`` of ``obj`` (a run, model …)."""

    obj: NeptuneObject
    path: str
    label: str = ""
    _state_checked: float = field(default=0.0, repr=False)
    _running: bool = field(default=False, repr=False)
    _copies: PendingCopies = field(default_factory=PendingCopies, repr=False)

    def __post_init__(self) -> None:
        if self.obj.store is None or self.obj.info is None:
            mode = self.obj.mode
            raise NotAvailableInMode(
                f"cannot chart '{self.path}' of a {mode} {self.obj.kind_label}: charts read "
                "from a store, and its data is in none"
                + (" yet; upload it with `nepnb sync` first." if mode == "offline" else ".")
            )
        if not self.label:
            self.label = self.run_id

    @property
    def run_id(self) -> str:
        return self.obj.sys_id or "?"

    @property
    def key(self) -> str:
        """The chart's key for this series (opaque to the browser)."""
        return json.dumps([self.run_id, self.path])

    @property
    def writing_here(self) -> bool:
        """True while the object is open for writing in this process."""
        return self.obj.get_state() != "stopped" and self.obj.mode in ("async", "sync")

    def is_live(self) -> bool:
        """True while points may still come: the object is open for writing here, or (opened
        read-only) the store says it is running."""
        if self.writing_here:
            return True
        if self.obj.mode != "read-only" or self.obj.get_state() == "stopped":
            return False
        now = time.monotonic()
        if now - self._state_checked >= STATE_CHECK_SECONDS:
            self._state_checked = now
            store, uid = self._location()
            info = store.get_fields(uid, ["sys/state"]).get("sys/state")
            self._running = info is not None and info.value == "running"
        return self._running

    def check(self) -> None:
        """MissingField or InvalidValue unless the path is (or, in a run being written here,
        may become) a float series."""
        store, uid = self._location()
        info = store.get_fields(uid, [self.path]).get(self.path)
        if info is None and self.writing_here:
            claimed = self.obj.field_type(self.path)
            if claimed is None or claimed is FieldType.FLOAT_SERIES:
                return  # the loop about to run appends to it
            require_float_series(self.path, claimed, self.run_id)
        require_float_series(self.path, None if info is None else info.type, self.run_id)

    def read(
        self,
        buckets: int,
        x_axis: str = "step",
        start: float | None = None,
        end: float | None = None,
    ) -> SeriesBuckets:
        """The series downsampled to at most ``buckets`` buckets of ``[start, end]``: the
        store's points, then the newer ones still in this process's write pipeline."""
        store, uid = self._location()
        try:
            stored = store.read_series_buckets(
                uid, self.path, buckets=buckets, x_axis=x_axis, start=start, end=end
            )
        except MissingField:
            if not self.writing_here:
                raise MissingField(self.path, self.run_id) from None
            stored = downsample(_EMPTY, _EMPTY, buckets)
        if not self.writing_here:
            self._copies.keep_only([])  # stopped: let its last buffers go
            return stored
        x, y = pending_points(self.obj, self.path, x_axis, self._copies)
        if stored.extent is not None:  # a point drained meanwhile may be in both
            newer = np.searchsorted(x, stored.extent[1], side="right")
            x, y = x[newer:], y[newer:]
        if not len(x):
            return stored
        if end is not None and end < x[0]:  # the range ends before them
            return stored
        tail = downsample(
            x,
            y,
            buckets,
            start=None if start is None or start <= x[0] else start,
            end=None if end is None or end >= x[-1] else end,
        )  # its own edge points: the one before a zoomed range, the one after it
        joined = concat_buckets([stored, tail], buckets)
        extent = (x[0] if stored.extent is None else stored.extent[0], float(x[-1]))
        return SeriesBuckets(
            joined.x, joined.min, joined.max, joined.last, joined.count, joined.in_range,
            stored.total + len(x), (float(extent[0]), extent[1]), joined.exact,
        )  # fmt: skip

    def reply(self, buckets: SeriesBuckets, x_axis: str) -> dict[str, Any]:
        """``buckets`` as the browser's ISeriesBuckets (labextension/src/tokens.ts)."""
        return {"run": self.run_id, "path": self.path, "x_axis": x_axis, **buckets.to_json()}

    def _location(self) -> tuple[Any, str]:
        if self.obj.store is None or self.obj.info is None:  # checked at creation
            raise InvalidValue(f"'{self.path}' of {self.obj.label} is in no store")
        return self.obj.store, self.obj.info.uid
