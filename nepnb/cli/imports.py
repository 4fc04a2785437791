"""Imports the ``nepnb`` command defers, so that a quick command stays quick.

nbdime imports nbformat, which imports jsonschema, which imports ``rfc3987_syntax`` to offer
the "iri" and "iri-reference" format checks; ``rfc3987_syntax`` compiles about 35 Lark
grammars when it is imported: seconds, on every ``nepnb checkpoint diff``, for checks that
neither nbformat's schemas nor nepnb ever run (python-jsonschema/jsonschema#1428). In the
command's own process (never in a user's kernel or Jupyter server), a stand-in takes its
place until it is used: jsonschema registers the same checks, and the first one that runs
imports the real module, so they behave exactly as before.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

DEFERRED = "rfc3987_syntax"


def defer_slow_imports() -> None:
    """Put the stand-in for ``rfc3987_syntax`` in place (nothing if it is not installed or
    is imported already)."""
    if DEFERRED in sys.modules or importlib.util.find_spec(DEFERRED) is None:
        return
    stand_in = types.ModuleType(DEFERRED)
    stand_in.__doc__ = f"nepnb's stand-in for {DEFERRED}: imports it when first used"

    def real() -> types.ModuleType:
        if sys.modules.get(DEFERRED) is stand_in:
            del sys.modules[DEFERRED]
        return importlib.import_module(DEFERRED)

    def is_valid_syntax(*args: Any, **kwargs: Any) -> Any:
        return real().is_valid_syntax(*args, **kwargs)

    def attribute(name: str) -> Any:
        if name.startswith("__"):  # the import system asks for __path__ and the like
            raise AttributeError(name)
        return getattr(real(), name)

    stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    stand_in.__getattr__ = attribute  # type: ignore[method-assign]
    sys.modules[DEFERRED] = stand_in
