"""``stringify_unsupported``: log dicts and collections whose values nepnb cannot store as such.

``run["params"] = stringify_unsupported(params)`` stores every value of ``params`` (nested
dicts become namespaces) and turns the ones no field type fits (tuples, ``None``, objects …)
into strings. The function only marks values, wrapping each in a :class:`StringifyValue`; the
client decides at assignment what each one becomes: a number stays a number, a string a
string, anything else ``str(value)``.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from typing import Any

__all__ = [
    "MAX_32_BIT_INT",
    "MIN_32_BIT_INT",
    "StringifyValue",
    "extract_if_stringify_value",
    "stringify_unsupported",
]

MAX_32_BIT_INT = 2**31 - 1
MIN_32_BIT_INT = -(2**31)


class StringifyValue:
    """A value marked by :func:`stringify_unsupported`: stored as a string unless a field fits.

    As in the Neptune client, an ``int`` outside the 32-bit range becomes a ``float`` (or its
    decimal string, if too large for a float), and a NaN or infinite ``float`` becomes its
    string (``"nan"``, ``"inf"``, ``"-inf"``); every other value is kept as it is in
    :attr:`value`.
    """

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        if isinstance(value, int) and not MIN_32_BIT_INT <= value <= MAX_32_BIT_INT:
            try:
                value = float(value)
            except OverflowError:
                value = str(value)
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            value = str(value)
        self._value = value

    @property
    def value(self) -> Any:
        """The marked value (after the conversions above)."""
        return self._value

    def __str__(self) -> str:
        return str(self._value)

    def __repr__(self) -> str:  # the Neptune client shows the bare value
        return repr(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StringifyValue):
            return NotImplemented
        return bool(type(self._value) is type(other._value) and self._value == other._value)

    def __hash__(self) -> int:
        try:
            return hash((type(self._value), self._value))
        except TypeError:  # an unhashable value (list, dict …): equal ones share this hash
            return hash(type(self._value))


def stringify_unsupported(value: Any, expand: bool = False) -> StringifyValue | dict[str, Any]:
    """Mark the values of ``value`` to be stored as strings where no field type fits them.

    A mutable mapping (``dict`` …) becomes a ``dict`` with ``str`` keys whose values are
    converted the same way, recursively. With ``expand=True`` a ``list``, ``tuple`` or ``set``
    becomes a ``dict`` keyed by position (``"0"``, ``"1"`` …), recursively, so each item gets
    its own field; without it, a collection is one value, stored as its string. Anything else
    becomes a :class:`StringifyValue` (an existing one is returned unchanged).

    >>> stringify_unsupported({"tuple": ("hi", 1), "metric": 0.87})
    {'tuple': ('hi', 1), 'metric': 0.87}
    >>> stringify_unsupported({"tuple": ("hi", 1)}, expand=True)
    {'tuple': {'0': 'hi', '1': 1}}
    """
    if isinstance(value, StringifyValue):
        return value
    if isinstance(value, MutableMapping):
        return {str(key): stringify_unsupported(item, expand) for key, item in value.items()}
    if expand and isinstance(value, (list, tuple, set)):
        return {str(index): stringify_unsupported(item, True) for index, item in enumerate(value)}
    return StringifyValue(value)


def extract_if_stringify_value(value: Any) -> Any:
    """The value inside a :class:`StringifyValue`; any other value unchanged."""
    return value.value if isinstance(value, StringifyValue) else value
