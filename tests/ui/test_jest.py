"""The TypeScript unit tests (jest) run as part of the suite, so one command runs everything."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_typescript_unit_tests_pass() -> None:
    jest = ROOT / "node_modules" / ".bin" / "jest"
    assert jest.exists(), "node_modules is missing: run ./dev setup (it runs jlpm install)"
    node = shutil.which("node")
    assert node, "Node.js is needed for the TypeScript tests"
    result = subprocess.run(
        [str(jest), "--ci", "--colors=false"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-6000:]
    assert "Tests:" in report and " failed" not in report.split("Tests:")[1].splitlines()[0]
