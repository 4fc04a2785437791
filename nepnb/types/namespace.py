"""``Namespace``: a dict assigned to a path, stored as one field per key (nested dicts nest)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nepnb.exceptions import UnsupportedValue
from nepnb.types.value import Value

__all__ = ["Namespace"]


class Namespace(Value):
    """The mapping ``value``: each key becomes a path segment under the assigned path.

    Keys are checked by the client when it stores the fields, like any other path.
    """

    def __init__(self, value: Mapping[str, Any]) -> None:
        if not isinstance(value, Mapping):
            raise UnsupportedValue(
                f"Namespace takes a dict, got {type(value).__name__}; "
                "for an argparse.Namespace pass vars(args)."
            )
        self.value = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Namespace):
            return NotImplemented
        return dict(self.value) == dict(other.value)

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return f"Namespace({self.value})"

    def __repr__(self) -> str:
        return f"Namespace({self.value!r})"
