"""Downsampling of float series: the pure function, and ``read_series_buckets`` of every store.

The reference below assigns each point to its bucket one at a time, in plain Python, from the
definition (equal-width intervals, closed on the left, the last one closed on both sides); the
function under test must agree with it exactly, infinities and NaN included.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nepnb.exceptions import InvalidValue, MissingField
from nepnb.store.base import ObjectKind, Store
from nepnb.store.downsample import (
    MAX_BUCKETS,
    SeriesBuckets,
    downsample,
    downsample_chunks,
    sort_by_x,
)
from nepnb.store.field_types import FieldType
from nepnb.store.local import CHUNK_POINTS
from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints

PROJECT = "team/charts"


# -- the reference ---------------------------------------------------------------------------


def reference(
    x: list[float], y: list[float], buckets: int, start: float | None, end: float | None
) -> dict[str, object]:
    """What downsample must return, as JSON, computed point by point."""
    low = x[0] if start is None else start
    high = x[-1] if end is None else end
    inside = [i for i, v in enumerate(x) if low <= v <= high]
    entries: list[list[int]] = []  # point indices per entry, in x order
    if len(inside) <= buckets:
        entries = [[i] for i in inside]
    else:
        edges = [low + (high - low) * k / buckets for k in range(1, buckets)]
        groups: dict[int, list[int]] = {}
        for i in inside:
            groups.setdefault(sum(1 for edge in edges if edge <= x[i]), []).append(i)
        entries = [groups[key] for key in sorted(groups)]
    before = [i for i, v in enumerate(x) if v < low][-1:]
    after = [i for i, v in enumerate(x) if v > high][:1]
    entries = [before] * bool(before) + entries + [after] * bool(after)

    def finite(values: list[float]) -> list[float]:
        return [v for v in values if math.isfinite(v)]

    def json_value(v: float | None) -> float | None:
        return v if v is not None and math.isfinite(v) else None

    return {
        "x": [x[e[-1]] for e in entries],
        "min": [json_value(min(finite([y[i] for i in e]), default=None)) for e in entries],
        "max": [json_value(max(finite([y[i] for i in e]), default=None)) for e in entries],
        "last": [json_value(y[e[-1]]) for e in entries],
        "count": [len(e) for e in entries],
        "in_range": len(inside),
        "total": len(x),
        "extent": [x[0], x[-1]],
        "exact": len(inside) <= buckets,
    }


values = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from([math.nan, math.inf, -math.inf]),
)


@st.composite
def series(draw: st.DrawFn) -> tuple[list[float], list[float], int, float | None, float | None]:
    """Ascending x (repeats allowed, as timestamps may), y with NaN and infinities, a range."""
    pool = draw(st.sampled_from([[1.0], [0.0, 1.0, 2.0], [0.0, 0.5, 1.0, 1.0, 7.25, 100.0]]))
    gaps = draw(st.lists(st.sampled_from(pool), max_size=300))
    x0 = draw(st.sampled_from([0.0, -50.0, 1.7e9]))
    x = list(np.cumsum([x0, *gaps]))
    y = draw(st.lists(values, min_size=len(x), max_size=len(x)))
    buckets = draw(st.integers(1, 40))
    span = (x[0] - 20.0, x[-1] + 20.0)
    # Bounds on points and whole numbers too, so that bucket edges fall on points.
    bound = st.none() | st.floats(*span) | st.sampled_from(x) | st.integers(-60, 400).map(float)
    start, end = draw(bound), draw(bound)
    if start is not None and end is not None and start > end:
        start, end = end, start
    return x, y, buckets, start, end


@given(series())
@settings(max_examples=400, deadline=None)
def test_downsample_agrees_with_the_point_by_point_reference(case) -> None:
    x, y, buckets, start, end = case
    got = downsample(np.array(x), np.array(y), buckets, start, end).to_json()
    assert got == reference(x, y, buckets, start, end)


@given(series())
@settings(max_examples=200, deadline=None)
def test_bucket_min_and_max_are_those_of_the_bucket_points(case) -> None:
    # Independently of the reference: the entries partition the points in order, and each
    # entry's min/max/last/x are exactly those of its own points.
    x, y, buckets, start, end = case
    result = downsample(np.array(x), np.array(y), buckets, start, end)
    lo = int(np.searchsorted(x, x[0] if start is None else start, side="left"))
    position = max(lo - 1, 0)  # the point just before the range, if any, comes first
    for k in range(len(result)):
        points = np.array(y[position : position + int(result.count[k])])
        position += int(result.count[k])
        assert result.x[k] == x[position - 1]
        finite = points[np.isfinite(points)]
        if len(finite):
            assert result.min[k] == finite.min() and result.max[k] == finite.max()
        else:
            assert math.isnan(result.min[k]) and math.isnan(result.max[k])
        assert result.last[k] == points[-1] or (
            math.isnan(points[-1]) and math.isnan(result.last[k])
        )
    hi = int(np.searchsorted(x, x[-1] if end is None else end, side="right"))
    assert position == min(hi + 1, len(x))  # up to the point just after the range, if any
    assert result.in_range == hi - lo


@given(series(), st.data())
@settings(max_examples=300, deadline=None)
def test_chunk_by_chunk_is_the_same_as_all_at_once(case, data: st.DataObject) -> None:
    x, y, buckets, start, end = case
    cuts = sorted(data.draw(st.lists(st.integers(0, len(x)), max_size=8)))
    chunks = [
        (np.array(x[a:b]), np.array(y[a:b]))
        for a, b in zip([0, *cuts], [*cuts, len(x)], strict=True)
    ]  # empty chunks included
    got = downsample_chunks(chunks, buckets, start, end, total=len(x), extent=(x[0], x[-1]))
    assert got.to_json() == reference(x, y, buckets, start, end)


def test_few_points_come_back_as_they_are() -> None:
    x = np.array([1.0, 2.0, 4.0, 8.0])
    y = np.array([0.5, -1.0, 3.0, 2.0])
    result = downsample(x, y, buckets=4)
    assert result.exact and result.in_range == result.total == 4
    for column in (result.min, result.max, result.last):
        np.testing.assert_array_equal(column, y)
    np.testing.assert_array_equal(result.x, x)
    assert result.count.tolist() == [1, 1, 1, 1]
    assert result.extent == (1.0, 8.0)


def test_many_points_reduce_to_min_max_last_of_equal_width_buckets() -> None:
    x = np.arange(100, dtype=float)  # 0..99: 4 buckets of width 24.75
    y = np.sin(x) * x
    result = downsample(x, y, buckets=4)
    assert not result.exact and len(result) == 4
    slices = [slice(0, 25), slice(25, 50), slice(50, 75), slice(75, 100)]
    assert result.count.tolist() == [25, 25, 25, 25]
    assert result.x.tolist() == [24.0, 49.0, 74.0, 99.0]
    assert result.min.tolist() == [y[s].min() for s in slices]
    assert result.max.tolist() == [y[s].max() for s in slices]
    assert result.last.tolist() == [y[s][-1] for s in slices]


def test_a_point_on_an_edge_belongs_to_the_bucket_it_starts() -> None:
    x = np.arange(101.0)  # 0..100: edges at 25, 50 and 75, each on a point
    result = downsample(x, x, buckets=4)
    assert result.count.tolist() == [25, 25, 25, 26]  # the last bucket holds its end, 100
    assert result.min.tolist() == [0.0, 25.0, 50.0, 75.0]
    assert result.max.tolist() == result.x.tolist() == [24.0, 49.0, 74.0, 100.0]


def test_whole_number_steps_fall_on_whole_number_edges() -> None:
    x = np.arange(50_001.0)  # 100 buckets of exactly 500 steps (7 / 100 is not exact)
    result = downsample(x, x, buckets=100)
    assert result.count.tolist() == [500] * 99 + [501]
    assert result.min.tolist() == list(range(0, 50_000, 500))


def test_empty_buckets_are_left_out() -> None:
    x = np.array([0.0, 1.0, 2.0, 97.0, 98.0, 100.0])
    result = downsample(x, np.arange(6.0), buckets=4)
    assert result.count.tolist() == [3, 3]
    assert result.x.tolist() == [2.0, 100.0]


def test_a_zoomed_range_carries_the_points_just_outside_it() -> None:
    x = np.arange(0.0, 1000.0)
    y = x * 2
    result = downsample(x, y, buckets=10, start=100.5, end=199.5)
    assert result.in_range == 99 and not result.exact
    assert result.x[0] == 100.0 and result.last[0] == 200.0 and result.count[0] == 1
    assert result.x[-1] == 200.0 and result.last[-1] == 400.0 and result.count[-1] == 1
    assert result.count[1:-1].sum() == 99
    assert result.min[1] == 202.0  # the first point in range: step 101
    assert result.x[-2] == 199.0
    # Beyond the series: only the nearest point, no bucket.
    left = downsample(x, y, buckets=10, start=-50, end=-10)
    assert left.in_range == 0 and left.x.tolist() == [0.0] and left.exact
    right = downsample(x, y, buckets=10, start=2000, end=3000)
    assert right.x.tolist() == [999.0]


def test_non_finite_values_become_null_in_json() -> None:
    x = np.arange(8.0)
    y = np.array([np.nan, np.inf, -np.inf, np.nan, 1.0, np.inf, 2.0, np.nan])
    data = downsample(x, y, buckets=4).to_json()
    assert data["min"] == [None, None, 1.0, 2.0]
    assert data["max"] == [None, None, 1.0, 2.0]
    assert data["last"] == [None, None, None, None]
    assert data["count"] == [2, 2, 2, 2]
    json.dumps(data, allow_nan=False)  # valid JSON, no NaN literal


def test_an_empty_series() -> None:
    result = downsample(np.empty(0), np.empty(0), buckets=10, start=0, end=1)
    assert len(result) == 0 and result.extent is None and result.total == 0 and result.exact
    assert result.to_json()["extent"] is None


@pytest.mark.parametrize(
    ("buckets", "start", "end", "message"),
    [
        (0, None, None, "buckets must be between 1 and"),
        (MAX_BUCKETS + 1, None, None, "buckets must be between 1 and"),
        (2.5, None, None, "whole number"),
        (10, 5.0, 1.0, "must not be after end"),
        (10, math.nan, None, "start must be a finite number"),
        (10, None, math.inf, "end must be a finite number"),
    ],
)
def test_bad_arguments_are_refused(buckets, start, end, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        downsample(np.arange(5.0), np.arange(5.0), buckets, start, end)


def test_sort_by_x_keeps_sorted_input_and_sorts_the_rest_stably() -> None:
    x, y = np.array([1.0, 2.0, 2.0]), np.array([3.0, 4.0, 5.0])
    assert sort_by_x(x, y)[0] is not None
    np.testing.assert_array_equal(sort_by_x(x, y)[1], y)
    xs, ys = sort_by_x(np.array([3.0, 1.0, 2.0, 1.0]), np.array([0.0, 1.0, 2.0, 3.0]))
    assert xs.tolist() == [1.0, 1.0, 2.0, 3.0] and ys.tolist() == [1.0, 3.0, 2.0, 0.0]


# -- read_series_buckets of every store ------------------------------------------------------


def log(path: str, steps: np.ndarray, values: np.ndarray, times: np.ndarray) -> Batch:
    points = SeriesPoints(steps.astype(float), values.astype(float), times.astype(float))
    return Batch([Operation(OpKind.LOG, path, FieldType.FLOAT_SERIES, points)])


@pytest.fixture
def chunked(store: Store) -> tuple[Store, str, np.ndarray, np.ndarray, np.ndarray]:
    """A run with a float series over several chunks: big appends, then small ones (which
    leave small chunks at the end), steps with gaps, values with NaN and infinities."""
    run = store.create_object(PROJECT, ObjectKind.RUN)
    rng = np.random.default_rng(7)
    n = 3 * CHUNK_POINTS + 5_000
    steps = np.cumsum(rng.choice([1.0, 1.0, 2.5, 40.0], size=n))
    values = rng.standard_normal(n)
    values[rng.choice(n, 50)] = np.nan
    values[rng.choice(n, 20)] = np.inf
    times = 1.7e9 + np.arange(n) * 0.25
    split = 2 * CHUNK_POINTS + 100
    store.apply(run.uid, log("m", steps[:split], values[:split], times[:split]))
    for part in np.array_split(np.arange(split, n), 40):  # 40 small appends
        store.apply(run.uid, log("m", steps[part], values[part], times[part]))
    return store, run.uid, steps, values, times


def check(result: SeriesBuckets, expected: SeriesBuckets) -> None:
    assert result.to_json() == expected.to_json()


def test_read_series_buckets_of_the_whole_series(chunked) -> None:
    store, uid, steps, values, _ = chunked
    for buckets in (1, 7, 1000, MAX_BUCKETS):
        check(
            store.read_series_buckets(uid, "m", buckets=buckets), downsample(steps, values, buckets)
        )


def test_read_series_buckets_of_zoomed_ranges(chunked) -> None:
    store, uid, steps, values, _ = chunked
    c = CHUNK_POINTS
    edges = [steps[0], steps[c - 1], steps[c], steps[2 * c], steps[-1]]
    ranges = [
        (steps[10], steps[200]),  # inside the first chunk
        (steps[c - 3], steps[c + 3]),  # across a chunk boundary
        (edges[1], edges[2]),  # exactly a chunk's last step to the next one's first
        (steps[c] - 0.1, steps[c] - 0.05),  # between two chunks, no point inside
        (steps[2 * c + 50], steps[-1] - 3),  # over the small tail chunks
        (steps[0] - 100, steps[5]),
        (steps[-5], steps[-1] + 100),
        (steps[-1] + 1, steps[-1] + 2),  # after the last point
        (steps[0] - 2, steps[0] - 1),  # before the first
        (steps[0], steps[-1]),
    ]
    for start, end in ranges:
        for buckets in (1, 50, 5_000):
            got = store.read_series_buckets(uid, "m", buckets=buckets, start=start, end=end)
            check(got, downsample(steps, values, buckets, start, end))
            # Store.read_series_buckets is the reference: every point read, then downsampled.
            check(
                got,
                Store.read_series_buckets(store, uid, "m", buckets=buckets, start=start, end=end),
            )
    half_open = store.read_series_buckets(uid, "m", buckets=20, start=steps[c])
    check(half_open, downsample(steps, values, 20, start=steps[c]))
    check(
        store.read_series_buckets(uid, "m", buckets=20, end=steps[99]),
        downsample(steps, values, 20, end=steps[99]),
    )


def test_read_series_buckets_along_time_over_many_chunks(chunked) -> None:
    store, uid, _, values, times = chunked
    for kwargs in ({}, {"start": times[100], "end": times[CHUNK_POINTS + 7]}, {"end": times[9]}):
        for buckets in (3, 1000):
            got = store.read_series_buckets(uid, "m", buckets=buckets, x_axis="time", **kwargs)
            check(got, downsample(times, values, buckets, **kwargs))


def test_timestamps_out_of_order_in_a_later_chunk(store: Store) -> None:
    run = store.create_object(PROJECT, ObjectKind.RUN)
    n = 2 * CHUNK_POINTS + 10
    steps, values = np.arange(float(n)), np.sin(np.arange(float(n)))
    times = 5000.0 + np.arange(float(n))
    times[n - 3] = 4000.0  # a clock that went back, in the last chunk
    store.apply(run.uid, log("m", steps, values, times))
    for kwargs in ({}, {"start": 3000.0, "end": 5100.0}):
        got = store.read_series_buckets(run.uid, "m", buckets=50, x_axis="time", **kwargs)
        check(got, downsample(*sort_by_x(times, values), 50, **kwargs))
        assert got.extent == (4000.0, times[-1])


def test_read_series_buckets_along_time(store: Store) -> None:
    run = store.create_object(PROJECT, ObjectKind.RUN)
    steps = np.arange(10.0)
    values = np.arange(10.0) * 10
    times = np.array([5.0, 6.0, 7.0, 1.0, 2.0, 8.0, 9.0, 9.0, 10.0, 11.0])  # not in order
    store.apply(run.uid, log("m", steps, values, times))
    exact = store.read_series_buckets(run.uid, "m", buckets=10, x_axis="time")
    assert exact.x.tolist() == sorted(times.tolist())
    assert exact.last.tolist() == [30.0, 40.0, 0.0, 10.0, 20.0, 50.0, 60.0, 70.0, 80.0, 90.0]
    assert exact.extent == (1.0, 11.0)
    zoomed = store.read_series_buckets(run.uid, "m", buckets=1, x_axis="time", start=5, end=9)
    assert zoomed.in_range == 6 and zoomed.count.tolist() == [1, 6, 1]
    assert zoomed.min[1] == 0.0 and zoomed.max[1] == 70.0 and zoomed.last[1] == 70.0


def test_read_series_buckets_refuses_other_fields(store: Store) -> None:
    run = store.create_object(PROJECT, ObjectKind.RUN)
    texts = SeriesPoints(np.arange(2.0), ["a", "b"], np.zeros(2))
    store.apply(
        run.uid,
        Batch(
            [
                Operation(OpKind.LOG, "logs/out", FieldType.STRING_SERIES, texts),
                Operation(OpKind.ASSIGN, "lr", FieldType.FLOAT, 0.1),
            ]
        ),
    )
    with pytest.raises(InvalidValue, match=r"'logs/out' is a StringSeries.*FloatSeries"):
        store.read_series_buckets(run.uid, "logs/out", buckets=10)
    with pytest.raises(InvalidValue, match=r"'lr' is a Float\b"):
        store.read_series_buckets(run.uid, "lr", buckets=10)
    with pytest.raises(MissingField, match="'nothing/here'"):
        store.read_series_buckets(run.uid, "nothing/here", buckets=10)
    with pytest.raises(InvalidValue, match="x axis"):
        store.read_series_buckets(run.uid, "lr", buckets=10, x_axis="epoch")


def test_an_empty_series_and_its_extent(store: Store) -> None:
    run = store.create_object(PROJECT, ObjectKind.RUN)
    store.apply(run.uid, log("m", np.array([3.0, 9.0]), np.array([1.0, 2.0]), np.zeros(2)))
    assert store.series_extent(run.uid, "m") == (3.0, 9.0)
    store.apply(run.uid, Batch([Operation(OpKind.CLEAR, "m", FieldType.FLOAT_SERIES)]))
    assert store.series_extent(run.uid, "m") is None
    for start in (None, 1.0):
        empty = store.read_series_buckets(run.uid, "m", buckets=5, start=start)
        assert empty.to_json() == downsample(np.empty(0), np.empty(0), 5).to_json()
    with pytest.raises(MissingField):
        store.series_extent(run.uid, "missing")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_zoomed_reads_agree_with_the_default_on_any_range(chunked, data: st.DataObject) -> None:
    store, uid, steps, values, _ = chunked
    start = data.draw(st.floats(steps[0] - 10, steps[-1] + 10))
    end = data.draw(st.floats(start, steps[-1] + 10))
    buckets = data.draw(st.integers(1, 3000))
    got = store.read_series_buckets(uid, "m", buckets=buckets, start=start, end=end)
    check(got, downsample(steps, values, buckets, start, end))


@given(
    st.lists(st.integers(0, 60), min_size=1, max_size=30, unique=True),
    st.integers(-5, 70),
    st.none() | st.integers(-10, 80),
)
def test_the_chunk_search_finds_the_first_wanted_chunk_whatever_the_guess(
    seqs: list[int], threshold: int, guess: int | None
) -> None:
    from nepnb.store.local import _first_chunk

    seqs.sort()  # chunks with gaps between their seqs; a chunk's steps are its seq
    probed: list[int] = []

    def probe(seq: int) -> tuple[int, float, float] | None:
        probed.append(seq)
        at = [s for s in seqs if s >= seq]
        return (at[0], float(at[0]), float(at[0])) if at else None

    found = _first_chunk(probe, seqs[0], seqs[-1], lambda c: c[1] >= threshold, guess)
    assert found == next((s for s in seqs if s >= threshold), seqs[-1] + 1)
    assert len(probed) <= (seqs[-1] - seqs[0] + 1).bit_length() + 2  # a binary search, +2


def test_sys_size_counts_float_series_without_reading_their_chunks(tmp_path) -> None:
    # sys/size (a runs-table column) takes a float series from its point count: the same as
    # the bytes of its chunks, which a table of many long series could not afford to read.
    import sqlite3

    from nepnb.store.local import SIZE_FIELD, LocalStore

    store = LocalStore(tmp_path / "store")
    run = store.create_object(PROJECT, ObjectKind.RUN)
    n = CHUNK_POINTS + 300
    last_nan = np.r_[np.ones(n - 1), np.nan]  # the series' state then holds NaN
    store.apply(run.uid, log("a", np.arange(float(n)), last_nan, np.zeros(n)))
    for i in range(40):  # small appends: small chunks, then merged
        store.apply(run.uid, log("a", np.array([n + i * 1.0]), np.ones(1), np.zeros(1)))
    store.apply(run.uid, log("c", np.arange(2.0), np.array([1.0, np.inf]), np.zeros(2)))
    store.apply(run.uid, log("b", np.arange(3.0), np.ones(3), np.zeros(3)))
    store.apply(run.uid, Batch([Operation(OpKind.CLEAR, "b", FieldType.FLOAT_SERIES)]))
    texts = SeriesPoints(np.arange(2.0), ["x" * 50, "y"], np.zeros(2))
    store.apply(run.uid, Batch([Operation(OpKind.LOG, "t", FieldType.STRING_SERIES, texts)]))
    with sqlite3.connect(store.db_path) as con:
        chunks = con.execute(
            "SELECT SUM(length(steps) + length(vals) + length(times)) FROM series_chunks "
            "WHERE object_uid = ?",
            (run.uid,),
        ).fetchone()[0]
        values = con.execute(
            "SELECT SUM(length(value)) FROM fields WHERE object_uid = ? AND path NOT LIKE 'sys/%'",
            (run.uid,),
        ).fetchone()[0]
    assert store.get_fields(run.uid, [SIZE_FIELD])[SIZE_FIELD].value == chunks + values
    store.close()


def test_a_zoomed_read_of_the_local_store_reads_only_the_chunks_it_needs(tmp_path) -> None:
    from nepnb.store.local import LocalStore

    store = LocalStore(tmp_path / "store")
    run = store.create_object(PROJECT, ObjectKind.RUN)
    n = 50 * CHUNK_POINTS
    steps, values = np.arange(float(n)), np.cos(np.arange(float(n)))
    store.apply(run.uid, log("m", steps, values, np.zeros(n)))
    statements: list[str] = []
    store._connection().set_trace_callback(statements.append)
    start, end = 30.5 * CHUNK_POINTS, 30.75 * CHUNK_POINTS  # inside chunk 30
    got = store.read_series_buckets(run.uid, "m", buckets=100, start=start, end=end)
    check(got, downsample(steps, values, 100, start, end))
    reads = [s for s in statements if "vals FROM series_chunks" in s]
    assert len(reads) == 1 and reads[0].endswith("AND seq BETWEEN 29 AND 31 ORDER BY seq")
    assert len(statements) <= 12, statements  # a few probes of one chunk each, not a scan
    store.close()
