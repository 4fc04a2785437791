"""What values marked by stringify_unsupported() become, assigned and appended: the type and
value the Neptune client 1.14 gives each (checked against the real client by
tests/integrations/test_integrations.py::test_stringify_unsupported_values)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nepnb as neptune
from nepnb.types import File, FileSet, FloatSeries, StringSeries
from nepnb.utils import stringify_unsupported as s


def kind(run: Any, path: str) -> str:
    attribute = run.get_attribute(path)
    assert attribute is not None, path
    return type(attribute).__name__


@pytest.mark.parametrize(
    ("value", "field", "read"),
    [
        (0.5, "FloatSeries", 0.5),
        (3, "FloatSeries", 3.0),
        (True, "FloatSeries", 1.0),
        (np.int64(4), "FloatSeries", 4.0),
        (Decimal("2.5"), "FloatSeries", 2.5),
        ("x", "StringSeries", "x"),
        (None, "StringSeries", "None"),
        ((1, 2), "StringSeries", "(1, 2)"),
        (float("nan"), "StringSeries", "nan"),  # stringify_unsupported made it "nan" already
    ],
)
def test_an_appended_value_gets_the_series_neptune_gives_it(
    new_run: Callable[..., Any], value: Any, field: str, read: Any
) -> None:
    run = new_run(mode="sync")
    run["series"].append(s(value))
    assert kind(run, "series") == field
    assert run["series"].fetch_last() == read


def test_appends_into_an_existing_series_follow_its_type(new_run: Callable[..., Any]) -> None:
    run = new_run(mode="sync")
    run["strings"].append("first")
    run["strings"].append(s(1.5))
    run["floats"].append(1.0)
    run["floats"].append(s(np.float32(2.5)))
    run["namespace"].append(s({"lr": 0.1, "opt": "adam", "shape": (1, 2)}))
    assert run["strings"].fetch_values()["value"].tolist() == ["first", "1.5"]
    assert run["floats"].fetch_values()["value"].tolist() == [1.0, 2.5]
    assert [kind(run, f"namespace/{k}") for k in ("lr", "opt", "shape")] == [
        "FloatSeries",
        "StringSeries",
        "StringSeries",
    ]


def test_an_appended_file_or_image_gets_a_file_series(new_run: Callable[..., Any]) -> None:
    run = new_run(mode="sync")
    run["images"].append(s(File.as_image(np.zeros((4, 4)))))
    assert kind(run, "images") == "FileSeries"


@pytest.mark.parametrize(
    ("value", "field", "read"),
    [
        (0.5, "Float", 0.5),
        (3, "Integer", 3),
        (True, "Boolean", True),
        (np.int64(3), "Float", 3.0),  # not an int to the Neptune client: float-like
        (np.bool_(True), "Float", 1.0),
        (Decimal("1.5"), "Float", 1.5),
        (None, "String", "None"),
        ((1, "a"), "String", "(1, 'a')"),
    ],
)
def test_an_assigned_value_gets_the_field_neptune_gives_it(
    new_run: Callable[..., Any], value: Any, field: str, read: Any
) -> None:
    run = new_run(mode="sync")
    run["value"] = s(value)
    assert kind(run, "value") == field
    assert run["value"].fetch() == read


def test_assigned_files_series_and_figures_keep_their_type(
    new_run: Callable[..., Any], tmp_path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (tmp_path / "a.txt").write_text("a")
    figure = plt.figure()
    plt.plot([1, 2])
    run = new_run(mode="sync")
    run["file"] = s(File.from_content("abc", extension="txt"))
    run["floats"] = s(FloatSeries([1.0, 2.0]))
    run["strings"] = s(StringSeries(["a", "b"]))
    run["files"] = s(FileSet([str(tmp_path / "a.txt")]))
    run["figure"] = s(figure)
    plt.close(figure)
    kinds = [kind(run, p) for p in ("file", "floats", "strings", "files", "figure")]
    assert kinds == ["File", "FloatSeries", "StringSeries", "FileSet", "File"]
    assert run["file"].fetch_extension() == "txt"
    assert run["figure"].fetch_extension() == "png"
    assert run["floats"].fetch_values()["value"].tolist() == [1.0, 2.0]
    assert [f.name for f in run["files"].list_fileset_files()] == ["a.txt"]


def test_structure_gives_attributes_of_each_field_s_class(new_run: Callable[..., Any]) -> None:
    run = new_run(mode="sync")
    run["params/lr"] = 0.1
    run["train/loss"].append(0.5)
    run["tags"].add("t")
    structure = run.get_structure()
    assert isinstance(structure["params"]["lr"], neptune.attributes.Float)
    assert isinstance(structure["train"]["loss"], neptune.attributes.FloatSeries)
    assert isinstance(structure["tags"], neptune.attributes.StringSet)
    assert isinstance(structure["sys"]["state"], neptune.attributes.RunState)
    assert structure["train"]["loss"].fetch_last() == 0.5  # an attribute reads and writes
    structure["train"]["loss"].append(0.25)
    assert run["train/loss"].fetch_last() == 0.25
    assert isinstance(run.get_attribute("train"), neptune.attributes.Namespace)
