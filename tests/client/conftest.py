"""Fixtures of the client tests: a private store and queue folder per test, runs that close."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import nepnb as neptune
from tests.helpers.client import QUIET

#: The NEPTUNE_* variables a developer's shell may set; none of them leaks into a test.
NEPTUNE_VARIABLES = (
    "NEPTUNE_API_TOKEN",
    "NEPTUNE_PROJECT",
    "NEPTUNE_MODE",
    "NEPTUNE_CUSTOM_RUN_ID",
    "NEPTUNE_MONITORING_NAMESPACE",
    "NEPTUNE_DATA_DIRECTORY",
)


@pytest.fixture(autouse=True)
def data_dir(nepnb_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every client test: a fresh store (``nepnb_home``) and a fresh NEPTUNE_DATA_DIRECTORY."""
    for name in NEPTUNE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "neptune-data"
    monkeypatch.setenv("NEPTUNE_DATA_DIRECTORY", str(folder))
    return folder


@pytest.fixture
def objects() -> Iterator[list[Any]]:
    """Objects a test opened; stopped at teardown whatever the test did (errors ignored)."""
    opened: list[Any] = []
    yield opened
    for obj in reversed(opened):
        with contextlib.suppress(Exception):
            obj.stop()


@pytest.fixture
def new_run(objects: list[Any]) -> Callable[..., Any]:
    """``new_run(mode="sync", **kwargs)``: a run with automatic logging off unless asked."""

    def make(**kwargs: Any) -> Any:
        run = neptune.init_run(**{**QUIET, **kwargs})
        objects.append(run)
        return run

    return make


@pytest.fixture
def reopen(objects: list[Any]) -> Callable[..., Any]:
    """``reopen(sys_id, opener=neptune.init_run, project=None)``: the object, read-only.

    What a read-only copy shows is what the store holds.
    """

    def make(sys_id: str, opener: Callable[..., Any] = neptune.init_run, **kwargs: Any) -> Any:
        copy = opener(with_id=sys_id, mode="read-only", **kwargs)
        objects.append(copy)
        return copy

    return make


@pytest.fixture
def run_script(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_script(source, name="train.py")``: run Python source as a script in a subprocess.

    The script inherits the test's environment (its NEPNB_HOME and NEPTUNE_DATA_DIRECTORY).
    """

    def run(
        source: str,
        name: str = "train.py",
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        folder = tmp_path / "scripts"
        folder.mkdir(exist_ok=True)
        script = folder / name
        script.write_text(textwrap.dedent(source))
        done = subprocess.run(
            [sys.executable, str(script), *args],
            capture_output=True,
            text=True,
            cwd=folder,
            env={**os.environ, **(env or {})},
            timeout=120,
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    return run
