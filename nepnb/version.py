"""``neptune.version``: the version nepnb gives as the Neptune client it stands in for.

It is the Neptune client's version whose API nepnb speaks, with nepnb's own version as the
local label (``1.14.0+nepnb.0.1.0``), so checks such as ``neptune>=1.0`` pass and the string
still says what is installed. ``nepnb.__version__`` is nepnb's own version.
"""

from __future__ import annotations

from packaging.version import Version

from nepnb._version import __version__ as nepnb_version

__all__ = ["NEPTUNE_API_VERSION", "__version__", "version"]

#: The Neptune client release whose API nepnb follows.
NEPTUNE_API_VERSION = "1.14.0"
__version__ = f"{NEPTUNE_API_VERSION}+nepnb.{nepnb_version}"
version = Version(__version__)
