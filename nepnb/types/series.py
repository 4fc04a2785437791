"""Series values: ``FloatSeries``, ``StringSeries``, ``FileSeries``.

``run["loss"].extend(FloatSeries([0.9, 0.7], steps=[1, 2]))`` appends several values at once.
Each value has a step (``None``: the field's last step + 1) and a Unix timestamp (default: when
the series was built). NaN and ±Inf are kept in a ``FloatSeries`` (nepnb stores them).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from nepnb.exceptions import InvalidValue, UnsupportedValue
from nepnb.types.file import File
from nepnb.types.stringify import StringifyValue, extract_if_stringify_value
from nepnb.types.value import Series

__all__ = ["FileSeries", "FloatSeries", "Series", "StringSeries"]


def _as_list(kind: str, values: Any) -> list[Any]:
    values = extract_if_stringify_value(values)
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise UnsupportedValue(
            f"{kind} values must be a collection (list, tuple, NumPy array …), "
            f"got {type(values).__name__}. Wrap a single value in a list: {kind}([value])."
        )
    return list(values)


def _steps_and_timestamps(
    kind: str,
    count: int,
    steps: Sequence[float | None] | None,
    timestamps: Sequence[float] | None,
) -> tuple[list[float | None], list[float]]:
    if steps is None:
        step_list: list[float | None] = [None] * count
    else:
        step_list = [None if step is None else float(step) for step in steps]
        if len(step_list) != count:
            raise InvalidValue(
                f"{kind} got {count} values but {len(step_list)} steps; give one step per value."
            )
    if timestamps is None:
        timestamp_list = [time.time()] * count
    else:
        timestamp_list = [float(timestamp) for timestamp in timestamps]
        if len(timestamp_list) != count:
            raise InvalidValue(
                f"{kind} got {count} values but {len(timestamp_list)} timestamps; "
                "give one timestamp per value."
            )
    return step_list, timestamp_list


class FloatSeries(Series):
    """Numbers to append to a FloatSeries field; ``min``, ``max`` and ``unit`` describe them."""

    def __init__(
        self,
        values: Iterable[float] | StringifyValue,
        min: float | None = None,
        max: float | None = None,
        unit: str | None = None,
        timestamps: Sequence[float] | None = None,
        steps: Sequence[float | None] | None = None,
    ) -> None:
        items = _as_list("FloatSeries", values)
        try:
            self._values = [float(extract_if_stringify_value(item)) for item in items]
        except (TypeError, ValueError) as error:
            raise UnsupportedValue(
                f"FloatSeries values must be numbers: {error}. "
                "Log text with StringSeries, or convert the values with float()."
            ) from error
        self._min = min
        self._max = max
        self._unit = unit
        self._steps, self._timestamps = _steps_and_timestamps(
            "FloatSeries", len(self._values), steps, timestamps
        )

    @property
    def min(self) -> float | None:
        return self._min

    @property
    def max(self) -> float | None:
        return self._max

    @property
    def unit(self) -> str | None:
        return self._unit


class StringSeries(Series):
    """Strings to append to a StringSeries field.

    The values must be strings; a ``StringifyValue`` (one per value, or one around the whole
    collection) is turned into ``str`` of its value.
    """

    def __init__(
        self,
        values: Iterable[str] | StringifyValue,
        timestamps: Sequence[float] | None = None,
        steps: Sequence[float | None] | None = None,
    ) -> None:
        if isinstance(values, StringifyValue):
            self._values = [str(item) for item in _as_list("StringSeries", values)]
        else:
            self._values = [_string_item(item) for item in _as_list("StringSeries", values)]
        self._steps, self._timestamps = _steps_and_timestamps(
            "StringSeries", len(self._values), steps, timestamps
        )


def _string_item(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, StringifyValue):
        return str(item.value)
    raise UnsupportedValue(
        f"StringSeries values must be str, got {type(item).__name__}. "
        "Convert them with str(), or log numbers with FloatSeries."
    )


class FileSeries(Series):
    """Files (usually images) to append to a FileSeries field.

    Each value goes through :meth:`File.create_from`: a ``File``, a path, a PIL image, a
    Matplotlib figure … (NumPy arrays need ``File.as_image(array)``). ``name`` and
    ``description`` describe the whole series.
    """

    def __init__(
        self,
        values: Iterable[Any] | StringifyValue,
        timestamps: Sequence[float] | None = None,
        steps: Sequence[float | None] | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        self._values: list[File] = [
            File.create_from(item) for item in _as_list("FileSeries", values)
        ]
        self.name = name
        self.description = description
        self._steps, self._timestamps = _steps_and_timestamps(
            "FileSeries", len(self._values), steps, timestamps
        )

    @property
    def values(self) -> list[File]:
        return self._values
