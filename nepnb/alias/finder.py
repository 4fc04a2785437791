"""The ``neptune`` alias in a process: ``import neptune`` and ``import neptune.X`` give nepnb.

One meta-path finder does it (Python's import hook, ahead of the path-based finders):

- ``neptune.X`` (a submodule) is the module ``nepnb.X`` itself, the same object under both
  names, so ``except neptune.exceptions.InactiveRunException`` catches what nepnb raises and
  nothing is loaded twice;
- ``neptune`` is a thin module over ``nepnb`` whose every name is nepnb's (``neptune.init_run
  is nepnb.init_run``), except ``__version__``: the Neptune version nepnb speaks, with nepnb's
  own as the local label (:mod:`nepnb.version`), so version checks (``neptune>=1.0``) pass;
- ``importlib.metadata`` sees a ``neptune`` distribution of that version (what Lightning's
  ``RequirementCache("neptune>=1.0")`` and ``transformers`` check). It exists only in the
  lookups by name, in processes with the alias on: nothing named ``neptune`` is installed, so
  pip never lists, upgrades or removes it.

When the real Neptune client is installed (a ``neptune`` module on ``sys.path``), the alias
steps aside with one warning and the real client is imported, unless forced.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import re
import sys
import threading
import types
from pathlib import Path
from typing import Any

from nepnb.exceptions import AliasStepsAside
from nepnb.version import __version__ as neptune_version
from nepnb.warn import warn_user

ALIAS = "neptune"
TARGET = "nepnb"
#: The Neptune client's distributions: either one installed means the real client is there.
REAL_DISTRIBUTIONS = ("neptune", "neptune-client")


def real_client() -> str | None:
    """The real Neptune client installed here (``"neptune 1.14.0.post2"``), or None.

    Looked up without the alias: a ``neptune`` module on ``sys.path`` (its distribution's
    name and version when it has one)."""
    if importlib.machinery.PathFinder.find_spec(ALIAS) is None:
        return None
    for name in REAL_DISTRIBUTIONS:
        context = importlib.metadata.DistributionFinder.Context(name=name)
        for dist in importlib.metadata.MetadataPathFinder.find_distributions(context):
            return f"{name} {dist.version}"
    return "neptune (a module without package metadata)"


class NeptuneAlias(importlib.abc.MetaPathFinder):
    """The finder that maps ``neptune`` and ``neptune.*`` onto nepnb (see the module doc)."""

    def __init__(self) -> None:
        self.force = False
        self._lock = threading.Lock()
        self._real: str | None = None
        self._checked = False

    def active(self) -> bool:
        """Whether ``import neptune`` gives nepnb: forced, or no real client is installed.
        The first time a real client is found, one warning says so."""
        if self.force:
            return True
        with self._lock:
            if not self._checked:
                self._checked = True
                self._real = real_client()
                if self._real is not None:
                    warn_user(
                        f"the real Neptune client ({self._real}) is installed here, so "
                        "`import neptune` imports it and not nepnb. To use nepnb under that "
                        "name, uninstall it (pip uninstall neptune neptune-client), or force "
                        "the alias: `nepnb alias enable --force` or "
                        "nepnb.alias_neptune(force=True).",
                        AliasStepsAside,
                    )
        return self._real is None

    # the import system ---------------------------------------------------------------
    def find_spec(
        self, fullname: str, path: Any = None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        if not self.active():
            return None
        name = TARGET + fullname[len(ALIAS) :]
        found = importlib.util.find_spec(name)
        if found is None:
            return None
        spec = importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(name),
            origin=found.origin,  # nepnb's file: the module's repr says where it comes from
            is_package=found.submodule_search_locations is not None,
        )
        spec.has_location = found.has_location
        if found.submodule_search_locations is not None:
            spec.submodule_search_locations = list(found.submodule_search_locations)
        return spec

    def find_distributions(self, context: Any = None) -> list[importlib.metadata.Distribution]:
        name = getattr(context, "name", None)
        if not name or _canonical(name) != ALIAS or not self.active():
            return []
        return [AliasDistribution()]

    def invalidate_caches(self) -> None:
        """``importlib.invalidate_caches()``: look for the real client again (it may have
        been installed or removed since)."""
        with self._lock:
            self._checked = False


class _AliasLoader(importlib.abc.Loader):
    """Gives the nepnb module itself for ``neptune.X``, the facade for ``neptune``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._spec: Any = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self.name)
        if self.name == TARGET:
            return _facade(module)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # The import system set the alias's spec on the module; nepnb's module keeps its own.
        if self._spec is not None:
            module.__spec__ = self._spec


class _NeptuneModule(types.ModuleType):
    """``neptune`` with the alias on: nepnb's names, and the Neptune version."""

    def __getattr__(self, name: str) -> Any:
        return getattr(sys.modules[TARGET], name)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(sys.modules[TARGET])) | set(vars(self)))


def is_alias_module(module: types.ModuleType) -> bool:
    """Whether ``module`` is the alias's ``neptune`` (not the real client's)."""
    return isinstance(module, _NeptuneModule)


def _facade(nepnb: types.ModuleType) -> types.ModuleType:
    module = _NeptuneModule(ALIAS, nepnb.__doc__)
    module.__version__ = neptune_version  # type: ignore[attr-defined]
    module.__all__ = list(nepnb.__all__)  # type: ignore[attr-defined]
    module.__file__ = nepnb.__file__
    module.__path__ = list(nepnb.__path__)
    return module


class AliasDistribution(importlib.metadata.Distribution):
    """The ``neptune`` distribution ``importlib.metadata`` sees while the alias is on."""

    def read_text(self, filename: str) -> str | None:
        if filename in ("METADATA", "PKG-INFO"):
            return (
                "Metadata-Version: 2.1\n"
                f"Name: {ALIAS}\n"
                f"Version: {neptune_version}\n"
                "Summary: nepnb standing in for the Neptune client (nepnb alias); "
                "not the neptune package\n"
            )
        if filename == "top_level.txt":
            return ALIAS + "\n"
        return None

    def locate_file(self, path: Any) -> Path:
        return Path(sys.modules[TARGET].__file__ or "").parent / str(path)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


#: The one finder of this process: the startup hook (``nepnb alias enable``) and
#: ``nepnb.alias_neptune()`` both use it, so the warning comes at most once.
FINDER = NeptuneAlias()


def installed_finder(force: bool = False) -> NeptuneAlias:
    """The process's finder, forced if ``force``; called by the startup hook."""
    FINDER.force = FINDER.force or force
    return FINDER
