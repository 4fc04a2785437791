"""The peers' venvs of bench/_venvs.py (the real Neptune client, the integrations), for the
tests that run scripts in them, and a clean environment to run those scripts in."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def venvs_module() -> Any:
    """bench/_venvs.py, loaded by path (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("_venvs", REPO_ROOT / "bench" / "_venvs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peer_pythons(*peers: str) -> dict[str, Path]:
    """The interpreters of ``peers``' venvs, each made on first use from the registry; the
    test fails (it does not skip) when one cannot be made."""
    venvs = venvs_module()
    failed = venvs.setup_venvs(list(peers), lambda message: print(message, file=sys.stderr))
    if failed:
        pytest.fail(f"venvs could not be made: {failed}")
    return {peer: Path(venvs.peer_python(peer)) for peer in peers}


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any NEPTUNE_* or NEPNB_* setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEPTUNE_", "NEPNB_"))}
    env.update(extra)
    return env
