"""A command that needs an optional part of nepnb (an extra) not installed says in one line
what to install, without a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from nepnb.cli.main import EXTRA_MODULES
from tests.helpers import REPO_ROOT


def _nepnb_without(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``nepnb ARGS`` in a process where ``module`` cannot be imported, as if not installed."""
    hide = f"import sys; sys.modules[{module!r}] = None; from nepnb.cli.main import main; "
    return subprocess.run(
        [sys.executable, "-c", hide + "sys.exit(main(sys.argv[1:]))", *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("module", "command"),
    [
        ("uvicorn", ["server"]),
        ("sqlalchemy", ["admin", "user", "list"]),
        ("fastapi", ["server"]),
    ],
)
def test_a_missing_optional_module_is_one_line_naming_the_extra(
    tmp_path: Path, module: str, command: list[str]
) -> None:
    database = f"sqlite:///{tmp_path / 'server.db'}"
    done = _nepnb_without(module, *command, "--database", database)
    assert done.returncode == 1
    assert done.stderr == (
        f"nepnb: error: `nepnb {command[0]}` needs {module}, which is not installed here; "
        'install nepnb\'s server part with: pip install "nepnb[server]"\n'
    )
    assert done.stdout == ""


def test_another_import_error_is_not_passed_off_as_a_missing_extra(tmp_path: Path) -> None:
    done = _nepnb_without("nepnb.server.app", "server", "--database", f"sqlite:///{tmp_path}/x")
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "pip install" not in done.stderr


def test_the_extra_modules_are_those_pyproject_lists() -> None:
    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for extra, modules in EXTRA_MODULES.items():
        names = {re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0] for spec in extras[extra]}
        assert names <= set(modules), f"pyproject.toml's {extra} extra lists {names}"
