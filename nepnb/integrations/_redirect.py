"""The redirect modules' one job: ``neptune.integrations.X`` gives the names of the package
that implements integration X (as the Neptune client's own redirect modules do), or an error
naming the pip package when it is not installed."""

from __future__ import annotations

import importlib
from typing import Any

from nepnb.exceptions import MissingRequirement
from nepnb.internal.utils.requirement_check import is_installed


def reexport(
    namespace: dict[str, Any],
    implementation: str,
    *,
    package: str,
    names: tuple[str, ...] | None = None,
    missing_hint: str = "",
) -> None:
    """Put the public names of the module ``implementation`` (or only ``names``) into the
    module whose globals are ``namespace``."""
    here = str(namespace["__name__"])
    if not is_installed(implementation.partition(".")[0]):
        raise MissingRequirement(here, package)
    module = importlib.import_module(implementation)
    if names is None:
        public = [name for name in vars(module) if not name.startswith("_")]
        names = tuple(getattr(module, "__all__", public))
    missing = [name for name in names if not hasattr(module, name)]
    if missing:
        raise MissingRequirement(
            here,
            package,
            missing_hint or f"{implementation} has no {', '.join(missing)}; install {package}",
        )
    namespace.update({name: getattr(module, name) for name in names})
    namespace["__all__"] = list(names)
