"""``FileSet``: files matched by glob patterns, uploaded together to one FileSet field."""

from __future__ import annotations

import os
from collections.abc import Iterable

from nepnb.exceptions import UnsupportedValue
from nepnb.types.value import Value

__all__ = ["FileSet"]


class FileSet(Value):
    """Glob patterns (``"data/*.csv"``, ``"src/**/*.py"``) of the files to upload.

    One pattern or several; a ``pathlib.Path`` counts as a pattern too.
    """

    def __init__(self, file_globs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]):
        if isinstance(file_globs, (str, os.PathLike)):
            patterns: Iterable[object] = [file_globs]
        elif isinstance(file_globs, Iterable):
            patterns = file_globs
        else:
            patterns = [file_globs]  # refused below, with the message
        self.file_globs: list[str] = []
        for pattern in patterns:
            text = os.fspath(pattern) if isinstance(pattern, (str, os.PathLike)) else None
            if not isinstance(text, str):
                raise UnsupportedValue(
                    f"FileSet takes glob patterns as str or pathlib.Path, got "
                    f"{type(pattern).__name__}."
                )
            self.file_globs.append(text)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileSet):
            return NotImplemented
        return self.file_globs == other.file_globs

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return f"FileSet({self.file_globs})"

    def __repr__(self) -> str:
        return f"FileSet({self.file_globs!r})"
