"""The small value classes: atoms, series, sets, ``FileSet`` and ``Namespace``."""

from __future__ import annotations

import sys
import time
import types
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nepnb.exceptions import InvalidValue, NepnbError, UnsupportedValue
from nepnb.types import (
    Artifact,
    Boolean,
    Datetime,
    File,
    FileSeries,
    FileSet,
    Float,
    FloatSeries,
    GitRef,
    Integer,
    String,
    StringifyValue,
    StringSeries,
    StringSet,
)
from nepnb.types.namespace import Namespace
from nepnb.types.value import Atom, Series, Set, Value

SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


class TestAtoms:
    def test_conversions_like_the_neptune_client(self) -> None:
        assert Boolean(1).value is True and bool(Boolean(0)) is False
        assert Integer("12").value == 12 and Integer(3.9).value == 3 and int(Integer(4)) == 4
        assert Float(2).value == 2.0 and float(Float("0.5")) == 0.5
        assert String("x").value == "x" and String(None).value is None

    def test_stringify_values_are_unwrapped(self) -> None:
        assert Boolean(StringifyValue(True)).value is True
        assert Integer(StringifyValue(7)).value == 7
        assert Float(StringifyValue(2**40)).value == float(2**40)
        assert String(StringifyValue((1, "a"))).value == "(1, 'a')"
        assert Datetime(StringifyValue(datetime(2020, 1, 1))).value == datetime(2020, 1, 1)

    def test_equality_repr_and_str(self) -> None:
        assert Float(1) == Float(1.0)
        assert Integer(1) != Float(1)
        assert repr(Boolean(True)) == "Boolean(value=True)"
        assert str(Integer(5)) == "Integer(5)"
        assert str(Float(0.5)) == "Float(0.5)"
        assert str(String("a")) == "String(a)"
        assert isinstance(Float(1), Atom) and isinstance(File("a"), Atom)
        assert isinstance(Float(1), Value)

    def test_string_refuses_other_types(self) -> None:
        with pytest.raises(UnsupportedValue, match="String\\(\\) takes a str, got int"):
            String(5)  # type: ignore[arg-type]

    def test_datetime_keeps_milliseconds(self) -> None:
        value = Datetime(datetime(2024, 5, 1, 12, 0, 0, 123987, tzinfo=timezone.utc)).value
        assert value == datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=timezone.utc)
        assert str(Datetime(datetime(2024, 1, 2))) == "Datetime(2024-01-02 00:00:00)"
        with pytest.raises(TypeError, match=r"datetime\.datetime, got str"):
            Datetime("2024-01-01")  # type: ignore[arg-type]

    def test_artifact(self) -> None:
        assert Artifact(SHA).hash == SHA
        assert Artifact().hash is None
        assert str(Artifact(SHA)) == f"Artifact({SHA})"
        with pytest.raises(InvalidValue, match="SHA-256") as caught:
            Artifact("abc")
        assert isinstance(caught.value, ValueError)

    def test_git_ref(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        assert GitRef.DISABLED == "DO_NOT_TRACK_GIT_REPOSITORY"
        assert GitRef("repo").repository_path == "repo"
        assert GitRef(repository_path=None).resolve_path() is None
        assert GitRef(tmp_path / "x" / "..").resolve_path() == tmp_path.resolve()
        assert str(GitRef("repo")) == "GitRef(repo)"

        script = tmp_path / "train.py"
        script.write_text("")
        main = types.ModuleType("__main__")
        main.__file__ = str(script)
        monkeypatch.setitem(sys.modules, "__main__", main)
        assert GitRef().repository_path == script.resolve()  # the script being run
        del main.__file__
        assert GitRef().repository_path == Path()  # a notebook: the current directory
        monkeypatch.chdir(tmp_path)
        assert GitRef().resolve_path() == tmp_path.resolve()


class TestFloatSeries:
    def test_values_steps_timestamps(self) -> None:
        before = time.time()
        series = FloatSeries([1, 2.5, "3"], min=0, max=10, unit="s")
        assert series.values == [1.0, 2.5, 3.0]
        assert series.steps == [None, None, None]
        assert len(series.timestamps) == 3
        assert before <= series.timestamps[0] <= time.time()
        assert (series.min, series.max, series.unit) == (0, 10, "s")
        assert len(series) == 3
        assert isinstance(series, Series)
        assert str(series) == "FloatSeries([1.0, 2.5, 3.0])"

    def test_explicit_steps_and_timestamps(self) -> None:
        series = FloatSeries([0.5, 0.25], steps=[1, 2], timestamps=[100, 101.5])
        assert series.steps == [1.0, 2.0]
        assert series.timestamps == [100.0, 101.5]
        assert series == FloatSeries([0.5, 0.25], steps=[1, 2], timestamps=[100, 101.5])

    def test_nan_and_inf_are_kept(self) -> None:
        values = FloatSeries([float("nan"), float("inf"), -float("inf")]).values
        assert np.isnan(values[0]) and values[1:] == [float("inf"), -float("inf")]

    def test_numpy_arrays_generators_and_stringify_values(self) -> None:
        assert FloatSeries(np.array([1, 2], dtype=np.float32)).values == [1.0, 2.0]
        assert FloatSeries(x / 2 for x in range(3)).values == [0.0, 0.5, 1.0]
        assert FloatSeries(StringifyValue([1, 2])).values == [1.0, 2.0]

    def test_mismatched_lengths(self) -> None:
        with pytest.raises(InvalidValue, match="2 values but 1 steps"):
            FloatSeries([1, 2], steps=[1])
        with pytest.raises(ValueError, match="2 values but 3 timestamps"):
            FloatSeries([1, 2], timestamps=[1, 2, 3])

    @pytest.mark.parametrize("values", ["abc", 3, {"a": 1}])
    def test_not_a_collection(self, values: object) -> None:
        with pytest.raises(UnsupportedValue, match="must be a collection"):
            FloatSeries(values)  # type: ignore[arg-type]

    def test_not_numbers(self) -> None:
        with pytest.raises(TypeError, match="FloatSeries values must be numbers"):
            FloatSeries([1, "x"])


class TestStringSeries:
    def test_strings(self) -> None:
        series = StringSeries(["a", "b"], steps=[3, 4])
        assert series.values == ["a", "b"]
        assert series.steps == [3.0, 4.0]
        assert len(series.timestamps) == 2

    def test_stringify_values_become_strings(self) -> None:
        assert StringSeries(StringifyValue([1, (2, 3)])).values == ["1", "(2, 3)"]
        assert StringSeries(["a", StringifyValue(2)]).values == ["a", "2"]

    def test_other_values_are_refused(self) -> None:
        with pytest.raises(UnsupportedValue, match="StringSeries values must be str, got int"):
            StringSeries(["a", 1])  # type: ignore[list-item]


class TestFileSeries:
    def test_values_become_files(self) -> None:
        image = Image.new("L", (1, 1))
        series = FileSeries(["a.png", File.from_content(b"x"), image], name="n", description="d")
        assert series.values[0] == File("a.png")
        assert series.values[1] == File.from_content(b"x")
        assert series.values[2].extension == "png"
        assert (series.name, series.description) == ("n", "d")
        assert series.steps == [None] * 3

    def test_arrays_need_as_image(self) -> None:
        with pytest.raises(TypeError, match=r"File.as_image\(array\)"):
            FileSeries([np.zeros((2, 2))])
        assert FileSeries([File.as_image(np.zeros((2, 2)))]).values[0].extension == "png"


class TestSetsAndNamespaces:
    def test_string_set(self) -> None:
        assert StringSet(["a", "b", "a"]).values == {"a", "b"}
        assert StringSet("tag").values == {"tag"}  # one tag, not three letters
        assert StringSet(["b", "a"]) == StringSet(("a", "b"))
        assert isinstance(StringSet([]), Set)
        assert repr(StringSet(["b", "a"])) == "StringSet(['a', 'b'])"
        with pytest.raises(UnsupportedValue, match="StringSet values must be str, got int"):
            StringSet(["a", 1])  # type: ignore[list-item]

    def test_file_set(self, tmp_path: Path) -> None:
        assert FileSet("data/*.csv").file_globs == ["data/*.csv"]
        assert FileSet(["a", tmp_path]).file_globs == ["a", str(tmp_path)]
        assert FileSet(tmp_path).file_globs == [str(tmp_path)]
        assert str(FileSet("a")) == "FileSet(['a'])"
        with pytest.raises(UnsupportedValue, match="glob patterns"):
            FileSet([1])  # type: ignore[list-item]
        with pytest.raises(UnsupportedValue, match="glob patterns"):
            FileSet(1)  # type: ignore[arg-type]

    def test_namespace(self) -> None:
        params = {"lr": 0.1, "opt": {"name": "adam"}}
        assert Namespace(params).value is params
        assert Namespace(params) == Namespace(dict(params))
        with pytest.raises(UnsupportedValue, match="vars\\(args\\)") as caught:
            Namespace([("a", 1)])  # type: ignore[arg-type]
        assert isinstance(caught.value, NepnbError)
