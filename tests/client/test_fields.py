"""Every field type: written through a run, read back from the store with the right type.

Values are written in sync and in async mode, the run is stopped, and a read-only copy of it
(what the store holds) is asked for them.
"""

from __future__ import annotations

import argparse
import math
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import nepnb as neptune
from nepnb.exceptions import (
    FieldTypeConflict,
    InvalidValue,
    MissingField,
    NepnbError,
    ValueTruncated,
)
from nepnb.types import File, FileSeries, FloatSeries, GitRef, StringSeries, StringSet
from nepnb.utils import stringify_unsupported
from tests.helpers.client import same_float, series, structure_types

UTC = timezone.utc


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def write_then_read(new_run: Any, reopen: Any) -> Any:
    """``write_then_read(write, mode)``: a run written by ``write(run)``, stopped, reopened."""

    def go(write: Any, mode: str = "sync", **kwargs: Any) -> Any:
        run = new_run(mode=mode, **kwargs)
        write(run)
        sys_id = run["sys/id"].fetch()
        run.stop()
        return reopen(sys_id)

    return go


# atoms -----------------------------------------------------------------------------------


def test_integers_keep_all_64_bits(write_then_read: Any, mode: str, capsys: Any) -> None:
    values = {"zero": 0, "small": -7, "max": 2**63 - 1, "min": -(2**63), "big": 2**53 + 1}

    def write(run: Any) -> None:
        for key, value in values.items():
            run[f"ints/{key}"] = value

    ro = write_then_read(write, mode)
    for key, value in values.items():
        fetched = ro[f"ints/{key}"].fetch()
        assert fetched == value and type(fetched) is int
    types = structure_types(ro, capsys)
    assert {types[f"ints/{key}"] for key in values} == {"Integer"}


def test_floats_including_nan_and_infinities(write_then_read: Any, mode: str, capsys: Any) -> None:
    values = {"lr": 0.001, "neg": -2.5, "tiny": 5e-324, "inf": math.inf, "ninf": -math.inf}

    def write(run: Any) -> None:
        for key, value in values.items():
            run[f"f/{key}"] = value
        run["f/nan"] = math.nan

    ro = write_then_read(write, mode)
    for key, value in values.items():
        fetched = ro[f"f/{key}"].fetch()
        assert fetched == value and type(fetched) is float
    assert math.isnan(ro["f/nan"].fetch())
    assert set(structure_types(ro, capsys)[f"f/{k}"] for k in [*values, "nan"]) == {"Float"}


def test_booleans_are_not_integers(write_then_read: Any, mode: str, capsys: Any) -> None:
    def write(run: Any) -> None:
        run["yes"] = True
        run["no"] = False
        run["numpy"] = np.bool_(True)

    ro = write_then_read(write, mode)
    assert ro["yes"].fetch() is True
    assert ro["no"].fetch() is False
    assert ro["numpy"].fetch() == 1.0  # not a bool to Neptune 1.14: float-like, a Float
    types = structure_types(ro, capsys)
    assert types["yes"] == types["no"] == "Boolean"
    assert types["numpy"] == "Float"


def test_strings(write_then_read: Any, mode: str, capsys: Any) -> None:
    texts = {"plain": "adam", "empty": "", "unicode": "żółw ✓ 日本", "ctrl": "a\nb\t\x00c"}

    def write(run: Any) -> None:
        for key, text in texts.items():
            run[f"s/{key}"] = text
        run["s/limit"] = "x" * 16_384

    ro = write_then_read(write, mode)
    for key, text in texts.items():
        assert ro[f"s/{key}"].fetch() == text
    assert ro["s/limit"].fetch() == "x" * 16_384
    assert structure_types(ro, capsys)["s/plain"] == "String"


def test_a_string_over_the_limit_is_truncated_with_a_warning(new_run: Any, reopen: Any) -> None:
    run = new_run(mode="sync")
    with pytest.warns(ValueTruncated, match="'notes'"):
        run["notes"] = "y" * 16_385 + "tail"
    sys_id = run["sys/id"].fetch()
    run.stop()
    assert reopen(sys_id)["notes"].fetch() == "y" * 16_384


def test_datetimes(write_then_read: Any, mode: str, capsys: Any) -> None:
    aware = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    other_zone = datetime(2024, 5, 6, 9, 8, 9, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2023, 1, 2, 3, 4, 5)  # local time, as Python reads it

    def write(run: Any) -> None:
        run["when/aware"] = aware
        run["when/zone"] = other_zone
        run["when/naive"] = naive
        run["when/day"] = date(2020, 2, 29)

    ro = write_then_read(write, mode)
    assert ro["when/aware"].fetch() == aware
    assert ro["when/zone"].fetch() == other_zone  # the same instant
    assert ro["when/naive"].fetch() == naive.astimezone(UTC)
    assert ro["when/day"].fetch() == datetime(2020, 2, 29).astimezone(UTC)
    for key in ("aware", "zone", "naive", "day"):
        assert isinstance(ro[f"when/{key}"].fetch(), datetime)
    assert structure_types(ro, capsys)["when/aware"] == "Datetime"


def test_numpy_scalars_become_plain_values(write_then_read: Any, mode: str, capsys: Any) -> None:
    def write(run: Any) -> None:
        run["np/f32"] = np.float32(0.5)
        run["np/f64"] = np.float64(0.25)
        run["np/i64"] = np.int64(7)
        run["np/zero_d"] = np.array(1.5)

    ro = write_then_read(write, mode)
    assert ro["np/f32"].fetch() == 0.5
    assert ro["np/f64"].fetch() == 0.25
    assert ro["np/i64"].fetch() == 7
    assert ro["np/zero_d"].fetch() == 1.5
    types = structure_types(ro, capsys)  # what Neptune 1.14 makes of them: all Float
    assert {types[f"np/{name}"] for name in ("f32", "f64", "i64", "zero_d")} == {"Float"}


def test_an_int_assigned_to_a_float_field_is_stored_as_a_float(
    write_then_read: Any, mode: str, capsys: Any
) -> None:
    def write(run: Any) -> None:
        run["lr"] = 0.5
        run["lr"] = 2

    ro = write_then_read(write, mode)
    assert ro["lr"].fetch() == 2.0 and type(ro["lr"].fetch()) is float
    assert structure_types(ro, capsys)["lr"] == "Float"


def test_reassigning_an_atom_keeps_the_last_value(write_then_read: Any, mode: str) -> None:
    def write(run: Any) -> None:
        for value in ("a", "b", "c"):
            run["opt"] = value
        for value in (1, 2, 3):
            run["epochs"] = value

    ro = write_then_read(write, mode)
    assert ro["opt"].fetch() == "c"
    assert ro["epochs"].fetch() == 3


def test_assigning_another_field_copies_its_value(write_then_read: Any, mode: str) -> None:
    # As in the Neptune client: run["best"] = run["acc"] copies an atom's value.
    def write(run: Any) -> None:
        run["acc"] = 0.75
        run["name"] = "net"
        run["best"] = run["acc"]
        run["copy/name"] = run["name"]

    ro = write_then_read(write, mode)
    assert ro["best"].fetch() == 0.75
    assert ro["copy/name"].fetch() == "net"


# namespaces ------------------------------------------------------------------------------


def test_dicts_become_namespaces_and_merge(write_then_read: Any, mode: str, capsys: Any) -> None:
    def write(run: Any) -> None:
        run["params"] = {"lr": 0.1, "opt": {"name": "adam", "betas/b1": 0.9}, 3: "three"}
        run["params"] = {"batch": 64}  # merges: nothing is cleared
        run["params/extra"] = True

    ro = write_then_read(write, mode)
    assert ro["params"].fetch() == {
        "lr": 0.1,
        "opt": {"name": "adam", "betas": {"b1": 0.9}},
        "3": "three",
        "batch": 64,
        "extra": True,
    }
    types = structure_types(ro, capsys)
    assert types["params/opt/betas/b1"] == "Float"
    assert types["params/batch"] == "Integer"


def test_argparse_namespaces(write_then_read: Any, mode: str) -> None:
    args = argparse.Namespace(lr=0.01, layers=3, name="net")
    ro = write_then_read(lambda run: run.__setitem__("args", args), mode)
    assert ro["args"].fetch() == {"lr": 0.01, "layers": 3, "name": "net"}


def test_stringified_values_keep_supported_types(write_then_read: Any, mode: str) -> None:
    # stringify_unsupported only marks values: numbers stay numbers, the rest become text.
    def write(run: Any) -> None:
        run["cfg"] = stringify_unsupported(
            {"shape": (3, 4), "none": None, "n": 5, "lr": 0.5, "name": "x", "ok": True}
        )

    ro = write_then_read(write, mode)
    assert ro["cfg"].fetch() == {
        "shape": "(3, 4)",
        "none": "None",
        "n": 5,
        "lr": 0.5,
        "name": "x",
        "ok": True,
    }


def test_nested_handlers_address_sub_paths(new_run: Any) -> None:
    run = new_run(mode="sync")
    train = run["train"]
    train["loss"].append(0.5)
    train["epoch"] = 1
    assert run["train/loss"].fetch_last() == 0.5
    assert train["epoch"].fetch() == 1
    assert run["train"]["epoch"].fetch() == 1


# float series ----------------------------------------------------------------------------


def test_float_series_default_steps_and_values(
    write_then_read: Any, mode: str, capsys: Any
) -> None:
    values = [0.9, 0.7, math.nan, math.inf, -math.inf, 1e-300]

    def write(run: Any) -> None:
        for value in values:
            run["loss"].append(value)

    ro = write_then_read(write, mode)
    steps, got = series(ro, "loss")
    assert steps == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert all(same_float(a, b) for a, b in zip(got, values, strict=True))
    assert ro["loss"].fetch_last() == 1e-300
    assert structure_types(ro, capsys)["loss"] == "FloatSeries"


def test_float_series_with_steps_and_timestamps(write_then_read: Any, mode: str) -> None:
    start = 1_700_000_000.25

    def write(run: Any) -> None:
        run["acc"].append(0.1, step=10, timestamp=start)
        run["acc"].append(0.2, step=10.5, timestamp=start + 1)
        run["acc"].append(0.3, timestamp=datetime.fromtimestamp(start + 2, tz=UTC))  # step 11.5
        run["acc"].extend([0.4, 0.5], steps=[20, 30], timestamps=[start + 3, start + 4])
        run["acc"].extend([0.6])  # step 31

    ro = write_then_read(write, mode)
    frame = ro["acc"].fetch_values()
    assert list(frame.columns) == ["step", "value", "timestamp"]
    assert isinstance(frame.index, pd.RangeIndex)
    assert frame["step"].tolist() == [10.0, 10.5, 11.5, 20.0, 30.0, 31.0]
    assert frame["value"].tolist() == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    assert frame["value"].dtype == np.float64
    assert pd.api.types.is_datetime64_any_dtype(frame["timestamp"])
    # Timestamps read back as naive local time, as in the Neptune client.
    expected = pd.Series([pd.Timestamp(datetime.fromtimestamp(start + i)) for i in range(5)])
    gap = (frame["timestamp"][:5] - expected).abs()
    assert (gap < pd.Timedelta(milliseconds=1)).all()


def test_fetch_values_without_timestamps(new_run: Any) -> None:
    run = new_run(mode="sync")
    run["m"].extend([1, 2, 3])
    frame = run["m"].fetch_values(include_timestamp=False)
    assert list(frame.columns) == ["step", "value"]
    assert frame["value"].tolist() == [1.0, 2.0, 3.0]


def test_float_series_value_replaces_the_series(write_then_read: Any, mode: str) -> None:
    def write(run: Any) -> None:
        run["loss"].extend([5.0, 4.0, 3.0])
        run["loss"] = FloatSeries([0.5, 0.25], steps=[100, 200], min=0, max=1, unit="nats")
        run["fresh"] = FloatSeries([1, 2])

    ro = write_then_read(write, mode)
    assert series(ro, "loss") == ([100.0, 200.0], [0.5, 0.25])
    assert series(ro, "fresh") == ([0.0, 1.0], [1.0, 2.0])


def test_configure_makes_an_empty_float_series(
    write_then_read: Any, mode: str, capsys: Any
) -> None:
    def write(run: Any) -> None:
        run["gpu"].configure(min=0, max=100, unit="%")
        run["loss"].append(1.0)
        run["loss"].configure(min=0, max=10, unit="")

    ro = write_then_read(write, mode)
    assert series(ro, "gpu") == ([], [])
    assert ro["gpu"].fetch_last() is None
    assert series(ro, "loss") == ([0.0], [1.0])
    assert structure_types(ro, capsys)["gpu"] == "FloatSeries"


def test_configure_is_refused_on_other_types(new_run: Any) -> None:
    run = new_run(mode="sync")
    run["text"].append("a")
    with pytest.raises(FieldTypeConflict, match="'text'"):
        run["text"].configure(min=0, max=1, unit="%")
    assert series(run, "text") == ([0.0], ["a"])


def test_clear_empties_a_series_and_restarts_its_steps(write_then_read: Any, mode: str) -> None:
    def write(run: Any) -> None:
        run["loss"].extend([3.0, 2.0], steps=[5, 6])
        run["loss"].clear()
        run["loss"].append(1.0)

    ro = write_then_read(write, mode)
    assert series(ro, "loss") == ([0.0], [1.0])


def test_log_appends_one_value_or_extends_a_list(write_then_read: Any, mode: str) -> None:
    def write(run: Any) -> None:
        run["old"].log(1.0)
        run["old"].log([2.0, 3.0])
        run["old"].log(4.0, step=10)

    ro = write_then_read(write, mode)
    assert series(ro, "old") == ([0.0, 1.0, 2.0, 10.0], [1.0, 2.0, 3.0, 4.0])


def test_dicts_append_to_namespaces_of_series(write_then_read: Any, mode: str, capsys: Any) -> None:
    def write(run: Any) -> None:
        run["train"].append({"loss": 0.5, "info": {"phase": "warmup"}})
        run["train"].append({"loss": 0.4, "info": {"phase": "main"}}, step=7)
        run["eval"].extend({"acc": [0.1, 0.2], "f1": [0.3, 0.4]}, steps=[1, 2])

    ro = write_then_read(write, mode)
    assert series(ro, "train/loss") == ([0.0, 7.0], [0.5, 0.4])
    assert series(ro, "train/info/phase") == ([0.0, 7.0], ["warmup", "main"])
    assert series(ro, "eval/acc") == ([1.0, 2.0], [0.1, 0.2])
    assert series(ro, "eval/f1") == ([1.0, 2.0], [0.3, 0.4])
    types = structure_types(ro, capsys)
    assert types["train/loss"] == "FloatSeries"
    assert types["train/info/phase"] == "StringSeries"


def test_many_points_in_one_series(write_then_read: Any, mode: str) -> None:
    # More points than one storage chunk, written in one call and then one by one.
    values = np.linspace(0, 1, 40_500)

    def write(run: Any) -> None:
        run["big"].extend(list(values[:40_000]))
        for value in values[40_000:]:
            run["big"].append(float(value))

    ro = write_then_read(write, mode)
    frame = ro["big"].fetch_values(include_timestamp=False)
    assert len(frame) == 40_500
    assert np.array_equal(frame["value"].to_numpy(), values)
    assert np.array_equal(frame["step"].to_numpy(), np.arange(40_500, dtype=float))


# string series ---------------------------------------------------------------------------


def test_string_series(write_then_read: Any, mode: str, capsys: Any) -> None:
    def write(run: Any) -> None:
        run["log"].append("first")
        run["log"].append("", step=4)
        run["log"].extend(["ünï", "last"])
        run["values"] = StringSeries(["x", "y"], steps=[1, 3])

    ro = write_then_read(write, mode)
    assert series(ro, "log") == ([0.0, 4.0, 5.0, 6.0], ["first", "", "ünï", "last"])
    assert ro["log"].fetch_last() == "last"
    assert series(ro, "values") == ([1.0, 3.0], ["x", "y"])
    assert structure_types(ro, capsys)["log"] == "StringSeries"


# string sets -----------------------------------------------------------------------------


def test_string_sets(write_then_read: Any, mode: str, capsys: Any) -> None:
    def write(run: Any) -> None:
        run["labels"].add("a")
        run["labels"].add(["b", "c", "a"])
        run["labels"].add(("d",))
        run["labels"].remove(["c", "not-there"])
        run["emptied"].add(["x", "y"])
        run["emptied"].clear()
        run["given"] = StringSet(["p", "q"])
        run["sys/tags"].add(["best", "cnn"])
        run["sys/tags"].remove("cnn")

    ro = write_then_read(write, mode, tags=["first"])
    assert ro["labels"].fetch() == {"a", "b", "d"}
    assert ro["emptied"].fetch() == set()
    assert ro["given"].fetch() == {"p", "q"}
    assert ro["sys/tags"].fetch() == {"first", "best"}
    assert structure_types(ro, capsys)["labels"] == "StringSet"


def test_assigning_a_string_set_replaces_it(new_run: Any) -> None:
    run = new_run(mode="sync")
    run["labels"].add(["a", "b"])
    run["labels"] = StringSet(["c"])
    assert run["labels"].fetch() == {"c"}


# files -----------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with ``data/a.txt``, ``data/b.csv``, ``data/sub/c.txt``."""
    work = tmp_path / "work"
    (work / "data" / "sub").mkdir(parents=True)
    (work / "data" / "a.txt").write_text("alpha")
    (work / "data" / "b.csv").write_text("x,y\n1,2\n")
    (work / "data" / "sub" / "c.txt").write_text("gamma")
    monkeypatch.chdir(work)
    return work


def test_file_upload_and_download(
    write_then_read: Any, mode: str, files: Path, capsys: Any
) -> None:
    def write(run: Any) -> None:
        run["model"].upload("data/a.txt")
        run["config"] = File.from_content('{"a": 1}', extension="json")
        run["raw"].upload(File.from_content(b"\x00\x01\x02"))

    ro = write_then_read(write, mode)
    assert ro["model"].fetch_extension() == "txt"
    assert ro["config"].fetch_extension() == "json"
    out = files / "out"
    ro["model"].download(str(out) + "/")
    assert (out / "model.txt").read_text() == "alpha"
    ro["config"].download(str(out / "renamed.json"))
    assert (out / "renamed.json").read_text() == '{"a": 1}'
    assert ro["raw"].fetch_extension() == "bin"
    ro["raw"].download(str(out / "raw.bin"))
    assert (out / "raw.bin").read_bytes() == b"\x00\x01\x02"
    assert structure_types(ro, capsys)["model"] == "File"


def test_uploading_again_replaces_the_file(new_run: Any, files: Path) -> None:
    run = new_run(mode="sync")
    run["f"].upload("data/a.txt")
    run["f"].upload("data/b.csv")
    assert run["f"].fetch_extension() == "csv"
    run["f"].download(str(files / "got.csv"))
    assert (files / "got.csv").read_text() == "x,y\n1,2\n"


def test_file_sets(write_then_read: Any, mode: str, files: Path, capsys: Any) -> None:
    def write(run: Any) -> None:
        run["data"].upload_files("data/*.txt")
        run["data"].upload_files(["data/b.csv", "data/sub"])
        run["data"].delete_files("data/a.txt")

    ro = write_then_read(write, mode)
    top = ro["data"].list_fileset_files()
    assert [(e.name, e.file_type) for e in top] == [("data", "directory")]
    inside = {(e.name, e.file_type, e.size) for e in ro["data"].list_fileset_files("data")}
    assert inside == {("b.csv", "file", 8), ("sub", "directory", 0)}
    ro["data"].download(str(files / "out") + "/")
    with zipfile.ZipFile(files / "out" / "data.zip") as archive:
        assert sorted(archive.namelist()) == ["data/b.csv", "data/sub/c.txt"]
        assert archive.read("data/sub/c.txt") == b"gamma"
    assert structure_types(ro, capsys)["data"] == "FileSet"


def test_assigning_a_file_set_value_uploads_its_files(new_run: Any, files: Path) -> None:
    from nepnb.types import FileSet

    run = new_run(mode="sync")
    run["code"] = FileSet(["data/a.txt", "data/b.csv"])
    names = {e.name for e in run["code"].list_fileset_files("data")}
    assert names == {"a.txt", "b.csv"}


def test_file_series_of_images(write_then_read: Any, mode: str, files: Path, capsys: Any) -> None:
    black = np.zeros((4, 4, 3))
    white = np.ones((4, 4, 3))

    def write(run: Any) -> None:
        run["samples"].append(File.as_image(black))
        run["samples"].append(File.as_image(white), step=5)
        run["more"] = FileSeries([File.as_image(black)])

    ro = write_then_read(write, mode)
    ro["samples"].download(str(files / "all"))
    assert sorted(p.name for p in (files / "all").iterdir()) == ["0.png", "5.png"]
    ro["samples"].download_last(str(files / "last") + "/")
    assert [p.name for p in (files / "last").iterdir()] == ["5.png"]
    assert (files / "last" / "5.png").read_bytes() == (files / "all" / "5.png").read_bytes()
    assert (files / "all" / "0.png").read_bytes() != (files / "all" / "5.png").read_bytes()
    assert series(ro, "more")[0] == [0.0]
    assert structure_types(ro, capsys)["samples"] == "FileSeries"


def test_artifacts_track_files_by_hash(
    write_then_read: Any, mode: str, files: Path, capsys: Any
) -> None:
    def write(run: Any) -> None:
        run["dataset"].track_files("data")
        run["single"].track_files("data/a.txt", destination="inputs")

    ro = write_then_read(write, mode)
    listed = {f.file_path: f for f in ro["dataset"].fetch_files_list()}
    # Named as the Neptune client names them: by their path inside the tracked folder
    assert set(listed) == {"a.txt", "b.csv", "sub/c.txt"}
    assert listed["a.txt"].size == 5
    import hashlib

    assert listed["a.txt"].file_hash == hashlib.sha256(b"alpha").hexdigest()
    first_hash = ro["dataset"].fetch_hash()
    assert len(first_hash) == 64
    [single] = ro["single"].fetch_files_list()
    assert single.file_path == "inputs/a.txt"
    assert structure_types(ro, capsys)["dataset"] == "Artifact"

    # The same files give the same hash; other contents another one.
    other = write_then_read(lambda run: run["dataset"].track_files("data"), mode)
    assert other["dataset"].fetch_hash() == first_hash
    (files / "data" / "a.txt").write_text("changed")
    changed = write_then_read(lambda run: run["dataset"].track_files("data"), mode)
    assert changed["dataset"].fetch_hash() != first_hash


def test_a_git_ref_outside_a_repository_is_refused(new_run: Any, tmp_path: Path) -> None:
    folder = tmp_path / "not-a-repo"
    folder.mkdir()
    run = new_run(mode="sync")
    with pytest.raises(InvalidValue, match="'code/git'"):
        run["code/git"] = GitRef(folder)
    assert not run.exists("code/git")


# reads that do not fit the field ---------------------------------------------------------


def test_series_reads_on_atoms_and_atom_reads_on_series_are_refused(new_run: Any) -> None:
    run = new_run(mode="sync")
    run["n"] = 1
    run["loss"].append(0.5)
    with pytest.raises(NepnbError, match="'n'"):
        run["n"].fetch_values()
    with pytest.raises(NepnbError, match="'n'"):
        run["n"].fetch_last()
    with pytest.raises(NepnbError, match="'loss'"):
        run["loss"].fetch()
    with pytest.raises(NepnbError, match="'n'"):
        run["n"].download()
    with pytest.raises(NepnbError, match="'n'"):
        run["n"].fetch_hash()
    with pytest.raises(NepnbError, match="'n'"):
        run["n"].list_fileset_files()
    with pytest.raises(NepnbError, match="'loss'"):
        run["loss"].fetch_extension()


def test_reading_a_missing_field(new_run: Any) -> None:
    run = new_run(mode="sync")
    for read in ("fetch", "fetch_last", "fetch_values", "fetch_extension", "fetch_hash"):
        with pytest.raises(MissingField, match="'no/such/field'") as caught:
            getattr(run["no/such/field"], read)()
        assert isinstance(caught.value, KeyError)
        assert "'no/such/field'" in str(caught.value)


def test_namespace_fetch_gives_the_atoms_under_it(new_run: Any) -> None:
    run = new_run(mode="sync")
    run["p/a"] = 1
    run["p/b/c"] = "x"
    run["p/loss"].append(1.0)
    run["p/labels"].add("t")
    assert run["p"].fetch() == {"a": 1, "b": {"c": "x"}, "labels": {"t"}}
    assert run["p/b"].fetch() == {"c": "x"}


def test_neptune_names_are_importable() -> None:
    assert neptune.init_run is not None
    assert issubclass(neptune.exceptions.MissingFieldException, KeyError)
    assert neptune.exceptions.NeptuneException is NepnbError
