"""Set values: ``StringSet`` (the type of ``sys/tags``)."""

from __future__ import annotations

from collections.abc import Iterable

from nepnb.exceptions import UnsupportedValue
from nepnb.types.value import Set

__all__ = ["Set", "StringSet"]


class StringSet(Set):
    """Strings to add to a StringSet field. A single string is one value, not its letters."""

    def __init__(self, values: Iterable[str]) -> None:
        items = [values] if isinstance(values, str) else list(values)
        for item in items:
            if not isinstance(item, str):
                raise UnsupportedValue(
                    f"StringSet values must be str, got {type(item).__name__}. "
                    "Convert them with str()."
                )
        self.values: set[str] = set(items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StringSet):
            return NotImplemented
        return self.values == other.values

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return f"StringSet({self.values})"

    def __repr__(self) -> str:
        return f"StringSet({sorted(self.values)!r})"
