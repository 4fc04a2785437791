"""The real Neptune client 1.14 run by the importer tests: its venv (bench/_venvs.py), the
scenario script (tests/importers/scripts/scenario.py) and the data folders it writes."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO_ROOT

SCRIPTS = REPO_ROOT / "tests" / "importers" / "scripts"
SCENARIO = SCRIPTS / "scenario.py"
CRASH_POINTS = 20_000
ASYNC_CRASH_POINTS = 2_000  # each way: Neptune's mock server is slow to acknowledge


def venvs_module() -> Any:
    """bench/_venvs.py, loaded from its file (bench is not a package)."""
    spec = importlib.util.spec_from_file_location("_venvs", REPO_ROOT / "bench" / "_venvs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peer_pythons(*peers: str) -> dict[str, Path]:
    """The interpreters of ``peers``' venvs (bench/_venvs.py), each made on first use from the
    registry; the test fails (it does not skip) when one cannot be made."""
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


def run_scenario(
    python: Path, client: str, mode: str, workdir: Path, *extra: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the scenario with ``client`` in ``workdir`` (its .neptune lands there)."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = clean_env(NEPNB_HOME=str(workdir / "nepnb-home"))
    proc = subprocess.run(
        [str(python), str(SCENARIO), client, mode, str(workdir), *extra],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"scenario failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


@dataclass
class NeptuneData:
    """A folder the Neptune client wrote, and what the scenario recorded while writing it."""

    workdir: Path
    result: dict[str, Any]

    @property
    def data_dir(self) -> Path:
        return self.workdir / ".neptune"

    def copy_to(self, target: Path) -> Path:
        """A copy of the whole work folder (the .neptune and the files it refers to by path
        stay where they were; the copy's .neptune is returned)."""
        shutil.copytree(self.data_dir, target / ".neptune")
        return target / ".neptune"


def crashed_scenario(python: Path, mode: str, workdir: Path, points: int) -> NeptuneData:
    """The data of the scenario killed (SIGKILL) after ``points`` appends."""
    proc = run_scenario(python, "neptune", mode, workdir, "--crash-after", str(points), check=False)
    assert proc.returncode == -9, f"expected a SIGKILL, got {proc.returncode}: {proc.stderr}"
    return NeptuneData(workdir, {})
