"""`nepnb checkpoint` errors name what the user knows (the notebook, the store), in one line;
a closed pipe is not an error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from nepnb.cli.main import main
from nepnb.notebooks import Checkpoints
from nepnb.store.local import LocalStore
from tests.helpers.faithful import DATA

PROJECT = "team/errors"


def error_of(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main([*args, "--project", PROJECT]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("nepnb: error: ") and captured.err.count("\n") == 1
    return captured.err


@contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """``folder`` where no file can be made, even by root (immutable) as a user's would be."""
    root = os.getuid() == 0
    if root:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
    try:
        yield
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o755)


def test_a_read_only_folder_error_names_the_notebook(
    nepnb_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "a.ipynb"
    shutil.copy(DATA / "nbformat" / "test4.5.ipynb", path)
    before = path.read_bytes()

    with read_only_folder(folder):
        error = error_of(capsys, "checkpoint", "upload", str(path), "-m", "x")

    assert error.startswith(f"nepnb: error: cannot write {path}: ")
    assert ".tmp" not in error
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["a.ipynb"]


def test_an_unwritable_store_error_names_the_store(
    nepnb_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.ipynb"
    shutil.copy(DATA / "nbformat" / "test4.5.ipynb", path)
    nepnb_home.mkdir(parents=True, exist_ok=True)  # an empty folder the user cannot write
    with read_only_folder(nepnb_home):
        error = error_of(capsys, "checkpoint", "upload", str(path), "-m", "x")

    assert f"local store folder {nepnb_home}: " in error
    assert "blobs" not in error


def test_a_notebook_nested_too_deeply_gets_a_one_line_error(
    nepnb_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep.ipynb"
    deep = '{"a": ' * 100_000 + "1" + "}" * 100_000
    path.write_text('{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": ' + deep + "}")

    error = error_of(capsys, "checkpoint", "upload", str(path), "-m", "x")

    assert "nested too deeply" in error and str(path) in error


def test_a_diff_read_by_head_ends_quietly(nepnb_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "long.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(f"x = {i}") for i in range(3000)]
    nbformat.write(notebook, path)
    assert main(["checkpoint", "upload", str(path), "-m", "One", "--project", PROJECT]) == 0
    for cell in notebook.cells:
        cell.source += "\nprint(x)"
    checkpoints = Checkpoints(LocalStore(nepnb_home), PROJECT)
    (first,) = checkpoints.history(checkpoints.notebook_at(str(path.resolve())).notebook_id)
    notebook.metadata["nepnb"] = {"notebook_id": first.notebook_id}
    nbformat.write(notebook, path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [
        sys.executable,
        "-m",
        "nepnb.cli.main",
        "checkpoint",
        "diff",
        str(path),
        first.id,
        "--project",
        PROJECT,
    ]

    for size in ("long", "short"):  # written while running / flushed at exit
        arguments = command if size == "long" else [*command, "--no-outputs", "--exit-code"]
        if size == "short":
            nbformat.write(nbformat.v4.new_notebook(metadata=notebook.metadata), path)
        read_end, write_end = os.pipe()
        os.close(read_end)  # `| head -1` that has read its line and gone
        finished = subprocess.run(
            arguments, stdout=write_end, stderr=subprocess.PIPE, env=env, timeout=120
        )
        os.close(write_end)
        assert (size, finished.returncode, finished.stderr.decode()) == (size, 0, "")
