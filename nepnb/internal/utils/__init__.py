"""``neptune.internal.utils``: argument checks that Neptune's integrations call."""

from __future__ import annotations

from collections.abc import Iterable
from io import IOBase
from typing import Any

__all__ = ["verify_collection_type", "verify_type", "verify_value"]


def _type_name(expected: type | tuple[type, ...]) -> str:
    if isinstance(expected, tuple):
        return " or ".join(_type_name(item) for item in expected)
    return getattr(expected, "__name__", str(expected))


def verify_type(var_name: str, var: Any, expected_type: type | tuple[type, ...]) -> None:
    """TypeError naming ``var_name`` unless ``var`` is an instance of ``expected_type``."""
    if not isinstance(var, expected_type):
        raise TypeError(f"{var_name} must be a {_type_name(expected_type)} (was {type(var)})")
    if isinstance(var, IOBase) and not hasattr(var, "read"):
        raise TypeError(f"{var_name} is a stream, which does not implement read method")


def verify_value(var_name: str, var: Any, expected_values: Iterable[Any]) -> None:
    """ValueError naming ``var_name`` unless ``var`` is one of ``expected_values``."""
    if var not in expected_values:
        raise ValueError(f"{var_name} must be one of {expected_values} (was `{var}`)")


def verify_collection_type(var_name: str, var: Any, expected_type: type | tuple[type, ...]) -> None:
    """TypeError unless ``var`` is a collection whose every item is of ``expected_type``."""
    verify_type(var_name, var, (list, set, tuple))
    for item in var:
        verify_type(f"elements of collection '{var_name}'", item, expected_type)
