"""The opt-in ``neptune`` alias: code that says ``import neptune`` (Neptune's integration
packages, libraries with Neptune loggers, old scripts) runs on nepnb.

- In an environment: ``nepnb alias enable`` / ``nepnb alias disable`` / ``nepnb alias status``
  (:mod:`nepnb.alias.install`).
- In one process, where nothing can be installed (a hosted notebook):
  ``nepnb.alias_neptune()`` before ``import neptune``.

How the names map is in :mod:`nepnb.alias.finder`.
"""

from __future__ import annotations

import sys

from nepnb.alias.finder import ALIAS, NeptuneAlias, installed_finder, is_alias_module
from nepnb.alias.install import AliasStatus, disable, enable, status
from nepnb.exceptions import AliasStepsAside
from nepnb.warn import warn_user

__all__ = ["AliasStatus", "NeptuneAlias", "alias_neptune", "disable", "enable", "status"]


def alias_neptune(force: bool = False) -> bool:
    """Make ``import neptune`` give nepnb in this process; whether it does.

    It does not when the real Neptune client is installed (one warning says so) unless
    ``force``, nor when ``neptune`` was already imported from the real client (restart the
    kernel or interpreter and call this before ``import neptune``).
    """
    finder = installed_finder(force)
    if finder not in sys.meta_path:
        sys.meta_path.insert(0, finder)
    imported = sys.modules.get(ALIAS)
    if imported is not None and not is_alias_module(imported):
        warn_user(
            f"`neptune` is already imported in this process, from {imported.__file__}: it "
            "stays the real client. Call nepnb.alias_neptune() before `import neptune` "
            "(restart the kernel or interpreter first).",
            AliasStepsAside,
        )
        return False
    return finder.active()
