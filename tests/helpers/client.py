"""Reading back what the client tests logged."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests import helpers

#: init_run arguments that turn automatic logging off (and keep git out of the tests); unlike
#: ``tests.helpers.QUIET`` they leave the source files captured, as a user's run has them.
QUIET: dict[str, Any] = {k: v for k, v in helpers.QUIET.items() if k != "source_files"}

#: Namespaces written by nepnb itself; the rest of a run's fields are the user's.
OWN_NAMESPACES = ("sys", "monitoring", "source_code")


def user_fields(obj: Any) -> dict[str, Any]:
    """The structure of ``obj`` without the namespaces nepnb writes itself."""
    return {k: v for k, v in obj.get_structure().items() if k not in OWN_NAMESPACES}


def structure_types(obj: Any, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """``{path: type name}`` of every field, read from ``obj.print_structure()``."""
    capsys.readouterr()
    obj.print_structure()
    out = capsys.readouterr().out
    types: dict[str, str] = {}
    stack: list[str] = []
    for line in out.splitlines():
        if not line.strip():
            continue
        indent = (len(line) - len(line.lstrip(" "))) // 4
        name, _, kind = line.strip().partition(":")
        name = name.strip("'")
        del stack[indent:]
        kind = kind.strip()
        if kind:
            types["/".join([*stack, name])] = kind
        else:
            stack.append(name)
    return types


def series(obj: Any, path: str) -> tuple[list[float], list[Any]]:
    """(steps, values) of the series at ``path``."""
    frame = obj[path].fetch_values(include_timestamp=False)
    return [float(s) for s in frame["step"]], list(frame["value"])


def same_float(a: float, b: float) -> bool:
    """Equal floats, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b
