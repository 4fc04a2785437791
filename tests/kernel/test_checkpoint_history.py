"""`%neptune checkpoint` in a real kernel follows the same identity rule as the CLI and the
server extension: a notebook written without nepnb's id continues the history of its path."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from nepnb.client.config import local_store
from nepnb.notebooks import Checkpoints, read_notebook
from tests.helpers.kernel import run_cells
from tests.helpers.nbrun import error_of, make_notebook, stream_text

pytestmark = pytest.mark.kernel

PROJECT = "local/default"


def test_a_notebook_without_its_id_continues_the_history_of_its_path(
    tmp_path: Path, nepnb_home: Path
) -> None:
    path = (tmp_path / "demo.ipynb").resolve()
    nbformat.write(make_notebook("print('first version')"), path)
    checkpoints = Checkpoints(local_store(), PROJECT)
    first = checkpoints.upload(  # as `nepnb checkpoint upload` records it: the absolute path
        read_notebook(path), path=str(path), message="From a terminal", author="ada"
    )

    # git checkout brings back a version without the id; the kernel runs it
    cells = run_cells(tmp_path, "%load_ext nepnb", "%neptune checkpoint -m 'From the kernel'")
    assert all(error_of(cell) is None for cell in cells), [stream_text(c, "stderr") for c in cells]
    history = checkpoints.history(first.notebook_id)
    assert [c.summary for c in history] == ["From the kernel", "From a terminal"]
    assert [n.notebook_id for n in checkpoints.notebooks()] == [first.notebook_id]
