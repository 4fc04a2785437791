"""The real Neptune client 1.14 in a venv of its own (bench/_venvs.py), and the Neptune data
folders it writes running tests/importers/scripts/scenario.py: made once per session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.neptune_client import (
    ASYNC_CRASH_POINTS,
    CRASH_POINTS,
    NeptuneData,
    crashed_scenario,
    peer_pythons,
    run_scenario,
)


@pytest.fixture(scope="session")
def neptune_python() -> Path:
    """The interpreter of bench/.venvs/neptune (created on first use from the registry)."""
    return peer_pythons("neptune")["neptune"]


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


@pytest.fixture(scope="session")
def crashed_data(neptune_python: Path, tmp_path_factory: pytest.TempPathFactory) -> NeptuneData:
    """Offline: killed after CRASH_POINTS appends."""
    workdir = tmp_path_factory.mktemp("neptune-crashed")
    return crashed_scenario(neptune_python, "offline", workdir, CRASH_POINTS)


@pytest.fixture(scope="session")
def crashed_async_data(
    neptune_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> NeptuneData:
    """Async: ASYNC_CRASH_POINTS appends acknowledged, as many more not, then killed."""
    workdir = tmp_path_factory.mktemp("neptune-crashed-async")
    return crashed_scenario(neptune_python, "async-unreachable", workdir, ASYNC_CRASH_POINTS)
