"""``neptune.internal.utils.requirement_check``: whether the package an integration needs is
installed, with an error naming it when it is not."""

from __future__ import annotations

from functools import lru_cache
from importlib.util import find_spec

from nepnb.exceptions import MissingRequirement

__all__ = ["is_installed", "require_installed"]


@lru_cache(maxsize=32)
def is_installed(requirement_name: str) -> bool:
    """Whether the top-level module ``requirement_name`` can be imported."""
    return find_spec(requirement_name) is not None


def require_installed(requirement_name: str, *, suggestion: str | None = None) -> None:
    """MissingRequirement (also an ImportError) naming the pip package when the module
    ``requirement_name`` is missing; ``suggestion`` is the pip package when it differs."""
    if not is_installed(requirement_name):
        package = suggestion or requirement_name.replace("_", "-")
        raise MissingRequirement(requirement_name, package)
