"""``File``: content to upload to a File or FileSeries field, from a path, bytes or a stream.

A ``File`` holds one of three origins (its :attr:`File.file_type`):

- a path on disk, read only when the bytes are needed: ``File("model.pt")``, ``File.from_path``;
- bytes in memory: ``File.from_content``, ``File.as_image``, ``File.as_html``, ``File.as_pickle``;
- a stream, read the first time the bytes are needed: ``File.from_stream``.

Whatever the origin, :meth:`File.read_bytes` returns the bytes.

The converters accept objects of optional libraries (Matplotlib, Plotly, Altair, Bokeh, Seaborn,
PyTorch, TensorFlow) without importing them: an object is recognised by its class, and a library
is imported only to convert an object that comes from it. NumPy, Pandas and Pillow, which nepnb
depends on, are imported only when a conversion needs them too.
"""

from __future__ import annotations

import base64
import enum
import errno
import io
import os
import pickle
import shutil
import sys
import types
import warnings
from typing import Any

from nepnb.exceptions import InvalidValue, NepnbError, NepnbWarning, UnsupportedValue
from nepnb.types.value import Atom

__all__ = [
    "ChartRenderedAsImage",
    "File",
    "FileAttributeUnavailable",
    "FileIsDirectory",
    "FileNotFound",
    "FileType",
    "ImageDataOutOfRange",
    "InvalidFileArguments",
    "InvalidImageData",
    "UnpicklableValue",
    "UnsupportedFileValue",
]


# --- errors and warnings --------------------------------------------------------------------


class FileNotFound(NepnbError, FileNotFoundError):
    """A path-based ``File`` whose path does not exist when its content is read.

    Like the ``FileNotFoundError`` it also is, it has ``errno``, ``strerror`` and ``filename``.
    """

    def __init__(self, message: str, filename: str) -> None:
        super().__init__(errno.ENOENT, message, filename)

    def __str__(self) -> str:
        return str(self.strerror)


class FileIsDirectory(NepnbError, IsADirectoryError):
    """A path-based ``File`` whose path is a folder (also ``IsADirectoryError``)."""

    def __init__(self, message: str, filename: str) -> None:
        super().__init__(errno.EISDIR, message, filename)

    def __str__(self) -> str:
        return str(self.strerror)


class InvalidFileArguments(NepnbError, ValueError):
    """A ``File(...)`` call with both or neither of ``path`` and ``content``."""


class UnsupportedFileValue(UnsupportedValue, ValueError):
    """An object a ``File`` cannot be made from (also ``TypeError`` and ``ValueError``).

    The Neptune client raises ``TypeError`` for these in some places and ``ValueError`` in
    others; this error is both, so either ``except`` keeps working.
    """


class InvalidImageData(InvalidValue):
    """An array that cannot be an image: wrong shape, empty, or not numbers (also ValueError)."""


class UnpicklableValue(UnsupportedValue, pickle.PicklingError):
    """An object ``File.as_pickle`` cannot pickle (also ``TypeError`` and ``PicklingError``)."""


class FileAttributeUnavailable(NepnbError, AttributeError):
    """``path`` of a ``File`` that has no path, or ``content`` of a path-based one."""


class ImageDataOutOfRange(NepnbWarning):
    """Image data outside ``[0, 255]`` and ``[0.0, 1.0]``: its colours will be off."""


class ChartRenderedAsImage(NepnbWarning):
    """``File.as_html`` stored a Matplotlib figure as a static image, not an interactive chart."""


# --- File -----------------------------------------------------------------------------------


class FileType(enum.Enum):
    """Where a ``File``'s bytes come from."""

    LOCAL_FILE = "LOCAL_FILE"
    IN_MEMORY = "IN_MEMORY"
    STREAM = "STREAM"


class File(Atom):
    """Content for a File field: a path on disk, bytes in memory, or a stream.

    ``File("data/sample.csv")`` and ``File(path=...)`` refer to a file read when it is uploaded;
    ``File(content=b"...")`` holds bytes (a ``str`` is encoded as UTF-8). Give exactly one of the
    two. ``extension`` names the type of content (``"png"``, ``"html"`` …); by default it is the
    path's extension, ``"txt"`` for text content and ``"bin"`` for binary content.
    """

    _stream: Any

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        content: bytes | str | None = None,
        extension: str | None = None,
    ) -> None:
        if path is not None and content is not None:
            raise InvalidFileArguments(
                "File() takes a path or content, not both. Use File(path) for a file on disk, "
                "or File.from_content(content) for bytes or text."
            )
        if path is None and content is None:
            raise InvalidFileArguments(
                "File() needs a path or content: File('data/sample.csv'), "
                "or File.from_content(b'...', extension='bin')."
            )
        self._path: str | None = None
        self._content: bytes | None = None
        self._stream = None
        if path is not None:
            self._file_type = FileType.LOCAL_FILE
            self._path = _check_path(path)
            default_extension = _extension_of(self._path)
        else:
            self._file_type = FileType.IN_MEMORY
            self._content, default_extension = _content_bytes(content)
        self._extension = _check_extension(extension) or default_extension

    # --- factories ---

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], *, extension: str | None = None) -> File:
        """A ``File`` for the file at ``path``, read when needed; like ``File(path)``.

        ``extension`` overrides the path's own, e.g. for a file named without one.
        """
        return cls(path=path, extension=extension)

    @classmethod
    def from_content(cls, content: str | bytes, *, extension: str | None = None) -> File:
        """A ``File`` holding ``content``: bytes, or text encoded as UTF-8.

        ``extension`` defaults to ``"txt"`` for text and ``"bin"`` for bytes.
        """
        if content is None:
            raise UnsupportedFileValue(
                "File.from_content() needs str or bytes content, got None. "
                "For an empty file pass b''."
            )
        return cls(content=content, extension=extension)

    @classmethod
    def from_stream(
        cls, stream: Any, *, seek: int | None = 0, extension: str | None = None
    ) -> File:
        """A ``File`` whose bytes are read from ``stream`` the first time they are needed.

        The stream is moved to byte offset ``seek`` now (if it can seek; ``None`` leaves it
        where it is) and read to its end once; the bytes are then kept, so the ``File`` can be
        uploaded again. Text streams are encoded as UTF-8. ``extension`` defaults to ``"txt"``
        for text streams and ``"bin"`` for binary ones.
        """
        if not callable(getattr(stream, "read", None)):
            raise UnsupportedFileValue(
                f"File.from_stream() needs a readable stream (an object with .read(), such as "
                f"open(path, 'rb') or io.BytesIO), got {_type_name(stream)}. For bytes or text "
                "use File.from_content()."
            )
        if seek is not None:
            if not isinstance(seek, int) or isinstance(seek, bool):
                raise UnsupportedFileValue(
                    f"File.from_stream(seek=...) must be an int byte offset or None, "
                    f"got {_type_name(seek)}."
                )
            seekable = getattr(stream, "seekable", None)
            if callable(seekable) and seekable():
                stream.seek(seek)
        file = cls.__new__(cls)
        file._file_type = FileType.STREAM
        file._path = None
        file._content = None
        file._stream = stream
        default_extension = "txt" if isinstance(stream, io.TextIOBase) else "bin"
        file._extension = _check_extension(extension) or default_extension
        return file

    @classmethod
    def as_image(cls, image: Any, autoscale: bool = True) -> File:
        """A PNG ``File`` (extension ``"png"``) of an image-like object.

        Accepted: PIL images; NumPy arrays of shape (height, width) for grayscale or
        (height, width, 1|3|4) for grayscale, RGB or RGBA; Matplotlib figures and axes; Seaborn
        grids; PyTorch and TensorFlow tensors shaped like the arrays.

        With ``autoscale`` (the default), array data in ``[0.0, 1.0]`` is multiplied by 255 and
        data in ``[0, 255]`` is kept; data in neither range is kept too, with an
        :class:`ImageDataOutOfRange` warning. Values are then clipped to ``[0, 255]`` and
        truncated to 8-bit integers.
        """
        return cls.from_content(_image_to_png(image, autoscale), extension="png")

    @classmethod
    def as_html(cls, chart: Any, *, include_plotlyjs: bool | str = True, **kwargs: Any) -> File:
        """An HTML ``File`` (extension ``"html"``) of a chart or a table.

        Accepted: Pandas DataFrames (an HTML table), Plotly figures, Altair charts, Bokeh
        figures, and Matplotlib figures and Seaborn grids (converted to an interactive Plotly
        chart when Plotly is installed and can convert them, else embedded as a PNG image with a
        :class:`ChartRenderedAsImage` warning).

        ``include_plotlyjs`` is passed to Plotly's ``write_html``: ``True`` (the default) embeds
        plotly.js so the page works offline; ``"cdn"`` makes a much smaller file that loads it
        from the internet. Other keyword arguments are accepted and ignored, as the Neptune
        client does.
        """
        del kwargs  # accepted for compatibility with the Neptune client, which ignores them
        return cls.from_content(_chart_to_html(chart, include_plotlyjs), extension="html")

    @classmethod
    def as_pickle(cls, obj: Any) -> File:
        """A ``File`` (extension ``"pkl"``) holding ``obj`` pickled; ``pickle.loads`` reads it."""
        try:
            content = pickle.dumps(obj)
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            raise UnpicklableValue(
                f"File.as_pickle() cannot pickle {_type_name(obj)}: {error}. Pickle only "
                "objects made of picklable parts (module-level functions and classes, no open "
                "files, locks or lambdas), or serialise the object yourself and use "
                "File.from_content()."
            ) from error
        return cls.from_content(content, extension="pkl")

    @classmethod
    def create_from(cls, value: Any, **kwargs: Any) -> File:
        """A ``File`` from a path, a ``File``, or an object ``as_image``/``as_html`` converts.

        This is what ``run["x"].upload(value)`` and ``FileSeries`` do with their values: a path
        becomes a path-based ``File``; PIL images, Matplotlib figures and Seaborn grids become
        PNG images; Plotly, Altair and Bokeh charts become HTML. NumPy arrays and DataFrames are
        refused: say which you mean with ``File.as_image()`` or ``File.as_html()``.
        """
        if isinstance(value, File):
            return value
        if isinstance(value, (str, os.PathLike)):
            return cls(path=value)
        if cls.is_convertable_to_image(value):
            return cls.as_image(value)
        if cls.is_convertable_to_html(value):
            return cls.as_html(value, **kwargs)
        if _is_numpy_array(value):
            raise UnsupportedFileValue(
                f"a {_type_name(value)} cannot be uploaded as it is. "
                "Convert it with File.as_image(array) for an image, or File.as_pickle(array)."
            )
        if _is_pandas_dataframe(value):
            raise UnsupportedFileValue(
                f"a {_type_name(value)} cannot be uploaded as it is. "
                "Convert it with File.as_html(df) for a table, or File.as_pickle(df)."
            )
        raise UnsupportedFileValue(
            f"cannot make a File from {_type_name(value)}. Pass a path or a File, or convert the "
            "object with File.as_image(), File.as_html(), File.as_pickle() or "
            "File.from_content()."
        )

    @staticmethod
    def is_convertable(value: Any) -> bool:
        """True for a ``File`` and for objects ``as_image`` or ``as_html`` accept."""
        return (
            isinstance(value, File)
            or _is_pil_image(value)
            or _is_matplotlib_figure(value)
            or _is_plotly_figure(value)
            or _is_altair_chart(value)
            or _is_bokeh_figure(value)
            or _is_numpy_array(value)
            or _is_pandas_dataframe(value)
            or _is_seaborn_grid(value)
        )

    @staticmethod
    def is_convertable_to_image(value: Any) -> bool:
        """True for objects stored as an image without being asked: PIL, Matplotlib, Seaborn."""
        return _is_pil_image(value) or _is_matplotlib_figure(value) or _is_seaborn_grid(value)

    @staticmethod
    def is_convertable_to_html(value: Any) -> bool:
        """True for objects stored as HTML without being asked: Altair, Bokeh, Plotly, Seaborn."""
        return (
            _is_altair_chart(value)
            or _is_bokeh_figure(value)
            or _is_plotly_figure(value)
            or _is_seaborn_grid(value)
        )

    # --- what it holds ---

    @property
    def extension(self) -> str:
        """The type of content, without a dot (``"png"``); may be ``""`` for a path without one."""
        return self._extension

    @property
    def file_type(self) -> FileType:
        return self._file_type

    @property
    def is_path_based(self) -> bool:
        """True if the bytes are read from :attr:`path` when needed."""
        return self._file_type is FileType.LOCAL_FILE

    @property
    def is_in_memory(self) -> bool:
        """True if the bytes are held in memory (:attr:`content`)."""
        return self._file_type is FileType.IN_MEMORY

    @property
    def path(self) -> str:
        """The path of a path-based ``File`` (raises ``AttributeError`` for other origins)."""
        if self._path is None:
            raise FileAttributeUnavailable(
                f"this File holds {_ORIGIN[self._file_type]}, not a path; "
                "use read_bytes() to get its content."
            )
        return self._path

    @property
    def content(self) -> bytes:
        """The bytes of an in-memory or stream ``File`` (a stream is read the first time).

        Raises ``AttributeError`` for a path-based ``File``: use :meth:`read_bytes`.
        """
        if self._file_type is FileType.LOCAL_FILE:
            raise FileAttributeUnavailable(
                f"File({self._path!r}) is path-based and has no content in memory; "
                "use read_bytes() to read the file."
            )
        return self.read_bytes()

    def read_bytes(self) -> bytes:
        """The content, whatever the origin.

        A path is read now (each call reads it again); a stream is read to its end the first
        time and its bytes are kept.

        Raises:
            FileNotFound: the path does not exist (also ``FileNotFoundError``).
            FileIsDirectory: the path is a folder (also ``IsADirectoryError``).
        """
        if self._file_type is FileType.LOCAL_FILE:
            assert self._path is not None
            with _open_for_reading(self._path) as source:
                return source.read()
        if self._content is None:
            data = self._stream.read()
            self._content = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            self._stream = None
        return self._content

    def save(self, destination: str | os.PathLike[str]) -> None:
        """Write the content to the file ``destination`` (a path-based one is copied)."""
        if self._file_type is FileType.LOCAL_FILE:
            assert self._path is not None
            with _open_for_reading(self._path) as source, open(destination, "wb") as target:
                shutil.copyfileobj(source, target)
        else:
            with open(destination, "wb") as target:
                target.write(self.read_bytes())

    # --- comparison and display ---

    def _identity(self) -> tuple[Any, ...]:
        if self._file_type is FileType.LOCAL_FILE:
            return (self._file_type, self._path, self._extension)
        if self._file_type is FileType.IN_MEMORY:
            return (self._file_type, self._content, self._extension)
        return (self._file_type, id(self), self._extension)  # a stream is only equal to itself

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, File):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __str__(self) -> str:
        if self._file_type is FileType.LOCAL_FILE:
            return f"File(path={self._path})"
        if self._file_type is FileType.IN_MEMORY:
            return "File(content=...)"
        return f"File(stream={self._stream})"

    def __repr__(self) -> str:
        if self._file_type is FileType.LOCAL_FILE:
            return f"File(path={self._path!r}, extension={self._extension!r})"
        if self._file_type is FileType.IN_MEMORY:
            assert self._content is not None
            return f"File(content=<{len(self._content)} bytes>, extension={self._extension!r})"
        if self._stream is None:
            source = f"<read: {len(self._content or b'')} bytes>"
        else:
            source = repr(self._stream)
        return f"File(stream={source}, extension={self._extension!r})"


_ORIGIN = {
    FileType.LOCAL_FILE: "a path",
    FileType.IN_MEMORY: "content in memory",
    FileType.STREAM: "a stream",
}


# --- argument checks ------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    cls = type(value)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _check_path(path: Any) -> str:
    if isinstance(path, (str, os.PathLike)):
        text = os.fspath(path)
        if isinstance(text, str):
            return text
    raise UnsupportedFileValue(
        f"a File path must be a str or pathlib.Path, got {_type_name(path)}. "
        "For bytes or text content use File.from_content()."
    )


def _check_extension(extension: Any) -> str | None:
    if extension is None:
        return None
    if not isinstance(extension, str):
        raise UnsupportedFileValue(
            f"a File extension must be a str such as 'png', got {_type_name(extension)}."
        )
    return extension[1:] if extension.startswith(".") else extension


def _extension_of(path: str) -> str:
    return os.path.splitext(path)[1][1:]


def _content_bytes(content: Any) -> tuple[bytes, str]:
    """The bytes of ``content`` and the extension it implies (``txt`` or ``bin``)."""
    if isinstance(content, str):
        return content.encode("utf-8"), "txt"
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content), "bin"
    raise UnsupportedFileValue(
        f"File content must be str or bytes, got {_type_name(content)}. Convert it first: "
        "File.as_image() for images, File.as_html() for charts and tables, File.as_pickle() "
        "for any other Python object."
    )


def _open_for_reading(path: str) -> io.BufferedReader:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise FileNotFound(
            f"cannot read File({path!r}): no such file ({os.path.abspath(path)}). Check the "
            f"path; a relative path is read from the current directory, {os.getcwd()}.",
            path,
        ) from None
    except IsADirectoryError:
        raise FileIsDirectory(
            f"cannot read File({path!r}): it is a folder, not a file. Upload a folder's files "
            "with run[...].upload_files(path), or give the path of one file.",
            path,
        ) from None


# --- recognising objects without importing their libraries ----------------------------------
# An object of a library's class can only exist once the library is imported, so checking
# sys.modules first never imports anything.


def _loaded_class(module: str, name: str) -> type | None:
    loaded = sys.modules.get(module)
    cls = getattr(loaded, name, None) if loaded is not None else None
    return cls if isinstance(cls, type) else None


def _is_instance(value: Any, module: str, name: str) -> bool:
    cls = _loaded_class(module, name)
    return cls is not None and isinstance(value, cls)


def _class_module(value: Any) -> str:
    return getattr(type(value), "__module__", None) or ""


def _is_numpy_array(value: Any) -> bool:
    return _is_instance(value, "numpy", "ndarray")


def _is_pil_image(value: Any) -> bool:
    return _is_instance(value, "PIL.Image", "Image")


def _is_pandas_dataframe(value: Any) -> bool:
    return _is_instance(value, "pandas", "DataFrame")


def _is_matplotlib_figure(value: Any) -> bool:
    """A Matplotlib figure, subfigure or axes."""
    return (
        _is_instance(value, "matplotlib.figure", "FigureBase")
        or _is_instance(value, "matplotlib.figure", "Figure")
        or _is_instance(value, "matplotlib.axes", "Axes")
    )


def _is_pyplot_module(value: Any) -> bool:
    return isinstance(value, types.ModuleType) and value.__name__ == "matplotlib.pyplot"


def _is_seaborn_grid(value: Any) -> bool:
    return _class_module(value).startswith("seaborn.axisgrid") and type(value).__name__ in {
        "FacetGrid",
        "PairGrid",
        "JointGrid",
    }


def _is_plotly_figure(value: Any) -> bool:
    return _class_module(value).startswith("plotly.") and type(value).__name__ in {
        "Figure",
        "FigureWidget",
    }


def _is_altair_chart(value: Any) -> bool:
    return _class_module(value).startswith("altair.") and "Chart" in type(value).__name__


def _is_bokeh_figure(value: Any) -> bool:
    return _class_module(value).startswith("bokeh.") and type(value).__name__.lower() == "figure"


def _is_torch_tensor(value: Any) -> bool:
    return (
        _class_module(value).startswith("torch")
        and hasattr(value, "detach")
        and hasattr(value, "numpy")
    )


def _is_tensorflow_tensor(value: Any) -> bool:
    name = type(value).__name__
    return (
        _class_module(value).startswith("tensorflow")
        and ("Tensor" in name or "Variable" in name)
        and hasattr(value, "numpy")
    )


# --- images ---------------------------------------------------------------------------------

_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "P", "RGB", "RGBA"})
_ALPHA_MODES = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})


def _image_to_png(image: Any, autoscale: bool) -> bytes:
    if image is None:
        raise UnsupportedFileValue(
            "File.as_image() got None instead of an image. Pass a PIL image, a NumPy array, "
            "a Matplotlib figure, or a PyTorch or TensorFlow tensor."
        )
    if _is_numpy_array(image):
        return _array_to_png(image, autoscale)
    if _is_pil_image(image):
        return _pil_to_png(image)
    if _is_matplotlib_figure(image):
        return _figure_to_png(image)
    if _is_torch_tensor(image):
        tensor = image.detach()
        if hasattr(tensor, "cpu"):
            tensor = tensor.cpu()
        return _array_to_png(tensor.numpy(), autoscale)
    if _is_tensorflow_tensor(image):
        return _array_to_png(image.numpy(), autoscale)
    if _is_seaborn_grid(image):
        return _figure_to_png(image.figure)
    raise UnsupportedFileValue(
        f"File.as_image() cannot convert {_type_name(image)}. It accepts PIL images, NumPy "
        "arrays of shape (height, width) or (height, width, 1|3|4), Matplotlib figures "
        "and axes, Seaborn grids, and PyTorch or TensorFlow tensors. For other objects use "
        "File.as_html(), File.as_pickle() or File.from_content()."
    )


def _array_to_png(data: Any, autoscale: bool) -> bytes:
    import numpy as np
    from PIL import Image

    array = np.asarray(data)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise InvalidImageData(
            f"File.as_image() needs an array of shape (height, width) or (height, width, "
            f"channels) with 1, 3 or 4 channels; got shape {array.shape}. For channels-first "
            "data (channels, height, width) pass array.transpose(1, 2, 0)."
        )
    if array.size == 0:
        raise InvalidImageData(
            f"File.as_image() got an empty array (shape {array.shape}); an image needs pixels."
        )
    if array.dtype.kind not in "biuf":
        raise InvalidImageData(
            f"File.as_image() needs an array of numbers, got dtype {array.dtype}. "
            "Convert it with array.astype(float) or array.astype('uint8')."
        )
    if array.dtype.kind == "b":
        array = array.astype(np.uint8)
    if autoscale:
        low, high = array.min(), array.max()
        if low >= 0 and high <= 1:
            array = array * 255.0
        elif not (low >= 0 and high <= 255):
            _warn(
                f"Image data is in range [{low}, {high}]; File.as_image() shows colours right "
                "for integers in [0, 255] or floats in [0.0, 1.0], and clips other values to "
                "[0, 255]. Rescale the array first, e.g. (a - a.min()) / (a.max() - a.min()).",
                ImageDataOutOfRange,
            )
    if array.dtype.kind == "f":
        array = np.nan_to_num(array, nan=0.0, posinf=255.0, neginf=0.0)
    pixels = np.clip(array, 0, 255).astype(np.uint8)
    return _pil_to_png(Image.fromarray(pixels))


def _pil_to_png(image: Any) -> bytes:
    if image.mode not in _PNG_MODES:
        has_alpha = image.mode in _ALPHA_MODES or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    with io.BytesIO() as buffer:
        image.save(buffer, format="PNG")
        return buffer.getvalue()


def _root_figure(figure: Any) -> Any:
    """The figure that can be saved: axes and subfigures lead to their figure."""
    while not hasattr(figure, "savefig") and getattr(figure, "figure", None) is not None:
        figure = figure.figure
    return figure


def _figure_to_png(figure: Any) -> bytes:
    with io.BytesIO() as buffer:
        _root_figure(figure).savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


# --- HTML -----------------------------------------------------------------------------------


def _chart_to_html(chart: Any, include_plotlyjs: bool | str) -> str:
    if _is_pyplot_module(chart):
        chart = chart.gcf()
    if _is_matplotlib_figure(chart):
        return _matplotlib_to_html(_root_figure(chart), include_plotlyjs)
    if _is_pandas_dataframe(chart):
        return str(chart.to_html())
    if _is_plotly_figure(chart):
        return _plotly_to_html(chart, include_plotlyjs)
    if _is_altair_chart(chart):
        with io.StringIO() as buffer:
            chart.save(buffer, format="html")
            return buffer.getvalue()
    if _is_bokeh_figure(chart):
        from bokeh.embed import file_html
        from bokeh.resources import CDN

        return str(file_html(chart, CDN))
    if _is_seaborn_grid(chart):
        return _matplotlib_to_html(chart.figure, include_plotlyjs)
    raise UnsupportedFileValue(
        f"File.as_html() cannot convert {_type_name(chart)}. It accepts Pandas DataFrames, "
        "Plotly figures, Altair charts, Bokeh figures, Matplotlib figures and Seaborn grids. "
        "For images use File.as_image(); for other objects File.as_pickle() or "
        "File.from_content(html_text, extension='html')."
    )


def _plotly_to_html(figure: Any, include_plotlyjs: bool | str) -> str:
    with io.StringIO() as buffer:
        figure.write_html(buffer, include_plotlyjs=include_plotlyjs)
        return buffer.getvalue()


def _matplotlib_to_html(figure: Any, include_plotlyjs: bool | str) -> str:
    try:
        from plotly.tools import mpl_to_plotly
    except ImportError:
        _warn(
            "Plotly is not installed, so File.as_html() stored the Matplotlib figure as a "
            "static image. Install plotly for an interactive chart, or use File.as_image() "
            "to store a PNG.",
            ChartRenderedAsImage,
        )
        return _png_to_html(_figure_to_png(figure))
    try:
        # Plotly warns (UserWarning) when it cannot convert part of a figure faithfully, and
        # fails outright with Matplotlib versions it does not support: use an image then.
        with warnings.catch_warnings():
            warnings.filterwarnings("error", category=UserWarning)
            interactive = mpl_to_plotly(figure)
        return _plotly_to_html(interactive, include_plotlyjs)
    except Exception as error:
        _warn(
            f"Plotly could not convert the Matplotlib figure ({type(error).__name__}: {error}), "
            "so File.as_html() stored it as a static image. Use File.as_image() to store a PNG "
            "without this warning.",
            ChartRenderedAsImage,
        )
        return _png_to_html(_figure_to_png(figure))


def _png_to_html(png: bytes) -> str:
    return "<img src='data:image/png;base64," + base64.b64encode(png).decode("ascii") + "'/>"


# --- warnings -------------------------------------------------------------------------------


def _warn(message: str, category: type[Warning]) -> None:
    """Warn, attributing the warning to the first caller outside nepnb."""
    level = 1
    frame = sys._getframe(0)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != "nepnb" and not module.startswith("nepnb."):
            break
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level)
