"""Reading chunked series: finding chunks by step, and downsampling them chunk by chunk.

Shared by the stores that keep series in chunks (nepnb.store.local, nepnb.server.sql).
A store gives two functions: ``probe(seq, last=False)`` -> ``(seq, first x, last x)`` of
the first chunk at or after ``seq`` (with ``last``: the last one at or before it; ``seq``
None: from the start, or the end), and ``read((first, last))`` -> the (x, values) arrays of
the chunks in that closed range of seqs, in order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from nepnb.store.base import SeriesData
from nepnb.store.downsample import SeriesBuckets, downsample, downsample_chunks, sort_by_x
from nepnb.store.field_types import FieldType

Chunk = tuple[int, float, float]
Probe = Callable[..., Chunk | None]
Reader = Callable[[tuple[int, int]], Iterator[tuple[np.ndarray, np.ndarray]]]


def chunked_buckets(
    probe: Probe,
    read: Reader,
    total: int,
    buckets: int,
    x_axis: str,
    start: float | None,
    end: float | None,
) -> SeriesBuckets:
    """A float series downsampled chunk by chunk, reading only the chunks a zoomed step range
    overlaps (a binary search over the chunks' first and last steps). Timestamps need not
    increase: the time axis reads every chunk, and sorts the points when they are not in
    order. ``start`` and ``end`` are checked already (``check_request``)."""
    first, last = probe(None), probe(None, last=True)
    if first is None or last is None:
        return downsample(np.empty(0), np.empty(0), buckets)
    extent = (first[1], last[2])
    seqs = (first[0], last[0])
    if x_axis == "step" and (start is not None or end is not None):
        low = extent[0] if start is None else start
        high = extent[1] if end is None else end
        # The first chunk reaching `low`, and the first one after `high`: the chunks
        # between them overlap the range; the one before holds the point just before.
        begin = first_chunk(
            probe, first[0], last[0], lambda c: c[2] >= low, guess(low, first, last)
        )
        after = first_chunk(probe, begin, last[0], lambda c: c[1] > high, guess(high, first, last))
        before = probe(begin - 1, last=True)
        seqs = (begin if before is None else before[0], after)
    chunks: Iterable[tuple[np.ndarray, np.ndarray]] = read(seqs)
    if x_axis == "time":
        chunks = in_order(chunks)
    try:
        return downsample_chunks(chunks, buckets, start, end, total=total, extent=extent)
    except Unordered:
        pass
    x, y = (np.concatenate(c) for c in zip(*read(seqs), strict=True))
    return downsample(*sort_by_x(x, y), buckets, start, end)


def float64(raw: bytes) -> float:
    """The first float64 packed in ``raw``."""
    return float(np.frombuffer(raw, dtype=np.float64)[0])


def guess(step: float, first: tuple[int, float, float], last: tuple[int, float, float]) -> int:
    """The seq of the chunk that holds ``step`` if the steps were evenly spaced."""
    span = last[2] - first[1]
    share = (step - first[1]) / span if span > 0 else 0.0
    return first[0] + int(min(max(share, 0.0), 1.0) * (last[0] - first[0]))


class Unordered(Exception):
    """Timestamps of a series that do not increase."""


def in_order(
    chunks: Iterable[tuple[np.ndarray, np.ndarray]],
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``chunks`` as they are while their x does not decrease; _Unordered when it does."""
    previous = -np.inf
    for x, y in chunks:
        if len(x) and (x[0] < previous or bool((x[1:] < x[:-1]).any())):
            raise Unordered
        previous = x[-1] if len(x) else previous
        yield x, y


def first_chunk(
    probe: Callable[[int], tuple[int, float, float] | None],
    low: int,
    high: int,
    wanted: Callable[[tuple[int, float, float]], bool],
    guess: int | None = None,
) -> int:
    """The seq of the first chunk in ``[low, high]`` for which ``wanted`` holds (``wanted``
    must be false, then true, along the chunks), or ``high + 1``. ``probe(seq)`` gives the
    first chunk at or after ``seq``. A binary search, that looks at ``guess`` and its
    neighbour first: with evenly spaced steps, two probes find the chunk."""
    found = high + 1
    hints = [] if guess is None else [guess]
    guessing = guess is not None
    while low <= high:
        middle = min(max(hints.pop(), low), high) if hints else (low + high) // 2
        chunk = probe(middle)
        if chunk is None or chunk[0] > high:
            high = middle - 1
        elif wanted(chunk):
            found, high = chunk[0], middle - 1
            if guessing:
                hints.append(middle - 1)
        else:
            low = chunk[0] + 1
            if guessing:
                hints.append(low)
        guessing = False
    return found


def series_of_chunks(kind: FieldType, rows: Sequence[Sequence[bytes]]) -> SeriesData:
    """Every point of a series from its chunks' ``(steps, vals, times)`` blobs, in seq order
    (float64 arrays; the values of string and file series are JSON lists)."""
    if not rows:
        empty = np.empty(0, dtype=np.float64)
        values: Any = empty.copy() if kind is FieldType.FLOAT_SERIES else []
        return SeriesData(empty, values, empty.copy())
    steps = np.concatenate([np.frombuffer(r[0], dtype=np.float64) for r in rows])
    times = np.concatenate([np.frombuffer(r[2], dtype=np.float64) for r in rows])
    if kind is FieldType.FLOAT_SERIES:
        values = np.concatenate([np.frombuffer(r[1], dtype=np.float64) for r in rows])
    else:
        values = [v for r in rows for v in json.loads(r[1])]
    return SeriesData(steps, values, times)
