"""`nepnb trash` over the local store, as a real process."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import nepnb as neptune
from tests.helpers import QUIET
from tests.helpers.cli import run_cli as nepnb


def _one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 1, result
    assert result.stderr.startswith("nepnb: error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.mark.slow
def test_trash_commands(nepnb_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEPTUNE_PROJECT", "team/cls")
    for _ in range(3):
        with neptune.init_run(name="training", mode="sync", **QUIET) as run:
            run["loss"].extend([1.0] * 100)

    assert nepnb("trash", "list").stdout == "The trash of team/cls is empty.\n"
    added = nepnb("trash", "add", "CLS-1", "cls-2", "CLS-3")
    assert added.returncode == 0
    assert added.stdout == "Moved CLS-1, CLS-2, CLS-3 to the trash of team/cls.\n"
    assert nepnb("trash", "restore", "-p", "team/cls", "CLS-3").returncode == 0
    listed = nepnb("trash", "list").stdout.splitlines()
    assert [line.split()[:2] for line in listed[:2]] == [["CLS-1", "run"], ["CLS-2", "run"]]
    assert "kB" in listed[0] and "training" in listed[0]
    assert listed[2].startswith("2 object(s) in the trash of team/cls")

    # Deleting asks first; with no terminal to ask on, it refuses without --yes.
    _one_line_error(nepnb("trash", "delete", "CLS-1"), "pass --yes")
    assert len(nepnb("trash", "list").stdout.splitlines()) == 3
    # Ids not in the trash, unknown ids: one line, nothing deleted.
    _one_line_error(nepnb("trash", "delete", "CLS-3", "--yes"), "CLS-3 is not in the trash")
    _one_line_error(nepnb("trash", "add", "CLS-9", "CLS-8"), "CLS-9, CLS-8")
    deleted = nepnb("trash", "delete", "CLS-1", "--yes")
    assert deleted.returncode == 0 and "Deleted CLS-1." in deleted.stdout
    cleared = nepnb("trash", "clear", "-y")
    assert cleared.returncode == 0 and "CLS-2" in cleared.stdout
    assert nepnb("trash", "clear").stdout == "The trash of team/cls is empty.\n"
    with neptune.init_project(mode="read-only") as project:
        assert [row["sys/id"].get() for row in project.fetch_runs_table(trashed=None)] == ["CLS-3"]


def test_mistakes_print_one_line(nepnb_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEPTUNE_PROJECT", raising=False)
    _one_line_error(nepnb("trash", "list"), "NEPTUNE_PROJECT")
    _one_line_error(nepnb("trash", "list", "-p", "cls"), "no workspace")
    _one_line_error(nepnb("trash", "list", "-p", "team/none"), "no project 'team/none'")
    usage = nepnb("trash", "add", "-p", "team/cls")  # no ids: argparse's usage line
    assert usage.returncode == 2 and "the following arguments are required: ID" in usage.stderr
