"""Warnings that point at the user's line, not at nepnb's."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

_PACKAGE = str(Path(__file__).resolve().parent)
#: Frames skipped too: the import system's, and the `neptune` alias's startup hook.
_MACHINERY = ("<frozen importlib", "<nepnb ")


def warn_user(message: str, category: type[Warning]) -> None:
    """Warn with ``category``, attributed to the first caller outside nepnb (and outside the
    import system, for a warning raised while a module is imported)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith((_PACKAGE, *_MACHINERY)):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        warnings.warn(message, category, stacklevel=2)
        return
    warnings.warn_explicit(
        message,
        category,
        frame.f_code.co_filename,
        frame.f_lineno,
        module=frame.f_globals.get("__name__"),
        registry=frame.f_globals.setdefault("__warningregistry__", {}),
    )
