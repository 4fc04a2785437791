"""The `nepnb` command: version and help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nepnb
from tests.helpers.cli import run_cli


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"nepnb {nepnb.__version__}"


def test_help_names_the_local_store(nepnb_home: Path) -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: nepnb")
    assert "import nepnb as neptune" in result.stdout
    assert str(nepnb_home) in result.stdout


def test_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nepnb", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == f"nepnb {nepnb.__version__}"


def test_unknown_command_is_a_clear_error_without_traceback() -> None:
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "invalid choice: 'frobnicate'" in result.stderr
    assert "Traceback" not in result.stderr
