"""The markers' guard (tests/helpers/markers.py): what a command line starts, and a test
that starts it unmarked fails."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT
from tests.helpers.markers import FAST, MARKERS, param_markers, started_by

PYTHON = "/venv/bin/python"
PG_CTL = ["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", "data"]


@pytest.mark.parametrize(
    ("command", "marker"),
    [
        ([PYTHON, "-m", "ipykernel_launcher", "-f", "kernel.json"], "kernel"),
        (["/usr/lib/postgresql/15/bin/initdb", "-D", "data"], "postgres"),
        ([*PG_CTL, "-w", "start"], "postgres"),
        ([*PG_CTL, "-m", "immediate", "stop"], None),
        (["/node", "/playwright/driver/package/cli.js", "run-driver"], "browser"),
        ([PYTHON, "-m", "nepnb", "server", "--database", "sqlite:///x.db"], "server"),
        (["/venv/bin/nepnb", "server"], "server"),
        ([PYTHON, "-m", "jupyterlab", "--no-browser"], "server"),
        ([PYTHON, "-m", "notebook", "--no-browser"], "server"),
        (["/venv/bin/jupyter", "lab", "--port", "8888"], "server"),
        (["/venv/bin/jupyter", "server", "extension", "list"], None),
        (["/venv/bin/jupyter", "labextension", "list"], None),
        (["/venv/bin/nepnb", "checkpoint", "upload", "server"], None),
        (["/venv/bin/nepnb", "admin", "user", "add", "ann"], None),
        ([PYTHON, "-m", "moto.server", "-p", "5000"], None),
    ],
)
def test_a_command_line_is_known_by_what_it_starts(command: list[str], marker: str | None) -> None:
    assert started_by(command) == marker


def test_backends_that_start_servers_mark_their_tests() -> None:
    assert set(param_markers("postgres")) == {"postgres", "server"}
    assert set(param_markers("http-postgres")) == {"postgres", "server"}
    assert set(param_markers("http-sqlite")) == {"server"}
    assert param_markers("sqlite") == param_markers("local") == param_markers(3) == ()


def test_a_test_that_starts_a_kernel_unmarked_fails_naming_the_marker(tmp_path: Path) -> None:
    # A harmless command line that reads as a kernel's: the guard judges command lines.
    (tmp_path / "test_guarded.py").write_text(
        textwrap.dedent(
            """
            import subprocess, sys
            import pytest

            def start():
                subprocess.run([sys.executable, "-c", "pass", "ipykernel_launcher"], check=True)

            def test_unmarked():
                start()

            @pytest.mark.kernel
            def test_marked():
                start()
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.helpers.markers", "-p", "no:cacheprovider",
         "-q", "-W", "ignore::pytest.PytestUnknownMarkWarning", "test_guarded.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "1 failed, 1 passed" in result.stdout, result.stdout
    assert "test_guarded.py::test_unmarked starts" in result.stdout
    assert "is not marked 'kernel'" in result.stdout


def test_the_markers_are_registered_and_the_fast_run_leaves_them_out() -> None:
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    for marker in MARKERS:
        assert f'"{marker}: ' in pyproject
    assert f'-m "{FAST}"' in (REPO_ROOT / "dev").read_text()
