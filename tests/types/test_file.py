"""``File``: its three origins, the converters (image, HTML, pickle) and their errors."""

from __future__ import annotations

import base64
import errno
import io
import os
import pickle
import re
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from nepnb.exceptions import InvalidValue, NepnbError, UnsupportedValue
from nepnb.types import File
from nepnb.types.file import (
    ChartRenderedAsImage,
    FileAttributeUnavailable,
    FileIsDirectory,
    FileNotFound,
    FileType,
    ImageDataOutOfRange,
    InvalidFileArguments,
    InvalidImageData,
    UnpicklableValue,
    UnsupportedFileValue,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def decode_png(data: bytes) -> Image.Image:
    assert data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()
    return image


def pixels(file: File) -> list[Any]:
    assert file.extension == "png"
    return np.asarray(decode_png(file.read_bytes())).tolist()


def figure() -> Figure:
    fig = Figure(figsize=(2, 1.5), dpi=50)
    fig.add_subplot().plot([1, 3, 2])
    return fig


def fake_class(module: str, name: str, **members: Any) -> type:
    """A class that looks, by its module and name, like one of an optional library."""
    return type(name, (), {"__module__": module, **members})


# --- origins --------------------------------------------------------------------------------


class TestPath:
    def test_extension_comes_from_the_path(self) -> None:
        assert File("data/sample.csv").extension == "csv"
        assert File("archive.tar.gz").extension == "gz"
        assert File("Makefile").extension == ""
        assert File(path="model.pt").path == "model.pt"

    def test_explicit_extension_wins(self) -> None:
        assert File("weights", extension="pt").extension == "pt"
        assert File.from_path("weights.bin", extension="pt").extension == "pt"
        assert File.from_path("x", extension=".png").extension == "png"

    def test_accepts_pathlib(self, tmp_path: Path) -> None:
        file = File(tmp_path / "a.txt")
        assert file.path == str(tmp_path / "a.txt")
        assert file.extension == "txt"

    def test_is_read_lazily_and_again_on_each_read(self, tmp_path: Path) -> None:
        target = tmp_path / "notes.txt"
        file = File.from_path(str(target))  # nothing there yet: no error
        target.write_bytes(b"first")
        assert file.read_bytes() == b"first"
        target.write_bytes(b"second")
        assert file.read_bytes() == b"second"
        assert file.file_type is FileType.LOCAL_FILE
        assert file.is_path_based and not file.is_in_memory

    def test_missing_file_says_what_and_where(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        file = File("missing/plot.png")
        with pytest.raises(FileNotFound) as caught:
            file.read_bytes()
        error = caught.value
        assert isinstance(error, FileNotFoundError)
        assert isinstance(error, NepnbError)
        assert error.errno == errno.ENOENT
        assert error.filename == "missing/plot.png"
        message = str(error)
        assert message.startswith("cannot read File('missing/plot.png'): no such file")
        assert str(tmp_path / "missing" / "plot.png") in message
        assert f"current directory, {tmp_path}" in message
        assert caught.value.__cause__ is None and caught.value.__suppress_context__

    def test_folder_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(FileIsDirectory, match="it is a folder") as caught:
            File(str(tmp_path)).read_bytes()
        assert isinstance(caught.value, IsADirectoryError)
        assert isinstance(caught.value, NepnbError)

    def test_has_no_content_attribute(self) -> None:
        file = File("a.bin")
        with pytest.raises(FileAttributeUnavailable, match=r"use read_bytes\(\)"):
            _ = file.content
        assert not hasattr(file, "content")  # it is an AttributeError

    def test_save_copies(self, tmp_path: Path) -> None:
        source = tmp_path / "source.bin"
        source.write_bytes(bytes(range(256)) * 10)
        File(source).save(tmp_path / "copy.bin")
        assert (tmp_path / "copy.bin").read_bytes() == source.read_bytes()

    @pytest.mark.parametrize("bad", [b"bytes-path", 3, ["a.txt"]])
    def test_bad_path_type(self, bad: Any) -> None:
        with pytest.raises(TypeError, match=r"a File path must be a str or pathlib\.Path"):
            File(bad)


class TestContent:
    def test_text_is_utf8_with_txt_extension(self) -> None:
        file = File.from_content("żółw")
        assert file.content == "żółw".encode()
        assert file.read_bytes() == "żółw".encode()
        assert file.extension == "txt"
        assert file.file_type is FileType.IN_MEMORY
        assert file.is_in_memory and not file.is_path_based

    def test_bytes_have_bin_extension(self) -> None:
        assert File.from_content(b"\x00\x01").extension == "bin"
        assert File.from_content(bytearray(b"ab")).content == b"ab"
        assert File(content=b"x", extension="dat").extension == "dat"

    def test_extension_is_keyword_only(self) -> None:
        with pytest.raises(TypeError):
            File.from_content(b"x", "png")  # type: ignore[misc]

    def test_has_no_path(self) -> None:
        with pytest.raises(FileAttributeUnavailable, match="holds content in memory, not a path"):
            _ = File.from_content(b"x").path

    def test_path_and_content_are_exclusive(self) -> None:
        with pytest.raises(InvalidFileArguments, match="not both") as caught:
            File("a.txt", content=b"x")
        assert isinstance(caught.value, ValueError)
        with pytest.raises(ValueError, match="needs a path or content"):
            File()

    @pytest.mark.parametrize("bad", [None, 12, {"a": 1}])
    def test_bad_content(self, bad: Any) -> None:
        with pytest.raises(TypeError, match="str or bytes"):
            File.from_content(bad)

    def test_bad_extension(self) -> None:
        with pytest.raises(TypeError, match="extension must be a str"):
            File.from_content(b"x", extension=5)  # type: ignore[arg-type]

    def test_save(self, tmp_path: Path) -> None:
        File.from_content(b"abc").save(tmp_path / "out")
        assert (tmp_path / "out").read_bytes() == b"abc"


class TestStream:
    def test_seek_then_read_once(self) -> None:
        stream = io.BytesIO(b"hello world")
        stream.read()
        file = File.from_stream(stream, seek=6)
        assert stream.tell() == 6  # seeks when made, like the Neptune client
        assert file.file_type is FileType.STREAM
        assert file.extension == "bin"
        assert file.read_bytes() == b"world"
        assert file.content == b"world"  # kept: the stream is not read twice
        assert file.read_bytes() == b"world"

    def test_default_seek_is_the_start(self) -> None:
        stream = io.BytesIO(b"abc")
        stream.read()
        assert File.from_stream(stream).read_bytes() == b"abc"

    def test_seek_none_keeps_the_position(self) -> None:
        stream = io.BytesIO(b"abcdef")
        stream.read(2)
        assert File.from_stream(stream, seek=None).read_bytes() == b"cdef"

    def test_text_stream(self) -> None:
        file = File.from_stream(io.StringIO("żółw"))
        assert file.extension == "txt"
        assert file.read_bytes() == "żółw".encode()
        assert File.from_stream(io.StringIO("x"), extension="csv").extension == "csv"

    def test_unseekable_stream_is_not_seeked(self) -> None:
        class Pipe:
            def __init__(self) -> None:
                self.data = b"piped"

            def seekable(self) -> bool:
                return False

            def seek(self, offset: int) -> None:
                raise AssertionError("seek() on an unseekable stream")

            def read(self) -> bytes:
                return self.data

        assert File.from_stream(Pipe(), seek=3).read_bytes() == b"piped"

    def test_file_on_disk(self, tmp_path: Path) -> None:
        (tmp_path / "a.bin").write_bytes(b"0123456789")
        with open(tmp_path / "a.bin", "rb") as stream:
            file = File.from_stream(stream, seek=4)
            assert file.read_bytes() == b"456789"
        file.save(tmp_path / "b.bin")
        assert (tmp_path / "b.bin").read_bytes() == b"456789"

    def test_not_a_stream(self) -> None:
        with pytest.raises(TypeError, match=r"needs a readable stream .* got bytes"):
            File.from_stream(b"abc")

    def test_bad_seek(self) -> None:
        with pytest.raises(TypeError, match="seek"):
            File.from_stream(io.BytesIO(b"x"), seek="0")  # type: ignore[arg-type]

    def test_has_no_path(self) -> None:
        with pytest.raises(AttributeError, match="holds a stream, not a path"):
            _ = File.from_stream(io.BytesIO()).path


class TestEqualityAndDisplay:
    def test_equal_by_origin_and_extension(self) -> None:
        assert File("a.png") == File.from_path("a.png")
        assert File("a.png") != File("a.png", extension="jpg")
        assert File.from_content(b"x") == File(content=b"x")
        assert File.from_content(b"x") != File.from_content("x")  # bin vs txt
        assert File("x") != File.from_content(b"x")
        assert len({File("a.png"), File("a.png"), File.from_content(b"a")}) == 2

    def test_a_stream_file_is_only_equal_to_itself(self) -> None:
        stream = io.BytesIO(b"x")
        file = File.from_stream(stream)
        assert file == file
        assert file != File.from_stream(stream)

    def test_repr_and_str(self) -> None:
        assert repr(File("a.png")) == "File(path='a.png', extension='png')"
        assert str(File("a.png")) == "File(path=a.png)"
        assert repr(File.from_content(b"12345")) == "File(content=<5 bytes>, extension='bin')"
        assert str(File.from_content(b"12345")) == "File(content=...)"
        stream = io.BytesIO(b"abc")
        file = File.from_stream(stream)
        assert repr(file) == f"File(stream={stream!r}, extension='bin')"
        file.read_bytes()
        assert repr(file) == "File(stream=<read: 3 bytes>, extension='bin')"


# --- as_image -------------------------------------------------------------------------------


class TestAsImageFromArrays:
    def test_uint8_grayscale_round_trips(self) -> None:
        array = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
        file = File.as_image(array)
        assert decode_png(file.content).mode == "L"
        assert pixels(file) == array.tolist()

    def test_rgb_and_rgba_round_trip(self) -> None:
        rng = np.random.default_rng(0)
        rgb = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
        rgba = rng.integers(0, 256, size=(4, 3, 4), dtype=np.uint8)
        assert decode_png(File.as_image(rgb).content).mode == "RGB"
        assert pixels(File.as_image(rgb)) == rgb.tolist()
        assert decode_png(File.as_image(rgba).content).mode == "RGBA"
        assert pixels(File.as_image(rgba)) == rgba.tolist()

    def test_single_channel_is_grayscale(self) -> None:
        array = np.array([[[10], [20]], [[30], [40]]], dtype=np.uint8)
        assert pixels(File.as_image(array)) == [[10, 20], [30, 40]]

    def test_floats_in_unit_range_are_scaled_and_truncated(self) -> None:
        array = np.array([[0.0, 0.5], [1.0, 0.25]])
        # 0.5 * 255 = 127.5 and 0.25 * 255 = 63.75 are truncated, as the Neptune client does.
        assert pixels(File.as_image(array)) == [[0, 127], [255, 63]]
        assert array.tolist() == [[0.0, 0.5], [1.0, 0.25]]  # the caller's array is untouched

    def test_float32_rgb_is_scaled(self) -> None:
        array = np.full((2, 2, 3), 0.2, dtype=np.float32)
        assert pixels(File.as_image(array)) == [[[51, 51, 51]] * 2] * 2

    def test_integers_in_byte_range_are_kept(self) -> None:
        array = np.array([[0, 2], [128, 255]], dtype=np.int64)
        assert pixels(File.as_image(array)) == [[0, 2], [128, 255]]

    def test_floats_above_one_are_kept_and_truncated(self) -> None:
        assert pixels(File.as_image(np.array([[1.5, 200.9]]))) == [[1, 200]]

    def test_zero_one_masks_become_black_and_white(self) -> None:
        assert pixels(File.as_image(np.array([[0, 1]], dtype=np.int8))) == [[0, 255]]
        assert pixels(File.as_image(np.array([[True, False]]))) == [[255, 0]]

    def test_without_autoscale(self) -> None:
        array = np.array([[0.0, 0.5], [1.0, 0.99]])
        assert pixels(File.as_image(array, autoscale=False)) == [[0, 0], [1, 0]]

    def test_out_of_range_warns_and_clips(self) -> None:
        array = np.array([[-20, 0], [100, 300]])
        with pytest.warns(ImageDataOutOfRange, match=r"Image data is in range \[-20, 300\]") as w:
            file = File.as_image(array)
        assert w[0].filename == __file__  # points at the caller, not at nepnb
        assert pixels(file) == [[0, 0], [100, 255]]

    def test_nan_warns(self) -> None:
        with pytest.warns(ImageDataOutOfRange, match="nan"):
            file = File.as_image(np.array([[np.nan, 0.5]]))
        assert pixels(file) == [[0, 0]]

    @pytest.mark.parametrize(
        "shape", [(4,), (2, 2, 2), (2, 2, 5), (1, 2, 2, 3)], ids=["1d", "2ch", "5ch", "4d"]
    )
    def test_bad_shapes(self, shape: tuple[int, ...]) -> None:
        with pytest.raises(InvalidImageData, match=re.escape(f"got shape {shape}")) as caught:
            File.as_image(np.zeros(shape))
        assert isinstance(caught.value, ValueError)
        assert isinstance(caught.value, InvalidValue)

    def test_empty_array(self) -> None:
        with pytest.raises(InvalidImageData, match="empty array"):
            File.as_image(np.zeros((0, 3)))

    def test_non_numeric_array(self) -> None:
        with pytest.raises(InvalidImageData, match="array of numbers, got dtype <U1"):
            File.as_image(np.array([["a", "b"]]))


class TestAsImageFromObjects:
    def test_pil_images_round_trip(self) -> None:
        rgb = Image.new("RGB", (3, 2), (10, 20, 30))
        rgb.putpixel((1, 1), (200, 100, 0))
        assert pixels(File.as_image(rgb)) == np.asarray(rgb).tolist()
        rgba = Image.new("RGBA", (2, 2), (1, 2, 3, 4))
        assert decode_png(File.as_image(rgba).content).mode == "RGBA"
        assert pixels(File.as_image(rgba)) == [[[1, 2, 3, 4]] * 2] * 2
        gray = Image.new("L", (2, 3), 77)
        assert pixels(File.as_image(gray)) == [[77, 77]] * 3

    @pytest.mark.parametrize("mode", ["CMYK", "F", "YCbCr"])
    def test_pil_modes_png_lacks_are_converted(self, mode: str) -> None:
        image = Image.new(mode, (2, 2))
        assert decode_png(File.as_image(image).content).mode == "RGB"

    def test_matplotlib_figure(self) -> None:
        fig = figure()
        file = File.as_image(fig)
        assert file.extension == "png"
        png = decode_png(file.content)
        assert png.width > 20 and png.height > 20
        colours = np.asarray(png.convert("RGB")).reshape(-1, 3)
        assert len(np.unique(colours, axis=0)) > 2  # drawn, not blank

    def test_matplotlib_axes_render_their_figure(self) -> None:
        fig = figure()
        from_axes = decode_png(File.as_image(fig.axes[0]).content)
        assert from_axes.size == decode_png(File.as_image(fig).content).size

    def test_seaborn_grid_renders_its_figure(self) -> None:
        grid = fake_class("seaborn.axisgrid", "FacetGrid")()
        grid.figure = figure()
        assert decode_png(File.as_image(grid).content).size == (
            decode_png(File.as_image(grid.figure).content).size
        )

    def test_torch_tensor(self) -> None:
        data = np.array([[0.0, 1.0]])

        class Tensor:
            __module__ = "torch"

            def detach(self) -> Tensor:
                return self

            def cpu(self) -> Tensor:
                return self

            def numpy(self) -> np.ndarray:
                return data

        assert pixels(File.as_image(Tensor())) == [[0, 255]]

    def test_tensorflow_tensor(self) -> None:
        eager = fake_class(
            "tensorflow.python.framework.ops",
            "EagerTensor",
            numpy=lambda self: np.array([[[0.0, 0.5, 1.0]]]),
        )
        assert pixels(File.as_image(eager())) == [[[0, 127, 255]]]

    @pytest.mark.parametrize(
        ("value", "name"),
        [(object(), "object"), ([[0, 1]], "list"), (b"\x89PNG", "bytes"), (None, "None")],
    )
    def test_unsupported_values(self, value: Any, name: str) -> None:
        with pytest.raises(UnsupportedFileValue) as caught:
            File.as_image(value)
        error = caught.value
        assert isinstance(error, TypeError) and isinstance(error, ValueError)
        assert isinstance(error, UnsupportedValue) and isinstance(error, NepnbError)
        assert name in str(error)
        assert "PIL image" in str(error) and "NumPy" in str(error)


# --- as_html --------------------------------------------------------------------------------


@pytest.fixture
def no_plotly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plotly unimportable, whether or not it is installed."""
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.tools", None)


class FakePlotlyFigure:
    """Looks like ``plotly.graph_objs.Figure`` to nepnb; records how it was written."""

    calls: list[Any]

    def __init__(self, source: Any = None) -> None:
        self.source = source
        self.calls = []

    def write_html(self, file: io.StringIO, include_plotlyjs: bool | str = True) -> None:
        self.calls.append(include_plotlyjs)
        file.write(f"<div class='plotly'>{include_plotlyjs}</div>")


FakePlotlyFigure.__module__ = "plotly.graph_objs._figure"
FakePlotlyFigure.__name__ = FakePlotlyFigure.__qualname__ = "Figure"


@pytest.fixture
def fake_plotly(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.SimpleNamespace]:
    """A stand-in ``plotly`` whose ``mpl_to_plotly`` behaves as ``state.convert`` says."""
    state = types.SimpleNamespace(convert=FakePlotlyFigure)
    tools = types.ModuleType("plotly.tools")
    tools.mpl_to_plotly = lambda fig: state.convert(fig)  # type: ignore[attr-defined]
    package = types.ModuleType("plotly")
    package.tools = tools  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "plotly", package)
    monkeypatch.setitem(sys.modules, "plotly.tools", tools)
    yield state


def embedded_png(html: bytes) -> Image.Image:
    match = re.fullmatch(rb"<img src='data:image/png;base64,([A-Za-z0-9+/=]+)'/>", html)
    assert match, html[:80]
    return decode_png(base64.b64decode(match.group(1)))


class TestAsHtml:
    def test_dataframe_is_a_table(self) -> None:
        frame = pd.DataFrame({"epoch": [1, 2], "accuracy": [0.875, 0.9375], "tag": ["a<b", "c"]})
        file = File.as_html(frame)
        assert file.extension == "html"
        html = file.content.decode()
        assert html.startswith('<table border="1" class="dataframe">')
        for text in ("<th>epoch</th>", "<th>accuracy</th>", "<td>0.8750</td>", "<td>a&lt;b</td>"):
            assert text in html
        assert html == frame.to_html()

    def test_matplotlib_without_plotly_is_an_embedded_image(self, no_plotly: None) -> None:
        with pytest.warns(ChartRenderedAsImage, match="Plotly is not installed") as w:
            file = File.as_html(figure())
        assert w[0].filename == __file__
        assert file.extension == "html"
        assert embedded_png(file.content).width > 20

    def test_matplotlib_with_plotly_is_interactive(self, fake_plotly: Any) -> None:
        fig = figure()
        file = File.as_html(fig, include_plotlyjs="cdn")
        assert file.content == b"<div class='plotly'>cdn</div>"

    def test_axes_are_converted_as_their_figure(self, fake_plotly: Any) -> None:
        seen: list[Any] = []
        fake_plotly.convert = lambda fig: seen.append(fig) or FakePlotlyFigure(fig)
        fig = figure()
        File.as_html(fig.axes[0])
        assert seen == [fig]

    def test_plotly_conversion_warning_falls_back_to_an_image(self, fake_plotly: Any) -> None:
        import warnings

        def convert(fig: Figure) -> FakePlotlyFigure:
            warnings.warn("Dang! That path collection is out of this world.", stacklevel=2)
            return FakePlotlyFigure(fig)

        fake_plotly.convert = convert
        with pytest.warns(ChartRenderedAsImage, match="Dang!"):
            file = File.as_html(figure())
        embedded_png(file.content)

    def test_plotly_conversion_error_falls_back_to_an_image(self, fake_plotly: Any) -> None:
        def convert(fig: Figure) -> FakePlotlyFigure:
            raise AttributeError("'PathCollection' object has no attribute 'get_offset_position'")

        fake_plotly.convert = convert
        with pytest.warns(ChartRenderedAsImage, match="get_offset_position"):
            file = File.as_html(figure())
        embedded_png(file.content)

    def test_pyplot_module_means_its_current_figure(self, no_plotly: None) -> None:
        plt = pytest.importorskip("matplotlib.pyplot")

        fig = plt.figure(figsize=(1, 1))
        try:
            with pytest.warns(ChartRenderedAsImage):
                file = File.as_html(plt)
            embedded_png(file.content)
        finally:
            plt.close(fig)

    def test_plotly_figure(self) -> None:
        fig = FakePlotlyFigure()
        assert File.as_html(fig).content == b"<div class='plotly'>True</div>"
        assert File.as_html(fig, include_plotlyjs="cdn", unknown=1).content.endswith(b"cdn</div>")
        assert fig.calls == [True, "cdn"]

    def test_altair_chart(self) -> None:
        def save(self: Any, fp: io.StringIO, format: str) -> None:
            fp.write(f"<html>altair as {format}</html>")

        chart = fake_class("altair.vegalite.v5.api", "Chart", save=save)()
        assert File.as_html(chart).content == b"<html>altair as html</html>"

    def test_bokeh_figure(self, monkeypatch: pytest.MonkeyPatch) -> None:
        embed = types.ModuleType("bokeh.embed")
        embed.file_html = lambda chart, resources: f"<html>{resources}</html>"  # type: ignore[attr-defined]
        resources = types.ModuleType("bokeh.resources")
        resources.CDN = "cdn-resources"  # type: ignore[attr-defined]
        for name, module in [
            ("bokeh", types.ModuleType("bokeh")),
            ("bokeh.embed", embed),
            ("bokeh.resources", resources),
        ]:
            monkeypatch.setitem(sys.modules, name, module)
        chart = fake_class("bokeh.plotting._figure", "figure")()
        assert File.as_html(chart).content == b"<html>cdn-resources</html>"

    @pytest.mark.parametrize("value", [object(), np.zeros((2, 2)), "<p>hi</p>"])
    def test_unsupported_values(self, value: Any) -> None:
        with pytest.raises(UnsupportedFileValue, match=r"File.as_html\(\) cannot convert") as c:
            File.as_html(value)
        assert isinstance(c.value, ValueError) and isinstance(c.value, TypeError)
        assert "Pandas DataFrames" in str(c.value)


# --- as_pickle ------------------------------------------------------------------------------


class TestAsPickle:
    def test_round_trip(self) -> None:
        value = {"weights": np.arange(6).reshape(2, 3), "name": "model", "layers": (3, 4)}
        file = File.as_pickle(value)
        assert file.extension == "pkl"
        loaded = pickle.loads(file.read_bytes())
        assert loaded.keys() == value.keys()
        assert np.array_equal(loaded["weights"], value["weights"])
        assert loaded["layers"] == (3, 4)

    def test_dataframe_round_trip(self) -> None:
        frame = pd.DataFrame({"a": [1, 2]})
        assert pickle.loads(File.as_pickle(frame).content).equals(frame)

    def test_unpicklable(self) -> None:
        with pytest.raises(UnpicklableValue, match=r"File.as_pickle\(\) cannot pickle function"):
            File.as_pickle(lambda: 1)
        with pytest.raises(pickle.PicklingError):
            File.as_pickle(lambda: 1)
        with pytest.raises(TypeError, match="cannot pickle"):
            File.as_pickle(threading.Lock())


# --- create_from and the predicates ---------------------------------------------------------


class TestCreateFrom:
    def test_files_paths_and_convertible_objects(self, tmp_path: Path) -> None:
        file = File.from_content(b"x")
        assert File.create_from(file) is file
        assert File.create_from("a.csv") == File("a.csv")
        assert File.create_from(tmp_path / "a.csv") == File(str(tmp_path / "a.csv"))
        image = Image.new("L", (2, 2), 9)
        assert pixels(File.create_from(image)) == [[9, 9], [9, 9]]
        assert File.create_from(figure()).extension == "png"
        assert File.create_from(FakePlotlyFigure(), include_plotlyjs="cdn").content.endswith(
            b"cdn</div>"
        )

    def test_arrays_and_frames_need_an_explicit_converter(self) -> None:
        with pytest.raises(TypeError, match=r"File.as_image\(array\)"):
            File.create_from(np.zeros((2, 2)))
        with pytest.raises(TypeError, match=r"File.as_html\(df\)"):
            File.create_from(pd.DataFrame())

    def test_other_values(self) -> None:
        with pytest.raises(UnsupportedFileValue, match="cannot make a File from int"):
            File.create_from(3)

    def test_predicates(self) -> None:
        image, fig, plotly = Image.new("L", (1, 1)), figure(), FakePlotlyFigure()
        array, frame = np.zeros((1, 1)), pd.DataFrame()
        grid = fake_class("seaborn.axisgrid", "PairGrid")()
        assert [File.is_convertable_to_image(v) for v in (image, fig, grid, plotly, array)] == [
            True,
            True,
            True,
            False,
            False,
        ]
        assert [File.is_convertable_to_html(v) for v in (plotly, grid, fig, frame)] == [
            True,
            True,
            False,
            False,
        ]
        convertible = (image, fig, plotly, array, frame, grid, File("a"))
        assert all(File.is_convertable(v) for v in convertible)
        assert not any(File.is_convertable(v) for v in ("a.png", 1, None, [1]))


def test_converters_work_on_a_path_relative_to_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("rel.txt").write_text("relative")
    assert File("rel.txt").read_bytes() == b"relative"
    os.remove("rel.txt")
    with pytest.raises(FileNotFoundError):
        File("rel.txt").read_bytes()
