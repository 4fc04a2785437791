"""The real Neptune client 1.14 in a venv of its own (bench/_venvs.py), and the Neptune data
folders it writes running tests/importers/scripts/scenario.py: made once per session."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.peers import clean_env, peer_pythons

SCRIPTS = Path(__file__).resolve().parent / "scripts"
SCENARIO = SCRIPTS / "scenario.py"
CRASH_POINTS = 20_000
ASYNC_CRASH_POINTS = 2_000  # each way: Neptune's mock server is slow to acknowledge


@pytest.fixture(scope="session")
def neptune_python() -> Path:
    """The interpreter of bench/.venvs/neptune (created on first use from the registry)."""
    return peer_pythons("neptune")["neptune"]


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


@pytest.fixture(scope="session")
def offline_data(neptune_python: Path, tmp_path_factory: pytest.TempPathFactory) -> NeptuneData:
    workdir = tmp_path_factory.mktemp("neptune-offline")
    run_scenario(neptune_python, "neptune", "offline", workdir)
    return NeptuneData(workdir, json.loads((workdir / "result.json").read_text()))


@pytest.fixture(scope="session")
def async_data(neptune_python: Path, tmp_path_factory: pytest.TempPathFactory) -> NeptuneData:
    workdir = tmp_path_factory.mktemp("neptune-async")
    run_scenario(neptune_python, "neptune", "async-unreachable", workdir)
    return NeptuneData(workdir, json.loads((workdir / "result.json").read_text()))


def _crash(python: Path, mode: str, workdir: Path, points: int) -> NeptuneData:
    proc = run_scenario(python, "neptune", mode, workdir, "--crash-after", str(points), check=False)
    assert proc.returncode == -9, f"expected a SIGKILL, got {proc.returncode}: {proc.stderr}"
    return NeptuneData(workdir, {})


@pytest.fixture(scope="session")
def crashed_data(neptune_python: Path, tmp_path_factory: pytest.TempPathFactory) -> NeptuneData:
    """Offline: killed after CRASH_POINTS appends."""
    workdir = tmp_path_factory.mktemp("neptune-crashed")
    return _crash(neptune_python, "offline", workdir, CRASH_POINTS)


@pytest.fixture(scope="session")
def crashed_async_data(
    neptune_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> NeptuneData:
    """Async: ASYNC_CRASH_POINTS appends acknowledged, as many more not, then killed."""
    workdir = tmp_path_factory.mktemp("neptune-crashed-async")
    return _crash(neptune_python, "async-unreachable", workdir, ASYNC_CRASH_POINTS)
