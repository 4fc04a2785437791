"""Base classes of the field values users build (``File``, ``Float``, ``FloatSeries`` …).

The client tells a value object from a plain Python value with ``isinstance(x, Value)``, and
picks the field type from the subclass: an :class:`Atom` is stored as one value, a
:class:`Series` is appended, a :class:`Set` is added to.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Atom", "Series", "Set", "Value"]


class Value:
    """Base class of every field value object."""


class Atom(Value):
    """A value stored whole in one field (``Float``, ``String``, ``File`` …)."""


class Set(Value):
    """A set of values added to a set field (``StringSet``)."""


class Series(Value):
    """Values appended to a series field, each with an optional step and a timestamp.

    Subclasses set ``_values``, ``_steps`` (``None`` for "next step") and ``_timestamps``,
    lists of the same length.
    """

    _values: list[Any]
    _steps: list[float | None]
    _timestamps: list[float]

    @property
    def values(self) -> list[Any]:
        return self._values

    @property
    def steps(self) -> list[float | None]:
        """One step per value; ``None`` lets the field pick the next one (last step + 1)."""
        return self._steps

    @property
    def timestamps(self) -> list[float]:
        """One Unix timestamp (seconds) per value."""
        return self._timestamps

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __str__(self) -> str:
        return f"{type(self).__name__}({self._values})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(values={self._values!r}, steps={self._steps!r})"
