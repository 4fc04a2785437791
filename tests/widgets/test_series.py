"""Reading a chart's series: the store plus the points still in the write pipeline, exact
min and max per bucket, and the hot path left alone."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nepnb
from nepnb.store.downsample import SeriesBuckets, concat_buckets, downsample
from nepnb.widgets import ChartSeries, pending_points
from nepnb.widgets.series import PendingCopies


def assert_exact_buckets(buckets: SeriesBuckets, x: np.ndarray, y: np.ndarray) -> None:
    """Consecutive buckets: bucket i holds the points with x in (x[i-1], x[i]]; its min, max,
    last and count must be those of exactly these points."""
    assert int(buckets.count.sum()) == len(x)
    previous = -np.inf
    for bx, low, high, last, count in zip(
        buckets.x, buckets.min, buckets.max, buckets.last, buckets.count, strict=True
    ):
        inside = (x > previous) & (x <= bx)
        assert int(inside.sum()) == count
        values = y[inside]
        assert low == values.min() and high == values.max()
        assert last == values[-1]
        previous = bx


def test_pending_points_are_the_unflushed_tail_and_leave_the_hot_path_alone(
    open_run: Callable[..., nepnb.Run],
) -> None:
    run = open_run()
    handler = run["m"]
    for i in range(100):
        handler.append(float(i))
    state = run._pipeline.series["m"]
    column = state.values
    buffers = len(run._pipeline.pending)
    x, y = pending_points(run, "m", "step")
    assert x.tolist() == [float(i) for i in range(100)]
    assert y.tolist() == x.tolist()
    # Reading exported no buffer: the next appends still go to the same open column.
    for i in range(100, 110):
        handler.append(float(i))
    assert state.values is column and len(column) == 110
    assert len(run._pipeline.pending) == buffers
    x, _ = pending_points(run, "m", "time")
    assert len(x) == 110 and np.all(np.diff(x) >= 0)


def test_pending_copies_copy_only_what_is_new(open_run: Callable[..., nepnb.Run]) -> None:
    run = open_run()
    copies = PendingCopies()
    for i in range(100):
        run["m"].append(float(i))
    x, y = pending_points(run, "m", "step", copies)
    assert x.tolist() == y.tolist() == [float(i) for i in range(100)]
    for i in range(100, 5100):  # grows past the first copy's room
        run["m"].append(float(i))
    x, y = pending_points(run, "m", "step", copies)
    assert x.tolist() == y.tolist() == [float(i) for i in range(5100)]
    assert not y.flags.writeable
    run.wait()  # drained: the next points go to a new buffer
    for i in range(5100, 5110):
        run["m"].append(float(i))
    x, y = pending_points(run, "m", "step", copies)
    assert x.tolist() == y.tolist() == [float(i) for i in range(5100, 5110)]
    assert len(copies._copies) == 1  # the drained buffer's copy is gone


def test_read_joins_the_store_and_the_pipeline(open_run: Callable[..., nepnb.Run]) -> None:
    run = open_run()
    for i in range(500):
        run["m"].append(float(i % 7))
    run.wait()  # the first 500 are stored
    for i in range(500, 800):
        run["m"].append(float(i % 7))
    line = ChartSeries(run, "m")
    exact = line.read(2000)
    assert exact.exact and exact.total == 800 and exact.extent == (0.0, 799.0)
    assert exact.x.tolist() == [float(i) for i in range(800)]
    coarse = line.read(50)
    assert len(coarse) <= 50 and not coarse.exact
    assert_exact_buckets(coarse, np.arange(800.0), np.arange(800.0) % 7)
    zoom = line.read(1000, start=450.0, end=550.0)
    assert zoom.in_range == 101
    assert zoom.x[0] == 449.0 and zoom.x[-1] == 551.0  # a point beyond each edge
    by_time = line.read(2000, "time")
    assert by_time.total == 800 and np.all(np.diff(by_time.x) >= 0)


def test_a_series_only_in_the_pipeline_and_a_missing_one(
    open_run: Callable[..., nepnb.Run],
) -> None:
    run = open_run()
    waiting = ChartSeries(run, "later")
    waiting.check()  # may still come: the loop has not run yet
    assert waiting.read(100).extent is None
    run["later"].append(1.0)
    assert waiting.read(100).last.tolist() == [1.0]


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=2, max_size=400
    ),
    split=st.floats(0, 1),
    buckets=st.integers(1, 60),
)
def test_concat_buckets_keeps_the_exact_min_and_max_of_each_bucket(
    values: list[float], split: float, buckets: int
) -> None:
    y = np.asarray(values, dtype=np.float64)
    x = np.arange(len(y), dtype=np.float64)
    cut = int(len(y) * split)
    parts = [downsample(x[:cut], y[:cut], buckets), downsample(x[cut:], y[cut:], buckets)]
    joined = concat_buckets(parts, buckets)
    assert len(joined) == min(buckets, len(parts[0]) + len(parts[1]))
    assert joined.total == len(y) and joined.extent == (0.0, float(len(y) - 1))
    assert_exact_buckets(joined, x, y)


def test_charts_need_a_store(nepnb_home: object) -> None:
    run = nepnb.init_run(mode="debug", capture_hardware_metrics=False, capture_traceback=False)
    try:
        with pytest.raises(nepnb.exceptions.NotAvailableInMode, match="charts read from a store"):
            ChartSeries(run, "m")
    finally:
        run.stop()
