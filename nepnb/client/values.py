"""Turning Python values into field values: which type a value gets, and its stored form."""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

import numpy as np

from nepnb.exceptions import InvalidValue, UnsupportedValue, ValueTruncated
from nepnb.store.field_types import FieldType
from nepnb.types.stringify import StringifyValue
from nepnb.warn import warn_user

#: The longest String value; longer ones are cut with a warning.
MAX_STRING_LENGTH = 16_384
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

#: Number types a float series takes as they are, on the append hot path: ``float()`` (or
#: ``array('d').append``, which converts the same way) gives the value the Neptune client
#: stores for them, a float64 (an int beyond 2**53 rounds to the nearest one, as there).
#: Booleans and ``np.longdouble`` are not among them: they take the checked path.
FLOAT_TYPES = frozenset(
    {
        float,
        int,
        np.float16,
        np.float32,
        np.float64,
        np.int8,
        np.int16,
        np.int32,
        np.int64,
        np.uint8,
        np.uint16,
        np.uint32,
        np.uint64,
    }
)


#: Element types of an array or pandas Series that a float series takes whole: ``float()`` of
#: each element is what the checked path (and the Neptune client) stores; booleans give 1.0/0.0.
BATCH_DTYPES = frozenset(t for t in FLOAT_TYPES if issubclass(t, np.generic)) | {np.bool_}


def float_batch(values: Any) -> np.ndarray | None:
    """``values`` as one C-contiguous float64 array, converted in C, when they are all numbers
    a float series takes as they are (a 1-d numpy array or pandas Series of numbers or
    booleans, or a non-empty list or tuple whose items numpy reads as such numbers); None for
    anything else (strings, objects, ints past int64, nested or empty collections), which the
    checked path takes item by item."""
    kind = type(values)
    if kind is np.ndarray:
        array = values
    elif kind is list or kind is tuple:
        if not values or type(values[0]) not in FLOAT_TYPES:
            return None
        try:
            array = np.array(values)
        except (ValueError, TypeError, OverflowError):  # ragged, or refused by an item
            return None
    elif kind.__name__ == "Series" and kind.__module__.startswith("pandas"):
        array = values.to_numpy()  # object dtype for nullable ints with NA: checked path
    else:
        return None
    if array.ndim != 1 or not len(array) or array.dtype.type not in BATCH_DTYPES:
        return None
    return np.ascontiguousarray(array, dtype=np.float64)


def finite_batch(given: Any, count: int) -> np.ndarray | None:
    """Steps or timestamps of ``count`` points as a float64 array when they are a list, tuple,
    range, numpy array or pandas Series of ``count`` finite numbers (not booleans); None for
    anything else, which the checked path takes (and explains, if it is wrong)."""
    kind = type(given)
    if kind is np.ndarray:
        array = given
    elif kind is list or kind is tuple or kind is range:
        if len(given) != count:
            return None
        try:
            array = np.array(given)
        except (ValueError, TypeError, OverflowError):
            return None
    elif kind.__name__ == "Series" and kind.__module__.startswith("pandas"):
        array = given.to_numpy()
    else:
        return None
    if array.ndim != 1 or len(array) != count or array.dtype.type not in BATCH_DTYPES:
        return None
    if array.dtype.type is np.bool_:
        return None
    array = np.ascontiguousarray(array, dtype=np.float64)
    return array if np.isfinite(array).all() else None


def is_number_0d(value: Any) -> bool:
    """A 0-d numpy array of one of ``FLOAT_TYPES`` (``np.array(0.5)``, ``arr.sum(keepdims=…)``)."""
    return type(value) is np.ndarray and value.ndim == 0 and value.dtype.type in FLOAT_TYPES


def unwrap_scalar(value: Any) -> Any:
    """A plain Python scalar for numpy scalars, 0-d arrays and tensors with one element."""
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "item") and getattr(value, "shape", None) in ((), (1,), [1]):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    return value


def is_namespace_value(value: Any) -> bool:
    """Values assigned as a namespace of fields: dicts and argparse namespaces."""
    return isinstance(value, (Mapping, argparse.Namespace))


def namespace_items(value: Any) -> list[tuple[str, Any]]:
    mapping = vars(value) if isinstance(value, argparse.Namespace) else value
    return [(str(key), item) for key, item in mapping.items()]


def truncate(path: str, text: str) -> str:
    if len(text) > MAX_STRING_LENGTH:
        warn_user(
            f"'{path}': the string has {len(text)} characters; only the first "
            f"{MAX_STRING_LENGTH} are stored. Upload long text as a file: "
            "run[path].upload(File.from_content(text))",
            ValueTruncated,
        )
        return text[:MAX_STRING_LENGTH]
    return text


def atom_of(path: str, value: Any) -> tuple[FieldType, Any]:
    """The field type and stored form of a single (non-file, non-series) value.

    UnsupportedValue for anything else, naming the path and how to store it instead.
    """
    scalar = unwrap_scalar(value)
    if scalar is not value and isinstance(scalar, (bool, int)):
        # np.int64(3), np.bool_(True), an integer tensor: not Python ints or bools to the
        # Neptune client, but float-like, so it stores a Float (3.0, 1.0).
        scalar = float(scalar)
    value = scalar
    if isinstance(value, bool):
        return FieldType.BOOL, value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise InvalidValue(
                f"'{path}': {value} does not fit in a 64-bit integer; store it as a float "
                f"(float(x)) or a string (str(x))"
            )
        return FieldType.INT, value
    if isinstance(value, float):
        return FieldType.FLOAT, value
    if isinstance(value, str):
        return FieldType.STRING, truncate(path, value)
    if isinstance(value, datetime):
        return FieldType.DATETIME, datetime_to_epoch(value)
    if isinstance(value, date):
        return FieldType.DATETIME, datetime_to_epoch(datetime(value.year, value.month, value.day))
    raise UnsupportedValue(unsupported_message(path, value))


def stringified_value(marked: StringifyValue) -> Any:
    """What ``run[path] = stringify_unsupported(x)`` stores, decided as the Neptune client's
    ``cast_value`` does: ``x`` itself when a field fits it as it is (a value object such as
    ``File``, ``FileSet`` or a series, a handler, a namespace, a figure or an image, a bool,
    number, string or datetime), ``float(x)`` for other float-like values (NumPy scalars,
    ``Decimal``), else ``str(x)``."""
    from nepnb.client.handler import Handler
    from nepnb.types.file import File
    from nepnb.types.value import Value

    inner = marked.value
    if (
        isinstance(inner, (Value, Handler, bool, int, float, str, datetime))
        or is_namespace_value(inner)
        or File.is_convertable_to_image(inner)
        or File.is_convertable_to_html(inner)
    ):
        return inner
    return _float_or_text(inner)


def stringified_point(marked: StringifyValue, existing: FieldType | None) -> Any:
    """What ``run[path].append(stringify_unsupported(x))`` appends, decided as the Neptune
    client does: into an existing StringSeries, ``str(x)``; else ``x`` itself for a ``File``,
    a figure, an image or a string (FileSeries, StringSeries), ``float(x)`` for a float-like
    value (FloatSeries), and ``str(x)`` for anything else (StringSeries)."""
    from nepnb.types.file import File

    inner = marked.value
    if existing is FieldType.STRING_SERIES:
        return str(inner)
    if (
        isinstance(inner, (File, str))
        or File.is_convertable_to_image(inner)
        or File.is_convertable_to_html(inner)
    ):
        return inner
    return _float_or_text(inner)


def _float_or_text(value: Any) -> float | str:
    """``float(value)`` for a float-like value (Neptune's ``is_float_like``), else its text."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def unsupported_message(path: str, value: Any) -> str:
    kind = type(value).__name__
    if value is None:
        what = "None"
    elif isinstance(value, (list, tuple, set, frozenset)):
        what = f"a {kind}"
        return (
            f"'{path}': cannot store {what}. To log a series use run[path].extend(values) "
            f"(or append each item); for tags use run[path].add(values); to keep it as text "
            f"use stringify_unsupported(value) or str(value)."
        )
    else:
        what = f"a value of type {kind}"
    return (
        f"'{path}': cannot store {what}. Supported: int, float, bool, str, datetime, File, "
        "dicts of those. Convert it first, e.g. with nepnb.utils.stringify_unsupported(value) "
        "or str(value)."
    )


def datetime_to_epoch(value: datetime) -> float:
    """Seconds since the epoch; a naive datetime is local time, as in Python."""
    return value.timestamp()


def epoch_to_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def local_datetimes(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds as naive local-time ``datetime64[ns]`` (what Neptune's fetch_values gives).

    The UTC offset is looked up once per hour the series spans, so a series across a
    daylight-saving change reads back right on both sides.
    """
    if len(seconds) == 0:
        return np.empty(0, dtype="datetime64[ns]")
    hours = np.floor(seconds / 3600.0)
    first = float(hours.min())
    span = int(float(hours.max()) - first) + 1
    if span <= 200_000:
        offsets = np.array(
            [time.localtime((first + h) * 3600).tm_gmtoff for h in range(span)], dtype=np.float64
        )
        local = seconds + offsets[(hours - first).astype(np.int64)]
    else:  # a series spanning decades: one lookup per distinct hour
        unique, where = np.unique(hours, return_inverse=True)
        offsets = np.array([time.localtime(h * 3600).tm_gmtoff for h in unique], dtype=np.float64)
        local = seconds + offsets[where]
    return (local * 1e9).astype(np.int64).astype("datetime64[ns]")


def timestamp_of(value: Any, path: str = "") -> float:
    """A point's timestamp from None (now), a number (epoch seconds) or a datetime."""
    if value is None:
        return time.time()
    if isinstance(value, datetime):
        return value.timestamp()
    value = unwrap_scalar(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    where = f"'{path}': " if path else ""
    raise InvalidValue(
        f"{where}timestamp {value!r} is not a number of seconds since the epoch or a datetime; "
        "pass timestamp=time.time() or a datetime"
    )


def step_of(path: str, step: Any) -> float:
    step = unwrap_scalar(step)
    if isinstance(step, bool) or not isinstance(step, (int, float)):
        raise InvalidValue(f"'{path}': step {step!r} is not a number; pass step=<int or float>")
    try:
        number = float(step)
    except OverflowError:
        raise InvalidValue(too_large(path, step)) from None
    if not math.isfinite(number):
        raise InvalidValue(f"'{path}': step {step!r} is not finite; steps are numbers like 0, 1, 2")
    return number


def too_large(path: str, value: Any) -> str:
    return f"'{path}': {str(value)[:30]}… is too large for a float series (over 1.8e308)"
