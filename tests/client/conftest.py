"""Fixtures of the client tests: a private store and queue folder per test, runs that close."""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import nepnb as neptune

#: The NEPTUNE_* variables a developer's shell may set; none of them leaks into a test.
NEPTUNE_VARIABLES = (
    "NEPTUNE_API_TOKEN",
    "NEPTUNE_PROJECT",
    "NEPTUNE_MODE",
    "NEPTUNE_CUSTOM_RUN_ID",
    "NEPTUNE_MONITORING_NAMESPACE",
    "NEPTUNE_DATA_DIRECTORY",
)

#: init_run arguments that turn automatic logging off (and keep git out of the tests).
QUIET: dict[str, Any] = {
    "capture_stdout": False,
    "capture_stderr": False,
    "capture_hardware_metrics": False,
    "git_ref": False,
}

#: Namespaces written by nepnb itself; the rest of a run's fields are the user's.
OWN_NAMESPACES = ("sys", "monitoring", "source_code")


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


def user_fields(obj: Any) -> dict[str, Any]:
    """The structure of ``obj`` without the namespaces nepnb writes itself."""
    return {k: v for k, v in obj.get_structure().items() if k not in OWN_NAMESPACES}


def structure_types(obj: Any, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """``{path: type name}`` of every field, read from ``obj.print_structure()``."""
    capsys.readouterr()
    obj.print_structure()
    out = capsys.readouterr().out
    types: dict[str, str] = {}
    stack: list[str] = []
    for line in out.splitlines():
        if not line.strip():
            continue
        indent = (len(line) - len(line.lstrip(" "))) // 4
        name, _, kind = line.strip().partition(":")
        name = name.strip("'")
        del stack[indent:]
        kind = kind.strip()
        if kind:
            types["/".join([*stack, name])] = kind
        else:
            stack.append(name)
    return types


def series(obj: Any, path: str) -> tuple[list[float], list[Any]]:
    """(steps, values) of the series at ``path``."""
    frame = obj[path].fetch_values(include_timestamp=False)
    return [float(s) for s in frame["step"]], list(frame["value"])


def same_float(a: float, b: float) -> bool:
    """Equal floats, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


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
