"""Downsampling of float series for charts: min, max and last value per bucket of x.

A chart never needs more points than it has pixels. :func:`downsample` cuts an x range into
equal-width buckets and keeps, per non-empty bucket, the exact min and max of its finite
values, the value of its last point and how many points it holds, so that a line drawn
through ``last`` with a band between ``min`` and ``max`` shows every spike of the series.
Pure numpy, no I/O: the stores call it on what they read (DESIGN.md section 4).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nepnb.exceptions import InvalidValue

__all__ = [
    "MAX_BUCKETS",
    "X_AXES",
    "SeriesBuckets",
    "check_request",
    "concat_buckets",
    "downsample",
    "downsample_chunks",
    "sort_by_x",
]

#: The x axes a series can be charted against: its steps, or its timestamps (epoch seconds).
X_AXES = ("step", "time")
#: The most buckets one request may ask for.
MAX_BUCKETS = 10_000


@dataclass(frozen=True)
class SeriesBuckets:
    """A float series downsampled to buckets (or, when ``exact``, its points as they are).

    ``x``, ``min``, ``max``, ``last`` and ``count`` have one entry per non-empty bucket, in
    x order; the nearest point before ``start`` and after ``end``, when there are any, come
    first and last as entries of their own (``count`` 1) so that a zoomed line reaches the
    edges. ``min``/``max`` are NaN where a bucket has no finite value.
    """

    x: np.ndarray
    min: np.ndarray
    max: np.ndarray
    last: np.ndarray
    count: np.ndarray
    #: Points in the asked range, and in the whole series.
    in_range: int
    total: int
    #: The x range of the whole series, or None when it is empty.
    extent: tuple[float, float] | None
    #: True when every point of the range is here as it is.
    exact: bool

    def __len__(self) -> int:
        return len(self.x)

    def to_json(self) -> dict[str, Any]:
        """The buckets as JSON data (ISeriesBuckets without run, path and x_axis)."""
        return {
            "x": _finite_or_none(self.x),
            "min": _finite_or_none(self.min),
            "max": _finite_or_none(self.max),
            "last": _finite_or_none(self.last),
            "count": [int(c) for c in self.count.tolist()],
            "in_range": self.in_range,
            "total": self.total,
            "extent": None if self.extent is None else [self.extent[0], self.extent[1]],
            "exact": self.exact,
        }


def check_request(
    buckets: int, x_axis: str, start: float | None, end: float | None
) -> tuple[float | None, float | None]:
    """Validate what a chart asks for; InvalidValue naming the wrong argument otherwise."""
    if isinstance(buckets, bool) or not isinstance(buckets, (int, np.integer)):
        raise InvalidValue(f"buckets must be a whole number, not {buckets!r}")
    if not 1 <= buckets <= MAX_BUCKETS:
        raise InvalidValue(f"buckets must be between 1 and {MAX_BUCKETS:,}, not {buckets}")
    if x_axis not in X_AXES:
        raise InvalidValue(f"the x axis must be one of {', '.join(X_AXES)}, not {x_axis!r}")
    bounds = []
    for name, value in (("start", start), ("end", end)):
        if value is not None:
            value = float(value)
            if not math.isfinite(value):
                raise InvalidValue(f"{name} must be a finite number, not {value}")
        bounds.append(value)
    if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
        raise InvalidValue(f"start ({bounds[0]}) must not be after end ({bounds[1]})")
    return bounds[0], bounds[1]


def downsample(
    x: np.ndarray,
    y: np.ndarray,
    buckets: int,
    start: float | None = None,
    end: float | None = None,
) -> SeriesBuckets:
    """Downsample the points (``x`` ascending, ``y``) of ``[start, end]`` to ``buckets``.

    The range (default: the whole series) is cut into ``buckets`` intervals of equal width,
    each closed on the left and open on the right, the last one closed. A bucket's ``x`` is
    the x of its last point.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise InvalidValue(f"x and y must be 1-d arrays of one length, not {x.shape}, {y.shape}")
    extent = (float(x[0]), float(x[-1])) if len(x) else None
    return downsample_chunks([(x, y)], buckets, start, end, total=len(x), extent=extent)


def downsample_chunks(
    chunks: Iterable[tuple[np.ndarray, np.ndarray]],
    buckets: int,
    start: float | None = None,
    end: float | None = None,
    *,
    total: int,
    extent: tuple[float, float] | None,
) -> SeriesBuckets:
    """:func:`downsample` of the concatenation of ``chunks`` (consecutive ``(x, y)`` pieces
    of one series, in x order), one chunk at a time: a store reads a long series chunk by
    chunk and never holds all of it. ``total`` and ``extent`` describe the whole series."""
    start, end = check_request(buckets, "step", start, end)
    if extent is None:
        empty = np.empty(0, dtype=np.float64)
        return SeriesBuckets(empty, empty, empty, empty, np.empty(0, np.int64), 0, 0, None, True)
    low = extent[0] if start is None else start
    high = extent[1] if end is None else end
    # Bucket i holds [low + i*w, low + (i+1)*w); the last one also holds `high`. Multiplied
    # before divided, so that whole-number steps fall on whole-number edges (50000 * 7 / 100
    # is 3500, while 50000 * (7 / 100) is 3500.0000000000005).
    edges = low + (high - low) * np.arange(1, buckets, dtype=np.float64) / buckets
    parts = _Parts(buckets)
    for x, y in chunks:
        lo = int(np.searchsorted(x, low, side="left"))
        hi = int(np.searchsorted(x, high, side="right"))
        if lo > 0:  # the latest point before the range so far
            parts.before = (x[lo - 1], y[lo - 1])
        if hi < len(x) and parts.after is None:
            parts.after = (x[hi], y[hi])
        if hi > lo:
            parts.add(x[lo:hi], y[lo:hi], edges)
    return parts.result(total, extent)


class _Parts:
    """Buckets of the chunks seen so far: per chunk, the buckets it touches (a bucket may
    span chunks), merged at the end; and the points themselves while they are few."""

    def __init__(self, buckets: int) -> None:
        self.buckets = buckets
        self.in_range = 0
        self.points: list[tuple[np.ndarray, np.ndarray]] | None = []
        self.pieces: list[tuple[np.ndarray, ...]] = []
        self.before: tuple[float, float] | None = None
        self.after: tuple[float, float] | None = None

    def add(self, x: np.ndarray, y: np.ndarray, edges: np.ndarray) -> None:
        """Points of the range, in x order."""
        self.in_range += len(x)
        if self.points is not None and self.in_range <= self.buckets:
            self.points.append((x.copy(), y.copy()))  # not views that hold a whole chunk
        else:
            self.points = None  # too many: buckets
        # Only the edges inside this piece split it: its first point is in bucket `first`.
        first = int(np.searchsorted(edges, x[0], side="right"))
        last = int(np.searchsorted(edges, x[-1], side="right"))
        bounds = np.empty(last - first + 2, dtype=np.int64)
        bounds[0], bounds[-1] = 0, len(x)
        bounds[1:-1] = np.searchsorted(x, edges[first:last], side="left")
        full = np.flatnonzero(bounds[1:] > bounds[:-1])
        starts, ends = bounds[full], bounds[full + 1]
        low, high = _finite_min_max(y, starts, ends)
        self.pieces.append((full + first, low, high, x[ends - 1], y[ends - 1], ends - starts))

    def result(self, total: int, extent: tuple[float, float]) -> SeriesBuckets:
        exact = self.points is not None
        if self.points:
            x = np.concatenate([p[0] for p in self.points])
            last = np.concatenate([p[1] for p in self.points])
            low = high = np.where(np.isfinite(last), last, np.nan)
            count = np.ones(len(x), dtype=np.int64)
        elif self.points is None:
            ids, lows, highs, xs, lasts, counts = (
                np.concatenate(c) for c in zip(*self.pieces, strict=True)
            )
            # Pieces of one bucket are consecutive: merge them.
            starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
            ends = np.r_[starts[1:], len(ids)]
            low, high = np.fmin.reduceat(lows, starts), np.fmax.reduceat(highs, starts)
            x, last = xs[ends - 1], lasts[ends - 1]
            count = np.add.reduceat(counts, starts)
        else:
            x = low = high = last = np.empty(0, dtype=np.float64)
            count = np.empty(0, dtype=np.int64)
        # The nearest point outside the range on each side, so the line reaches the edges.
        around = [(p, index) for p, index in ((self.before, 0), (self.after, len(x))) if p]
        for (px, py), index in reversed(around):
            finite = py if np.isfinite(py) else np.nan
            x, last = np.insert(x, index, px), np.insert(last, index, py)
            low, high = np.insert(low, index, finite), np.insert(high, index, finite)
            count = np.insert(count, index, 1)
        return SeriesBuckets(
            x=x,
            min=low,
            max=high,
            last=last,
            count=count.astype(np.int64, copy=False),
            in_range=self.in_range,
            total=total,
            extent=(float(extent[0]), float(extent[1])),
            exact=exact,
        )


def concat_buckets(parts: Iterable[SeriesBuckets], buckets: int) -> SeriesBuckets:
    """Consecutive parts of one series (each one's x after the previous one's) as one; when
    that makes more than ``buckets``, neighbours are merged into ``buckets``: a merged bucket
    keeps the min of the mins, the max of the maxes, the last x and value, the sum of the
    counts (what the chart's ``coarsen`` does in the browser)."""
    parts = [part for part in parts if part.extent is not None]
    if not parts:
        return downsample(np.empty(0), np.empty(0), buckets)
    x, low, high, last, count = (
        np.concatenate([getattr(p, name) for p in parts])
        for name in ("x", "min", "max", "last", "count")
    )
    exact = all(p.exact for p in parts)
    if len(x) > buckets:  # `buckets` groups of one or more neighbours each
        starts = (np.arange(buckets, dtype=np.int64) * len(x)) // buckets
        ends = np.r_[starts[1:], len(x)]
        low, high = np.fmin.reduceat(low, starts), np.fmax.reduceat(high, starts)
        x, last, count = x[ends - 1], last[ends - 1], np.add.reduceat(count, starts)
        exact = False
    return SeriesBuckets(
        x=x,
        min=low,
        max=high,
        last=last,
        count=count.astype(np.int64, copy=False),
        in_range=sum(p.in_range for p in parts),
        total=sum(p.total for p in parts),
        extent=(parts[0].extent[0], parts[-1].extent[1]),  # type: ignore[index]
        exact=exact,
    )


def sort_by_x(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``y`` in ascending x order (ties kept in their order): timestamps are
    usually logged in order, but nothing forces them to be."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(x) < 2 or bool((x[1:] >= x[:-1]).all()):
        return x, y
    order = np.argsort(x, kind="stable")
    return x[order], y[order]


def _finite_min_max(
    y: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of the finite values of each ``y[starts[i]:ends[i]]`` (NaN if none).

    ``fmin``/``fmax`` skip NaN by themselves; only when a result is infinite (an infinity in
    the bucket) or NaN (nothing but NaN) are the values looked at again without infinities.
    """
    segment = y[starts[0] : ends[-1]]
    offsets = starts - starts[0]
    low = np.fmin.reduceat(segment, offsets)
    high = np.fmax.reduceat(segment, offsets)
    if not (np.isfinite(low).all() and np.isfinite(high).all()):
        finite = np.where(np.isfinite(segment), segment, np.nan)
        low = np.fmin.reduceat(finite, offsets)
        high = np.fmax.reduceat(finite, offsets)
    return low, high


def _finite_or_none(values: np.ndarray) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values.tolist()]
