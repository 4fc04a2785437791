"""append() of a dict on a namespace (Neptune 1.x: each key a series under the namespace,
nested dicts nested namespaces): the same points as appending each key on its own, all or
none of them, and as safe against a concurrent flush as single appends, without a lock."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from nepnb.exceptions import FieldTypeConflict
from tests.helpers.races import finishes_while_held, race_with_flushes


def step_dict(i: int) -> dict[str, Any]:
    metrics: dict[str, Any] = {"loss": 1.0 / (i + 1), "epoch": i, "acc": np.float32(i / 7)}
    metrics["lr"] = {"group0": np.float64(i * 0.1), "group1": np.array(i * 0.2)}
    if i >= 5:
        metrics["late"] = np.int64(2**60 + i)  # a key that appears later
    return metrics


def flat(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}/"))
        else:
            out[f"{prefix}{key}"] = value
    return out


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_dict_appends_what_appending_each_key_appends(
    new_run: Any, reopen: Any, mode: str
) -> None:
    whole, single = new_run(mode=mode), new_run(mode=mode)
    for i in range(40):
        whole["train"].append(step_dict(i))
        for path, value in flat(step_dict(i)).items():
            single[f"train/{path}"].append(value)
    whole.wait()
    single.wait()
    got, want = reopen(whole["sys/id"].fetch()), reopen(single["sys/id"].fetch())
    paths = flat(step_dict(39))
    assert sorted(paths) == ["acc", "epoch", "late", "loss", "lr/group0", "lr/group1"]
    for path in paths:
        a = got[f"train/{path}"].fetch_values()
        b = want[f"train/{path}"].fetch_values()
        assert a["step"].tolist() == b["step"].tolist()
        assert a["value"].tolist() == b["value"].tolist()
    assert got["train/late"].fetch_values()["step"].tolist() == [float(i) for i in range(35)]


def test_a_dict_with_one_bad_value_appends_none_of_them(new_run: Any) -> None:
    run = new_run(mode="sync")
    for i in range(3):
        run["m"].append({"a": float(i), "b": i})
    with pytest.raises(FieldTypeConflict):
        run["m"].append({"a": 3.0, "b": "three"})
    run["m"].append({"a": 4.0, "b": 4})
    assert run["m/a"].fetch_values()["value"].tolist() == [0.0, 1.0, 2.0, 4.0]
    assert run["m/b"].fetch_values()["value"].tolist() == [0.0, 1.0, 2.0, 4.0]


def test_dict_appends_never_wait_for_a_flush_in_progress(new_run: Any) -> None:
    run = new_run(mode="async", flush_period=60)
    run["train"].append({"loss": 0.0, "n": {"epoch": 0}})

    def train() -> None:
        for i in range(1, 1001):
            run["train"].append({"loss": float(i), "n": {"epoch": i}})

    # what a drain holds while it takes the buffers:
    assert finishes_while_held(run._pipeline.lock, train), "dict appends waited for the lock"
    run.wait()
    assert run["train/n/epoch"].fetch_values()["value"].tolist() == list(map(float, range(1001)))


def test_dict_appends_racing_with_flushes_store_every_point_once(new_run: Any, reopen: Any) -> None:
    run = new_run(mode="async", flush_period=0.001)
    steps = 3000

    def work() -> None:
        for i in range(steps):
            run["m"].append({"a": float(i), "b": {"c": i}})

    race_with_flushes(run, work, seed=4)
    run.wait()
    copy = reopen(run["sys/id"].fetch())
    for path in ("m/a", "m/b/c"):
        frame = copy[path].fetch_values()
        assert frame["step"].tolist() == [float(i) for i in range(steps)]
        assert frame["value"].tolist() == [float(i) for i in range(steps)]
        assert (frame["timestamp"] > pd.Timestamp("2024-01-01")).all()
