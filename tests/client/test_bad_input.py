"""Bad input: every mistake gets a clear message naming the path, and changes nothing stored.

Each test writes a run with a field of every kind, makes one mistake, and then checks both
the message and that what the store holds is exactly what it held before.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nepnb as neptune
from nepnb.exceptions import (
    FieldTypeConflict,
    InactiveObject,
    InvalidPath,
    InvalidValue,
    NepnbError,
    ReadOnlyMode,
    UnsupportedValue,
    ValueDropped,
)
from nepnb.types import File, FloatSeries, StringSet
from tests.helpers.client import QUIET, series, structure_types

#: sys/ fields that change by themselves (on every write, on stop).
MOVING = ("sys/modification_time", "sys/ping_time", "sys/state", "sys/running_time")


def _plain(value: Any) -> Any:
    """``value`` with NaN made comparable."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: Any, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """What the store holds for ``obj``: ``{path: (type, value)}`` of every user and sys field."""
    result: dict[str, Any] = {}
    for path, kind in structure_types(obj, capsys).items():
        if path.startswith("monitoring/") or path in MOVING:
            continue
        handler = obj[path]
        if kind in ("FloatSeries", "StringSeries"):
            value: Any = _plain(series(obj, path))
        elif kind == "FileSeries":
            value = series(obj, path)[0]
        elif kind == "File":
            value = handler.fetch_extension()
        elif kind == "FileSet":
            value = sorted(e.name for e in handler.list_fileset_files())
        elif kind == "Artifact":
            value = handler.fetch_hash()
        else:
            value = _plain(handler.fetch())
        result[path] = (kind, value)
    return result


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder, holding ``data.txt`` and ``other.csv``."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "data.txt").write_text("data")
    (folder / "other.csv").write_text("a,b\n")
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


class Guarded:
    """A run holding a field of every kind, and what the store held before the mistake."""

    def __init__(self, run: Any, capsys: pytest.CaptureFixture[str], reopen: Any) -> None:
        self.run = run
        self.capsys = capsys
        self.reopen = reopen
        run["int"] = 7
        run["float"] = 0.5
        run["nan"] = math.nan
        run["bool"] = True
        run["str"] = "text"
        run["dt"] = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        run["fser"] = FloatSeries([1.0, 2.0], steps=[0, 1])
        run["sser"].extend(["a", "b"])
        run["set"] = StringSet(["a", "b"])
        run["ns/a"] = 1
        run["ns/b/c"] = "deep"
        run["file"].upload("data.txt")
        run["files"].upload_files("data.txt")
        run["art"].track_files("data.txt")
        self.sys_id = run["sys/id"].fetch()
        self.before = snapshot(run, capsys)

    def unchanged(self) -> None:
        """The run (after its writes are flushed) and the store hold what they held before."""
        if self.run.get_state() != "stopped":
            self.run.wait()
            assert snapshot(self.run, self.capsys) == self.before
        copy = self.reopen(self.sys_id)
        assert snapshot(copy, self.capsys) == self.before


@pytest.fixture
def guarded(new_run: Any, reopen: Any, capsys: Any, work: Path, mode: str) -> Guarded:
    return Guarded(new_run(mode=mode), capsys, reopen)


# type conflicts --------------------------------------------------------------------------

Action = Callable[[Any], Any]

CONFLICTS: list[tuple[str, Action, str]] = [
    ("int <- str", lambda r: r.__setitem__("int", "x"), "int"),
    ("int <- float", lambda r: r.__setitem__("int", 1.5), "int"),
    ("int <- bool", lambda r: r.__setitem__("int", False), "int"),
    ("float <- str", lambda r: r.__setitem__("float", "x"), "float"),
    ("float <- bool", lambda r: r.__setitem__("float", True), "float"),
    ("bool <- int", lambda r: r.__setitem__("bool", 1), "bool"),
    ("str <- int", lambda r: r.__setitem__("str", 3), "str"),
    ("dt <- float", lambda r: r.__setitem__("dt", 3.0), "dt"),
    ("fser <- atom", lambda r: r.__setitem__("fser", 1.0), "fser"),
    ("fser <- append str", lambda r: r["fser"].append("x"), "fser"),
    ("fser <- extend str", lambda r: r["fser"].extend(["x", "y"]), "fser"),
    ("sser <- append float", lambda r: r["sser"].append(1.0), "sser"),
    ("sser <- configure", lambda r: r["sser"].configure(min=0, max=1, unit="%"), "sser"),
    ("set <- str", lambda r: r.__setitem__("set", "x"), "set"),
    ("set <- append", lambda r: r["set"].append(1.0), "set"),
    ("int <- append", lambda r: r["int"].append(1.0), "int"),
    ("int <- add", lambda r: r["int"].add("x"), "int"),
    ("int <- clear", lambda r: r["int"].clear(), "int"),
    ("str <- upload", lambda r: r["str"].upload("data.txt"), "str"),
    ("str <- upload_files", lambda r: r["str"].upload_files("data.txt"), "str"),
    ("str <- track_files", lambda r: r["str"].track_files("data.txt"), "str"),
    ("file <- int", lambda r: r.__setitem__("file", 1), "file"),
    ("files <- str", lambda r: r.__setitem__("files", "x"), "files"),
    ("art <- str", lambda r: r.__setitem__("art", "x"), "art"),
    ("namespace <- atom", lambda r: r.__setitem__("ns", 1), "ns"),
    ("namespace <- append", lambda r: r["ns"].append(1.0), "ns"),
    ("namespace <- add", lambda r: r["ns/b"].add("x"), "ns/b"),
    ("under an atom", lambda r: r.__setitem__("int/child", 1), "int"),
    ("under a series", lambda r: r["fser/child"].append(1.0), "fser"),
    ("dict leaf", lambda r: r.__setitem__("ns", {"b": {"c": 5}}), "ns/b/c"),
    ("dict append leaf", lambda r: r["ns"].append({"a": 1.0}), "ns/a"),
]


@pytest.mark.parametrize(
    ("action", "path"), [c[1:] for c in CONFLICTS], ids=[c[0] for c in CONFLICTS]
)
def test_type_conflicts(guarded: Guarded, action: Action, path: str) -> None:
    with pytest.raises(FieldTypeConflict) as caught:
        action(guarded.run)
    message = str(caught.value)
    assert f"'{path}'" in message
    guarded.unchanged()


def test_a_type_conflict_names_both_types(guarded: Guarded) -> None:
    with pytest.raises(FieldTypeConflict) as caught:
        guarded.run["int"] = "text"
    assert "Integer" in str(caught.value) and "String" in str(caught.value)
    assert isinstance(caught.value, TypeError)
    guarded.unchanged()


def test_a_sys_field_of_another_type_is_refused_at_once(new_run: Any, mode: str) -> None:
    run = new_run(mode=mode)
    with pytest.raises(FieldTypeConflict, match="'sys/name'"):
        run["sys/name"] = 5
    run.wait()
    assert run["sys/name"].fetch() == "Untitled"
    run["sys/name"] = "renamed"  # the right type still works
    assert run["sys/name"].fetch() == "renamed"


def test_assigning_a_string_to_tags_is_refused(new_run: Any, mode: str) -> None:
    run = new_run(mode=mode, tags=["a"])
    with pytest.raises(FieldTypeConflict, match="'sys/tags'"):
        run["sys/tags"] = "b"
    run["sys/tags"].add("c")
    assert run["sys/tags"].fetch() == {"a", "c"}


# invalid paths ---------------------------------------------------------------------------

BAD_PATHS: list[Any] = ["", "/a", "a/", "a//b", "x" * 1025, 3, None, ("a",)]


@pytest.mark.parametrize(
    "path", BAD_PATHS, ids=["empty", "lead", "trail", "double", "long", "int", "none", "tuple"]
)
def test_invalid_paths(guarded: Guarded, path: Any) -> None:
    run = guarded.run
    for action in (
        lambda: run.__setitem__(path, 1),
        lambda: run[path].append(1.0),
        lambda: run.__delitem__(path),
        lambda: run.pop(path),
        lambda: run.exists(path),
    ):
        with pytest.raises(InvalidPath) as caught:
            action()
        assert isinstance(caught.value, ValueError)
        if isinstance(path, str) and path:
            assert path[:60] in str(caught.value)
    guarded.unchanged()


def test_invalid_sub_paths_through_a_handler(guarded: Guarded) -> None:
    with pytest.raises(InvalidPath, match="x//y"):
        guarded.run["ns"]["x//y"] = 1
    with pytest.raises(InvalidPath):
        guarded.run["ns"][""] = 1
    guarded.unchanged()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("sys/id", "ABC-1"),
        ("sys/state", "inactive"),
        ("sys/failed", True),
        ("sys/owner", "me"),
        ("sys/creation_time", datetime(2020, 1, 1)),
        ("sys/custom_run_id", "x"),
        ("sys/new_field", 1),
    ],
)
def test_sys_fields_set_by_nepnb_cannot_be_written(guarded: Guarded, path: str, value: Any) -> None:
    with pytest.raises(InvalidPath, match=path):
        guarded.run[path] = value
    guarded.unchanged()


@pytest.mark.parametrize("path", ["sys/id", "sys/state", "sys/creation_time", "sys"])
def test_sys_fields_cannot_be_deleted(guarded: Guarded, path: str) -> None:
    guarded.run.sync()  # the run knows every stored field
    with pytest.raises(NepnbError, match=path):
        del guarded.run[path]
    guarded.unchanged()


# steps -----------------------------------------------------------------------------------


@pytest.mark.parametrize("step", [1, 1.0, 0, -5, 0.5])
def test_non_increasing_steps_are_dropped_with_a_warning(guarded: Guarded, step: float) -> None:
    with pytest.warns(ValueDropped, match="'fser'") as caught:
        guarded.run["fser"].append(99.0, step=step)
    assert any(str(step) in str(w.message) or str(float(step)) in str(w.message) for w in caught)
    guarded.unchanged()


def test_extend_drops_only_the_points_that_go_back(guarded: Guarded) -> None:
    run = guarded.run
    with pytest.warns(ValueDropped, match="'fser'"):
        run["fser"].extend([10.0, 11.0, 12.0, 13.0], steps=[1, 5, 4, 6])
    assert series(run, "fser") == ([0.0, 1.0, 5.0, 6.0], [1.0, 2.0, 11.0, 13.0])


def test_steps_go_on_from_the_stored_series_after_resume(guarded: Guarded, new_run: Any) -> None:
    guarded.run.stop()
    again = new_run(mode="sync", with_id=guarded.sys_id)
    with pytest.warns(ValueDropped, match="'fser'"):
        again["fser"].append(5.0, step=1)
    again.stop()
    guarded.unchanged()


def test_a_step_that_is_not_a_number(guarded: Guarded) -> None:
    run = guarded.run
    for path in ("fser", "new"):  # an existing series, and a new one
        with pytest.raises(InvalidValue, match=f"'{path}'"):
            run[path].append(1.0, step="ten")
    guarded.unchanged()


def test_a_timestamp_that_is_not_a_time(guarded: Guarded) -> None:
    run = guarded.run
    for path in ("fser", "new"):
        with pytest.raises(InvalidValue, match=f"'{path}'"):
            run[path].append(1.0, timestamp="yesterday")
    guarded.unchanged()


def test_a_bad_timestamp_does_not_damage_the_series(new_run: Any, reopen: Any, mode: str) -> None:
    run = new_run(mode=mode)
    run["loss"].append(1.0)
    run["loss"].append(2.0)
    with pytest.raises(InvalidValue):
        run["loss"].append(3.0, timestamp="bad")
    run["loss"].append(4.0)
    run["other"] = 1
    sys_id = run["sys/id"].fetch()
    run.stop()
    ro = reopen(sys_id)
    assert series(ro, "loss") == ([0.0, 1.0, 2.0], [1.0, 2.0, 4.0])
    assert ro["other"].fetch() == 1


# extend ----------------------------------------------------------------------------------


def test_extend_with_a_wrong_number_of_steps(guarded: Guarded) -> None:
    run = guarded.run
    with pytest.raises(InvalidValue, match="'fser'"):
        run["fser"].extend([5.0, 6.0], steps=[10])
    with pytest.raises(InvalidValue, match="'fser'"):
        run["fser"].extend([5.0, 6.0], timestamps=[1.0, 2.0, 3.0])
    guarded.unchanged()


@pytest.mark.parametrize("values", [1.0, "text", None], ids=["float", "str", "none"])
def test_extend_needs_a_collection(guarded: Guarded, values: Any) -> None:
    with pytest.raises(UnsupportedValue, match="'fser'"):
        guarded.run["fser"].extend(values)
    guarded.unchanged()


def test_extend_of_mixed_values_stores_nothing(guarded: Guarded) -> None:
    with pytest.raises(NepnbError, match="'mixed'"):
        guarded.run["mixed"].extend([1.0, 2.0, "three"])
    guarded.unchanged()


def test_extend_with_a_bad_step_stores_nothing(guarded: Guarded) -> None:
    with pytest.raises(InvalidValue, match="'fser'"):
        guarded.run["fser"].extend([5.0, 6.0], steps=[10, "eleven"])
    guarded.unchanged()


# unsupported values ----------------------------------------------------------------------

UNSUPPORTED: list[Any] = [None, [1, 2], (1, 2), {1, 2}, b"bytes", 1j, object(), np.arange(3)]
UNSUPPORTED_IDS = ["none", "list", "tuple", "set", "bytes", "complex", "object", "ndarray"]


@pytest.mark.parametrize("value", UNSUPPORTED, ids=UNSUPPORTED_IDS)
def test_unsupported_values_are_dropped_with_a_warning(guarded: Guarded, value: Any) -> None:
    run = guarded.run
    with pytest.warns(ValueDropped, match="'new'"):
        run["new"] = value
    with pytest.warns(ValueDropped, match="'int'"):
        run["int"] = value
    assert not run.exists("new")
    guarded.unchanged()


@pytest.mark.parametrize(
    "value", [None, object(), [1.0], {1.0}], ids=["none", "object", "list", "set"]
)
def test_unsupported_series_values_are_dropped_with_a_warning(guarded: Guarded, value: Any) -> None:
    run = guarded.run
    with pytest.warns(ValueDropped, match="'fser'"):
        run["fser"].append(value)
    with pytest.warns(ValueDropped, match="'newser'"):
        run["newser"].append(value)
    assert not run.exists("newser")
    guarded.unchanged()


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_integers_beyond_64_bits(guarded: Guarded, value: int) -> None:
    with pytest.raises(InvalidValue, match="'big'"):
        guarded.run["big"] = value
    with pytest.raises(InvalidValue, match="'int'"):
        guarded.run["int"] = value
    guarded.unchanged()


def test_string_sets_hold_strings(guarded: Guarded) -> None:
    run = guarded.run
    with pytest.raises(UnsupportedValue, match="'set'"):
        run["set"].add(["ok", 1])
    with pytest.raises(UnsupportedValue, match="'set'"):
        run["set"].remove([None])
    with pytest.raises(UnsupportedValue, match="'newset'"):
        run["newset"].add([1.5])
    assert not run.exists("newset")
    guarded.unchanged()


def test_root_assign_of_a_non_dict(guarded: Guarded) -> None:
    with pytest.raises(NepnbError, match="dict"):
        guarded.run.assign(["a", 1])
    guarded.unchanged()


# missing files ---------------------------------------------------------------------------


def test_uploading_a_missing_file(guarded: Guarded) -> None:
    run = guarded.run
    for path in ("file", "newfile"):
        with pytest.raises(NepnbError, match=r"missing\.txt") as caught:
            run[path].upload("missing.txt")
        assert isinstance(caught.value, FileNotFoundError)
    with pytest.raises(NepnbError, match=r"missing\.txt"):
        run["file"] = File("missing.txt")
    assert not run.exists("newfile")
    guarded.unchanged()


def test_uploading_a_folder_as_a_file(guarded: Guarded, work: Path) -> None:
    (work / "folder").mkdir()
    with pytest.raises(NepnbError, match="folder"):
        guarded.run["file"].upload("folder")
    guarded.unchanged()


def test_upload_files_with_nothing_matching(guarded: Guarded) -> None:
    run = guarded.run
    for path in ("files", "newfiles"):
        with pytest.raises(NepnbError, match=f"'{path}'") as caught:
            run[path].upload_files(["data.txt", "missing/*.csv"])
        assert "missing/*.csv" in str(caught.value)
    assert not run.exists("newfiles")
    guarded.unchanged()


def test_tracking_missing_files(guarded: Guarded) -> None:
    run = guarded.run
    for path in ("art", "newart"):
        with pytest.raises(NepnbError, match=f"'{path}'") as caught:
            run[path].track_files("missing-folder")
        assert "missing-folder" in str(caught.value)
    assert not run.exists("newart")
    guarded.unchanged()


# read-only mode --------------------------------------------------------------------------

WRITES: list[tuple[str, Action, str]] = [
    ("assign", lambda r: r.__setitem__("int", 8), "int"),
    ("assign new", lambda r: r.__setitem__("brand/new", 1), "brand/new"),
    ("assign dict", lambda r: r.__setitem__("ns", {"a": 2}), "ns"),
    ("root assign", lambda r: r.assign({"str": "y"}), "str"),
    ("append", lambda r: r["fser"].append(3.0), "fser"),
    ("append new", lambda r: r["newser"].append(3.0), "newser"),
    ("append string", lambda r: r["sser"].append("c"), "sser"),
    ("extend", lambda r: r["fser"].extend([3.0, 4.0]), "fser"),
    ("log", lambda r: r["fser"].log(3.0), "fser"),
    ("configure", lambda r: r["fser"].configure(min=0, max=1, unit="%"), "fser"),
    ("clear", lambda r: r["fser"].clear(), "fser"),
    ("add", lambda r: r["set"].add("c"), "set"),
    ("remove", lambda r: r["set"].remove("a"), "set"),
    ("clear set", lambda r: r["set"].clear(), "set"),
    ("upload", lambda r: r["file"].upload("other.csv"), "file"),
    ("upload_files", lambda r: r["files"].upload_files("other.csv"), "files"),
    ("delete_files", lambda r: r["files"].delete_files("data.txt"), "files"),
    ("track_files", lambda r: r["art"].track_files("other.csv"), "art"),
    ("pop", lambda r: r.pop("int"), "int"),
    ("handler pop", lambda r: r["ns"].pop("a"), "ns/a"),
    ("del", lambda r: r.__delitem__("ns"), "ns"),
    ("tags", lambda r: r["sys/tags"].add("t"), "sys/tags"),
    ("name", lambda r: r.__setitem__("sys/name", "n"), "sys/name"),
]


@pytest.mark.parametrize(("action", "path"), [w[1:] for w in WRITES], ids=[w[0] for w in WRITES])
def test_writes_in_read_only_mode(guarded: Guarded, action: Action, path: str) -> None:
    guarded.run.stop()
    ro = guarded.reopen(guarded.sys_id)
    with pytest.raises(ReadOnlyMode) as caught:
        action(ro)
    assert f"'{path}" in str(caught.value)
    ro.wait()
    ro.stop()
    guarded.unchanged()


# use after stop --------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "path"), [w[1:] for w in WRITES], ids=[w[0] for w in WRITES])
def test_writes_after_stop(guarded: Guarded, action: Action, path: str) -> None:
    guarded.run.stop()
    with pytest.raises(InactiveObject) as caught:
        action(guarded.run)
    message = str(caught.value)
    assert f"'{path}" in message
    assert guarded.sys_id in message
    guarded.unchanged()


def test_a_handler_kept_from_before_stop(guarded: Guarded) -> None:
    series_handler = guarded.run["fser"]
    atom_handler = guarded.run["int"]
    guarded.run.stop()
    with pytest.raises(InactiveObject, match="'fser'"):
        series_handler.append(5.0)
    with pytest.raises(InactiveObject, match="'int'"):
        atom_handler.assign(5)
    guarded.unchanged()


# opening objects wrongly -----------------------------------------------------------------


def test_init_arguments_are_checked() -> None:
    with pytest.raises(NepnbError, match="tags"):
        neptune.init_run(mode="debug", tags=["ok", 3], **QUIET)  # type: ignore[list-item]
    with pytest.raises(NepnbError, match="custom_run_id"):
        neptune.init_run(mode="debug", custom_run_id="x" * 200, **QUIET)
    with pytest.raises(NepnbError, match="bad name"):
        neptune.init_run(mode="debug", project="bad name", **QUIET)


def test_unknown_init_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match="no_such_argument"):
        neptune.init_run(mode="debug", no_such_argument=1, **QUIET)
