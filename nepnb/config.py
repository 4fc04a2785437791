"""Where nepnb keeps its data, from arguments, the environment and defaults."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

#: Environment variable naming the folder of the embedded local store.
NEPNB_HOME_ENV = "NEPNB_HOME"


def default_home() -> Path:
    """The folder of the embedded local store: ``$NEPNB_HOME``, else the user data directory."""
    configured = os.environ.get(NEPNB_HOME_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    return Path(platformdirs.user_data_dir("nepnb", appauthor=False))
