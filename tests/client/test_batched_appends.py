"""extend() of lists, tuples, numpy arrays and pandas Series of numbers: taken whole (no
Python work per point on the caller's thread), stored exactly as appending the same points
one by one stores them, with the same steps, order and safety against a concurrent flush."""

from __future__ import annotations

import random
import sys
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nepnb.exceptions import FieldTypeConflict, InvalidValue, ValueDropped
from tests.helpers.races import finishes_while_held, race_with_flushes


def batches(seed: int) -> list[tuple[Any, Any, Any]]:
    """(values, steps, timestamps) of extend() calls: every kind of batch, with and without
    steps and timestamps, some steps not increasing, NaN and infinities among the values."""
    rng = random.Random(seed)
    calls: list[tuple[Any, Any, Any]] = []
    step = -1.0
    for i in range(60):
        size = rng.choice([1, 2, 7, 100])
        floats = [
            rng.choice([rng.random(), float("nan"), float("inf"), -float("inf"), -0.0])
            for _ in range(size)
        ]
        kind = i % 6
        values: Any
        if kind == 0:
            values = floats
        elif kind == 1:
            values = tuple(rng.randrange(-(2**62), 2**62) for _ in range(size))
        elif kind == 2:
            values = np.array(floats, dtype=np.float32)
        elif kind == 3:
            values = np.array(floats + floats)[::2]  # a strided view
        elif kind == 4:
            values = pd.Series(np.arange(size, dtype=np.int64) * 3)
        else:
            values = np.array([rng.random() < 0.5 for _ in range(size)])
        steps = stamps = None
        if i % 3 == 1:
            jumps = [rng.choice([1.0, 2.0, 0.0, -1.0]) for _ in range(size)]  # some repeat
            steps_list = list(step + np.cumsum(jumps))
            step = max(step, *steps_list)
            steps = np.array(steps_list) if i % 2 else steps_list
        if i % 4 == 2:
            stamps = [1_700_000_000.0 + i + j / 1000 for j in range(size)]
        calls.append((values, steps, stamps))
    return calls


def one_by_one(series: Any, values: Any, steps: Any, stamps: Any) -> None:
    for j, value in enumerate(list(values)):
        step = None if steps is None else float(steps[j])
        stamp = None if stamps is None else stamps[j]
        series.append(value, step=step, timestamp=stamp)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_extend_stores_what_appending_one_by_one_stores(
    new_run: Any, reopen: Any, mode: str
) -> None:
    whole, single = new_run(mode=mode), new_run(mode=mode)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for values, steps, stamps in batches(7):
            whole["m"].extend(values, steps=steps, timestamps=stamps)
            whole["m"].append(0.5)  # single appends in between, on the hot path
        dropped_whole = [str(w.message) for w in caught if w.category is ValueDropped]
        caught.clear()
        for values, steps, stamps in batches(7):
            one_by_one(single["m"], values, steps, stamps)
            single["m"].append(0.5)
        dropped_single = [str(w.message) for w in caught if w.category is ValueDropped]
    assert dropped_whole and dropped_whole == dropped_single
    whole.wait()
    single.wait()
    got = reopen(whole["sys/id"].fetch())["m"].fetch_values()
    want = reopen(single["sys/id"].fetch())["m"].fetch_values()
    assert got["step"].tolist() == want["step"].tolist()
    assert got["value"].to_numpy().view(np.int64).tolist() == (
        want["value"].to_numpy().view(np.int64).tolist()
    )
    given = got["timestamp"] < pd.Timestamp("2024-01-01")  # the ones the calls gave
    assert given.sum() > 0
    assert got["timestamp"][given].tolist() == want["timestamp"][given].tolist()


def test_extend_does_no_python_work_per_point(new_run: Any) -> None:
    """100,000 points in one call: the calls into Python functions do not grow with them."""
    run = new_run(mode="async", flush_period=60)
    run["m"].append(0.0)
    batches_ = [
        np.random.default_rng(1).random(100_000),
        [float(x) for x in range(100_000)],
        tuple(range(100_000)),
        pd.Series(np.arange(100_000, dtype=np.float32)),
    ]
    for k, batch in enumerate(batches_):
        calls = 0

        def count(frame: Any, event: str, arg: Any) -> None:
            nonlocal calls
            if event == "call":
                calls += 1

        sys.setprofile(count)
        try:
            run["m"].extend(batch)
            run["m"].extend(batch, steps=np.arange(len(batch)) + 1e9 + k * 1e6)
        finally:
            sys.setprofile(None)
        assert calls < 300, f"{calls} Python calls for {len(batch)} points of {type(batch)}"
    run.wait()
    assert len(run["m"].fetch_values()) == 1 + 8 * 100_000


def test_extends_racing_with_flushes_store_every_point_once_in_order(
    new_run: Any, reopen: Any
) -> None:
    run = new_run(mode="async", flush_period=0.001)
    sys_id = run["sys/id"].fetch()
    total = 0

    def work() -> None:
        nonlocal total
        series = run["m"]
        for i in range(400):
            start = float(total)
            if i % 4 == 0:
                series.append(start)
                total += 1
            else:
                size = (i % 7) + 1
                batch = start + np.arange(size, dtype=np.float64)
                series.extend(batch if i % 2 else batch.tolist())
                total += size

    race_with_flushes(run, work, seed=2)
    run.wait()
    frame = reopen(sys_id)["m"].fetch_values()
    assert frame["step"].tolist() == [float(i) for i in range(total)]
    assert frame["value"].tolist() == [float(i) for i in range(total)]
    assert (frame["timestamp"] > pd.Timestamp("2024-01-01")).all()


def test_batches_the_float_series_does_not_take_whole_keep_their_checks(new_run: Any) -> None:
    run = new_run(mode="sync")
    run["s"].append("text")
    with pytest.raises(FieldTypeConflict):
        run["s"].extend(np.arange(3.0))
    run["m"].extend([1.0, 2.0])
    with pytest.raises(FieldTypeConflict):
        run["m"].extend([3.0, "four"])  # none of them is stored
    with pytest.raises(InvalidValue, match="2 values but 3 steps"):
        run["m"].extend(np.arange(2.0), steps=[5, 6, 7])
    with pytest.raises(InvalidValue, match="not finite"):
        run["m"].extend(np.arange(2.0), steps=np.array([5.0, np.inf]))
    run["m"].extend([2**64, 1.0])  # past int64: the checked path, the same floats
    run["m"].extend([])
    assert run["m"].fetch_values()["value"].tolist() == [1.0, 2.0, float(2**64), 1.0]


def test_extends_never_wait_for_a_flush_in_progress(new_run: Any) -> None:
    """Like single appends: a flush holding the pipeline's lock does not stall a loop that
    extends an open float series by lists or arrays."""
    run = new_run(mode="async", flush_period=60)
    run["m"].extend([0.0, 1.0])

    def train() -> None:
        for i in range(1, 501):
            batch = np.arange(2.0) + 2 * i
            run["m"].extend(batch if i % 2 else batch.tolist())

    # what a drain holds while it takes the buffers:
    assert finishes_while_held(run._pipeline.lock, train), "extend() waited for the lock"
    run.wait()
    assert run["m"].fetch_values()["value"].tolist() == [float(i) for i in range(1002)]
