"""Appending ints, numpy scalars and 0-d arrays to a float series: the values the Neptune
1.14 client stores (``float(v)``: its FloatSeries keeps ``[float(value) for value in values]``),
and the same lock-free path as a Python float (no wait on a flush in progress)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nepnb.exceptions import FieldTypeConflict, InvalidValue
from tests.helpers.races import finishes_while_held

#: What training code appends, and the edges of each type: 64-bit ints past 2**53 (float64
#: rounds them, as float() does), unsigned 64-bit, float32 values that are not float64 ones.
NUMBERS: list[Any] = [
    7,
    -(2**63),
    2**63 - 1,
    2**53 + 1,
    2**64 + 12345,  # a Python int past int64: still float-like
    np.int8(-5),
    np.int16(300),
    np.int32(-70000),
    np.int64(2**62 + 1),
    np.uint8(255),
    np.uint16(65535),
    np.uint32(2**32 - 1),
    np.uint64(2**64 - 1),
    np.float16(0.1),
    np.float32(0.1),
    np.float32("nan"),
    np.float32("inf"),
    np.float64(-1e308),
    np.float64("-inf"),
    np.array(0.25),
    np.array(2**53 + 3, dtype=np.int64),
    np.array(1.5, dtype=np.float32),
    0.5,
]


def expected(values: list[Any]) -> np.ndarray:
    return np.array([float(v) for v in values], dtype=np.float64)


def assert_same_floats(got: np.ndarray, want: np.ndarray) -> None:
    """Bit for bit, NaN included."""
    assert got.dtype == np.float64
    assert got.view(np.int64).tolist() == want.view(np.int64).tolist()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_ints_and_numpy_numbers_are_stored_as_float_gives_them(
    new_run: Any, reopen: Any, mode: str
) -> None:
    run = new_run(mode=mode)
    run["m"].append(0.0)  # a float first: the rest on the hot path
    for value in NUMBERS:
        run["m"].append(value)
    for i, value in enumerate(NUMBERS):  # and first thing in a series of their own
        run[f"first/{i}"].append(value)
    run.wait()
    copy = reopen(run["sys/id"].fetch())
    frame = copy["m"].fetch_values()
    assert frame["step"].tolist() == [float(i) for i in range(len(NUMBERS) + 1)]
    assert_same_floats(frame["value"].to_numpy(), expected([0.0, *NUMBERS]))
    for i, value in enumerate(NUMBERS):
        values = copy[f"first/{i}"].fetch_values()["value"].to_numpy()
        assert_same_floats(values, expected([value]))


def test_numbers_mixed_with_steps_and_timestamps_keep_their_order(
    new_run: Any, reopen: Any
) -> None:
    run = new_run(mode="async", flush_period=0.001)
    series = run["m"]
    want: list[tuple[float, float]] = []
    step = -1.0
    for i in range(600):
        value = NUMBERS[i % len(NUMBERS)]
        if i % 7 == 3:
            step += 2.0
            series.append(value, step=np.int64(step))
        elif i % 7 == 5:
            step += 1.0
            series.append(value, timestamp=1_700_000_000 + i)
        else:
            step += 1.0
            series.append(value)
        want.append((step, float(value)))
        if i % 50 == 0:
            run.wait()
    run.wait()
    frame = reopen(run["sys/id"].fetch())["m"].fetch_values()
    assert frame["step"].tolist() == [s for s, _ in want]
    assert_same_floats(frame["value"].to_numpy(), np.array([v for _, v in want]))


def test_appending_numbers_never_waits_for_a_flush_in_progress(new_run: Any) -> None:
    """A flush (or a writer thread) holding the pipeline's lock does not stall a training loop
    that appends ints or numpy numbers, as it does not stall one that appends floats."""
    run = new_run(mode="async", flush_period=60)
    for name, value in (
        ("i", 1),
        ("f32", np.float32(1)),
        ("i64", np.int64(1)),
        ("a", np.array(1.0)),
    ):
        run[name].append(value)  # opens each series

    def train() -> None:
        for i in range(1000):
            run["i"].append(i)
            run["f32"].append(np.float32(i))
            run["i64"].append(np.int64(i))
            run["a"].append(np.array(float(i)))

    # what a drain holds while it takes the buffers:
    assert finishes_while_held(run._pipeline.lock, train), "number appends waited for the lock"
    run.wait()
    for name in ("i", "f32", "i64", "a"):
        values = run[name].fetch_values()["value"].tolist()
        assert values == [1.0, *map(float, range(1000))]


def test_an_int_too_large_for_a_float_is_refused_on_the_hot_path(new_run: Any) -> None:
    run = new_run(mode="async")
    run["m"].append(1.0)
    with pytest.raises(InvalidValue, match="too large for a float series"):
        run["m"].append(10**400)
    run["m"].append(2)
    assert run["m"].fetch_values()["value"].tolist() == [1.0, 2.0]


def test_booleans_and_arrays_keep_their_own_paths(new_run: Any) -> None:
    """Not numbers to the hot path: a bool is logged as 1.0/0.0 as before, a 1-element array
    as its element; a string is refused by the float series."""
    run = new_run(mode="sync")
    run["m"].append(0.5)
    run["m"].append(True)
    run["m"].append(np.array([3.0]))
    with pytest.raises(FieldTypeConflict):
        run["m"].append("0.5")
    assert run["m"].fetch_values()["value"].tolist() == [0.5, 1.0, 3.0]
