"""Single-value field types: ``Boolean``, ``Integer``, ``Float``, ``String``, ``Datetime``,
``Artifact``, ``GitRef`` (and ``File``, from :mod:`nepnb.types.file`).

Plain Python values (``run["lr"] = 0.1``) need none of these; they let code say the field type
explicitly, as with the Neptune client. Each is a small dataclass compared by value; a
:class:`~nepnb.types.stringify.StringifyValue` is unwrapped first.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, NewType

from nepnb.exceptions import InvalidValue, UnsupportedValue
from nepnb.types.file import File
from nepnb.types.stringify import StringifyValue, extract_if_stringify_value
from nepnb.types.value import Atom

__all__ = [
    "Artifact",
    "Atom",
    "Boolean",
    "Datetime",
    "File",
    "Float",
    "GitRef",
    "GitRefDisabled",
    "Integer",
    "String",
]


@dataclass(eq=True)
class Boolean(Atom):
    value: bool

    def __init__(self, value: Any) -> None:
        self.value = bool(extract_if_stringify_value(value))

    def __str__(self) -> str:
        return f"Boolean({self.value})"

    def __bool__(self) -> bool:
        return self.value


@dataclass(eq=True)
class Integer(Atom):
    value: int

    def __init__(self, value: Any) -> None:
        self.value = int(extract_if_stringify_value(value))

    def __str__(self) -> str:
        return f"Integer({self.value})"

    def __int__(self) -> int:
        return self.value


@dataclass(eq=True)
class Float(Atom):
    value: float

    def __init__(self, value: Any) -> None:
        self.value = float(extract_if_stringify_value(value))

    def __str__(self) -> str:
        return f"Float({self.value})"

    def __float__(self) -> float:
        return self.value


@dataclass(eq=True)
class String(Atom):
    """A string (``None`` is kept as ``None``); a ``StringifyValue`` becomes ``str`` of its value."""

    value: str | None

    def __init__(self, value: str | StringifyValue | None) -> None:
        if isinstance(value, StringifyValue):
            self.value = str(value.value)
        elif value is None or isinstance(value, str):
            self.value = value
        else:
            raise UnsupportedValue(
                f"String() takes a str, got {type(value).__name__}. "
                "Convert it with str(value), or use stringify_unsupported(value)."
            )

    def __str__(self) -> str:
        return f"String({self.value})"


@dataclass(eq=True)
class Datetime(Atom):
    """A point in time, kept to the millisecond (microseconds are truncated)."""

    value: datetime

    def __init__(self, value: datetime | StringifyValue) -> None:
        value = extract_if_stringify_value(value)
        if not isinstance(value, datetime):
            raise UnsupportedValue(
                f"Datetime() takes a datetime.datetime, got {type(value).__name__}. "
                "For a date use datetime.combine(date, time())."
            )
        self.value = value.replace(microsecond=value.microsecond // 1000 * 1000)

    def __str__(self) -> str:
        return f"Datetime({self.value})"


_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(eq=True)
class Artifact(Atom):
    """Files tracked by the SHA-256 ``hash`` of their metadata; ``None`` for an empty artifact."""

    hash: str | None

    def __init__(self, value: str | StringifyValue | None = None) -> None:
        value = extract_if_stringify_value(value)
        if value is not None and not (isinstance(value, str) and _SHA256.fullmatch(value)):
            raise InvalidValue(
                f"Artifact() takes a SHA-256 hex digest (64 hex digits), got {value!r}. "
                "Track files with run[...].track_files(path) instead of building an Artifact."
            )
        self.hash = value

    def __str__(self) -> str:
        return f"Artifact({self.hash})"


GitRefDisabled = NewType("GitRefDisabled", str)


def _executed_script_path() -> Path:
    """The running script's path, or ``Path()`` (the current directory) in a notebook or REPL."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file and Path(main_file).is_file():
        return Path(main_file).resolve()
    return Path()


@dataclass(eq=True)
class GitRef(Atom):
    """Git information of the repository holding ``repository_path``.

    By default the repository of the script being run, or of the current directory in a
    notebook. ``GitRef.DISABLED`` (given as ``git_ref`` when opening a run) turns Git tracking
    off.
    """

    DISABLED: ClassVar[GitRefDisabled] = GitRefDisabled("DO_NOT_TRACK_GIT_REPOSITORY")

    repository_path: str | Path | None = field(default_factory=_executed_script_path)

    def __str__(self) -> str:
        return f"GitRef({self.repository_path})"

    def resolve_path(self) -> Path | None:
        """The absolute ``repository_path``, or ``None`` if there is none."""
        if self.repository_path is None:
            return None
        return Path(self.repository_path).resolve()
