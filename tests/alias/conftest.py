"""A fresh environment for each alias test: a new venv (made by the test, in a temp folder)
that sees this checkout's nepnb and its dependencies through one .pth, as a user's venv with
nepnb installed would. `nepnb alias enable` writes into that venv, never into the test venv."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.neptune_client import clean_env

#: The .pth that stands for "nepnb is installed here" (remove it: nepnb is uninstalled).
NEPNB_INSTALLED = "_nepnb_installed.pth"


@dataclass
class FreshVenv:
    root: Path
    site_packages: Path
    home: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``python ARGS`` in this venv, in a clean environment (no NEPTUNE_*/NEPNB_*)."""
        proc = subprocess.run(
            [str(self.python), *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.home,
            env=clean_env(NEPNB_HOME=str(self.home / "nepnb-home")),
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return proc

    def nepnb(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "nepnb", *args, check=check)

    def add_site(self, site_packages: str | Path, name: str) -> None:
        """Let this venv import what ``site_packages`` holds (its .pth files included)."""
        line = f"import site; site.addsitedir({str(site_packages)!r})\n"
        (self.site_packages / name).write_text(line)

    def uninstall_nepnb(self) -> None:
        (self.site_packages / NEPNB_INSTALLED).unlink()


@pytest.fixture
def fresh_venv(tmp_path: Path) -> FreshVenv:
    root = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    purelib = subprocess.run(
        [
            str(root / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    home = tmp_path / "work"
    home.mkdir()
    venv = FreshVenv(root, Path(purelib), home)
    venv.add_site(sysconfig.get_paths()["purelib"], NEPNB_INSTALLED)
    return venv
