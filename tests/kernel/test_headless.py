"""Headless runs link their notebook, as a new user runs them in the notebook's folder:
papermill (command line and Python API), ``jupyter nbconvert --execute``, ``jupyter execute``
and nbclient's ``NotebookClient``. Each test checks the run's link, the checkpoint's content
and message, and the parameters logged."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

import nepnb
from nepnb.client.config import local_store
from nepnb.notebooks import Checkpoints, read_notebook, with_notebook_id
from nepnb.store.base import CheckpointInfo
from tests.helpers.nbrun import execute, stream_text

pytestmark = pytest.mark.kernel

BIN = Path(sys.executable).parent
OPEN = "%load_ext nepnb\n%neptune init_run --name pm"  # the README's first cell
NOTEBOOK_ID = "5f69057eebc34882a11bba75eaabd5fc"


def train_notebook(
    path: Path, *middle: str, parameters: str = "lr = 0.1", notebook_id: str | None = None
) -> Path:
    """A notebook as a user writes one for papermill: a cell tagged `parameters`, the magic
    that opens a run, ``middle`` cells, a cell logging lr, a cell stopping the run."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    if notebook_id is not None:
        notebook.metadata["nepnb"] = {"notebook_id": notebook_id}
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    sources = [OPEN, *middle, "run['lr'] = lr", "%neptune stop --all"]
    notebook.cells = [cell, *(nbformat.v4.new_code_cell(source) for source in sources)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def run_tool(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run one of the venv's commands in ``cwd`` as a user would; its output (it must work)."""
    command = [str(BIN / args[0]), *args[1:]]
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    return output


def link_of(run_id: str) -> tuple[dict[str, Any], CheckpointInfo, dict[str, Any]]:
    """The run's NotebookRef, the checkpoint it names and that checkpoint's notebook."""
    run = nepnb.init_run(with_id=run_id, mode="read-only")
    try:
        ref = run["source_code/notebook"].fetch()
    finally:
        run.stop()
    checkpoints = Checkpoints(local_store(), "local/default")
    info = checkpoints.get(ref["checkpoint_id"])
    return ref, info, checkpoints.content(info)


def fields(run_id: str, *paths: str) -> dict[str, Any]:
    """The values of ``paths`` in the run (the paths it does not have left out)."""
    run = nepnb.init_run(with_id=run_id, mode="read-only")
    try:
        return {path: run[path].fetch() for path in paths if run.exists(path)}
    finally:
        run.stop()


def cells(notebook: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What executes: each cell's type, id, source and tags."""
    return [
        (cell["cell_type"], cell.get("id"), cell["source"], cell["metadata"].get("tags"))
        for cell in notebook["cells"]
    ]


# -- papermill -----------------------------------------------------------------------------


def test_papermill_links_the_input_with_its_parameters_cell(
    tmp_path: Path, nepnb_home: Path
) -> None:
    train = train_notebook(tmp_path / "train.ipynb")
    output = run_tool("papermill", "train.ipynb", "out.ipynb", "-p", "lr", "0.01", cwd=tmp_path)
    assert "nepnb warning" not in output

    ref, info, content = link_of("DEF-1")
    assert ref["path"] == str(train)
    assert ref["notebook_name"] == "train.ipynb"
    assert info.path == str(train)
    assert info.summary == "Run DEF-1 opened: papermill run with lr=0.01"
    assert f"Output notebook: {tmp_path / 'out.ipynb'}" in info.body.splitlines()
    # The checkpoint is papermill's notebook as the cell opening the run started: the
    # injected parameters cell included, each cell as papermill executed it (its ids too).
    executed = read_notebook(tmp_path / "out.ipynb")
    assert cells(content) == cells(executed)
    injected = content["cells"][1]
    assert injected["metadata"]["tags"] == ["injected-parameters"]
    assert injected["source"] == executed["cells"][1]["source"] == "# Parameters\nlr = 0.01\n"
    assert content["metadata"]["papermill"]["parameters"] == {"lr": 0.01}
    assert [cell["execution_count"] for cell in content["cells"]] == [1, 2, None, None, None]
    assert content["cells"][2]["metadata"]["papermill"]["status"] == "running"
    # Recorded under the input's history; the output's path is only mentioned.
    [notebook] = Checkpoints(local_store(), "local/default").notebooks()
    assert (notebook.path, notebook.notebook_id) == (str(train), ref["notebook_id"])

    values = fields("DEF-1", "lr", "parameters/lr")
    assert values == {"lr": 0.01, "parameters/lr": 0.01}
    assert isinstance(values["parameters/lr"], float)  # a Float, as papermill typed it


def test_a_papermill_sweep_goes_on_in_the_inputs_history(tmp_path: Path, nepnb_home: Path) -> None:
    train = train_notebook(
        tmp_path / "train.ipynb",
        parameters="lr = 0.1\noptimizer = 'sgd'",
        notebook_id=NOTEBOOK_ID,
    )
    (tmp_path / "runs").mkdir()
    for index, lr in enumerate(["0.01", "0.02"]):
        output = run_tool(
            "papermill", "train.ipynb", f"runs/lr-{lr}.ipynb", "-p", "lr", lr,
            "-p", "optimizer", "adam", cwd=tmp_path,
        )  # fmt: skip
        assert "nepnb warning" not in output
        ref, info, content = link_of(f"DEF-{index + 1}")
        assert (ref["path"], ref["notebook_id"]) == (str(train), NOTEBOOK_ID)
        assert (
            info.summary
            == f"Run DEF-{index + 1} opened: papermill run with lr={lr}, optimizer='adam'"
        )
        assert f"Output notebook: {tmp_path / 'runs' / f'lr-{lr}.ipynb'}" in info.body
        assert content["cells"][1]["source"] == f'# Parameters\nlr = {lr}\noptimizer = "adam"\n'
        assert fields(f"DEF-{index + 1}", "parameters/lr", "parameters/optimizer") == {
            "parameters/lr": float(lr),
            "parameters/optimizer": "adam",
        }
    history = Checkpoints(local_store(), "local/default").history(NOTEBOOK_ID)
    assert [checkpoint.runs for checkpoint in history] == [("DEF-2",), ("DEF-1",)]
    assert read_notebook(train)["metadata"]["nepnb"] == {"notebook_id": NOTEBOOK_ID}  # untouched


def test_papermill_started_from_a_notebook_links_its_own_notebook(
    tmp_path: Path, nepnb_home: Path
) -> None:
    # `!papermill …` in a notebook's cell: papermill, and its kernel, inherit the driver
    # notebook's JPY_SESSION_NAME, which names the driver, not the notebook papermill runs.
    driver = train_notebook(tmp_path / "driver.ipynb")
    train = train_notebook(tmp_path / "train.ipynb")
    before = train.read_bytes()
    output = run_tool(
        "papermill", "train.ipynb", "out.ipynb", "-p", "lr", "0.5", cwd=tmp_path,
        env={"JPY_SESSION_NAME": str(driver)},
    )  # fmt: skip
    assert "nepnb warning" not in output
    ref, _, _ = link_of("DEF-1")
    assert ref["path"] == str(train)
    assert [notebook.path for notebook in Checkpoints(local_store(), "local/default").notebooks()] == [
        str(train)
    ]  # fmt: skip
    assert train.read_bytes() == before  # the kernel never writes into the notebook


def test_papermill_api_with_the_output_elsewhere(tmp_path: Path, nepnb_home: Path) -> None:
    # papermill's Python API names no notebook on a command line, and its output notebook is
    # in a folder the kernel does not read: the input, with the parameters cell as it ran.
    train = train_notebook(tmp_path / "nbs" / "train.ipynb")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = tmp_path / "nbs" / "sweep.py"
    script.write_text(
        "import papermill as pm\n"
        f"pm.execute_notebook('train.ipynb', {str(elsewhere / 'out.ipynb')!r},\n"
        "                    parameters={'lr': 0.001, 'layers': [64, 32], 'note': None},\n"
        "                    progress_bar=False)\n"
    )
    result = subprocess.run(
        [sys.executable, "sweep.py"], cwd=script.parent, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr
    ref, info, content = link_of("DEF-1")
    assert ref["path"] == str(train)
    assert (
        info.summary == "Run DEF-1 opened: papermill run with lr=0.001, layers=[64, 32], note=None"
    )
    assert "papermill's output notebook is not readable here" in info.body
    executed = read_notebook(elsewhere / "out.ipynb")
    assert [cell["source"] for cell in content["cells"]] == [
        cell["source"] for cell in executed["cells"]
    ]
    assert content["cells"][1]["metadata"]["tags"] == ["injected-parameters"]
    # The other cells are the input's, as it is on disk.
    input_cells = read_notebook(train)["cells"]
    assert content["cells"][:1] + content["cells"][2:] == input_cells
    # Neptune's stringify_unsupported: the list and None as strings.
    assert fields("DEF-1", "parameters/lr", "parameters/layers", "parameters/note") == {
        "parameters/lr": 0.001,
        "parameters/layers": "[64, 32]",
        "parameters/note": "None",
    }


def test_parameters_the_notebook_logs_itself_are_left_to_it(
    tmp_path: Path, nepnb_home: Path
) -> None:
    train_notebook(tmp_path / "train.ipynb", 'run["parameters"] = {"learning_rate": lr}')
    run_tool("papermill", "train.ipynb", "out.ipynb", "-p", "lr", "0.01", cwd=tmp_path)
    run = nepnb.init_run(with_id="DEF-1", mode="read-only")
    try:
        assert run["parameters/learning_rate"].fetch() == 0.01
        assert not run.exists("parameters/lr")
    finally:
        run.stop()


# -- nbconvert, jupyter execute --------------------------------------------------------------


def test_nbconvert_execute_links_the_notebook_and_names_the_output(
    tmp_path: Path, nepnb_home: Path
) -> None:
    train = train_notebook(tmp_path / "train.ipynb")
    command = ("jupyter-nbconvert", "--to", "notebook", "--execute", "train.ipynb")
    for run_id in ("DEF-1", "DEF-2"):  # the second time, ex.ipynb holds the same cells
        run_tool(*command, "--output", "ex.ipynb", cwd=tmp_path)
        ref, info, content = link_of(run_id)
        assert ref["path"] == str(train)
        assert info.summary == f"Run {run_id} opened: nbconvert --execute"
        assert f"Output notebook: {tmp_path / 'ex.ipynb'}" in info.body.splitlines()
        # the file nbconvert read, as it is (with the id of its history)
        assert content == with_notebook_id(read_notebook(train), ref["notebook_id"])
        assert fields(run_id, "parameters/lr") == {}  # no papermill, no parameters
    opened = nbformat.read(tmp_path / "ex.ipynb", as_version=4).cells[1]
    assert stream_text(opened).splitlines()[:2] == [
        "nepnb: chose train.ipynb over ex.ipynb, which holds the same cells: nbconvert "
        "names train.ipynb",
        f"nepnb: run DEF-2 is open as `run` (in project local/default, local store {nepnb_home})",
    ]
    assert stream_text(opened, "stderr") == ""


def test_jupyter_execute_links_the_notebook(tmp_path: Path, nepnb_home: Path) -> None:
    train = train_notebook(tmp_path / "nbs" / "train.ipynb")
    output = run_tool("jupyter-execute", "nbs/train.ipynb", cwd=tmp_path)
    assert "nepnb warning" not in output
    ref, info, content = link_of("DEF-1")
    assert ref["path"] == str(train)
    assert info.summary == "Run DEF-1 opened: jupyter execute"
    assert "Output notebook" not in info.body  # jupyter execute writes none
    assert content == with_notebook_id(read_notebook(train), ref["notebook_id"])


# -- nbclient's NotebookClient -------------------------------------------------------------


def test_notebook_client_links_the_one_notebook_it_runs(tmp_path: Path, nepnb_home: Path) -> None:
    train = train_notebook(tmp_path / "train.ipynb")
    executed = execute(nbformat.read(train, as_version=4), tmp_path)
    assert stream_text(executed.cells[1], "stderr") == ""
    ref, info, content = link_of("DEF-1")
    assert ref["path"] == str(train)
    assert info.summary == "Run DEF-1 opened: headless run"
    assert info.body.startswith("Kernel started by: ")  # this test's process
    assert content == with_notebook_id(read_notebook(train), ref["notebook_id"])


def test_notebook_client_says_it_cannot_choose_between_two_copies(
    tmp_path: Path, nepnb_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train = train_notebook(tmp_path / "train.ipynb")
    shutil.copy(train, tmp_path / "copy.ipynb")
    executed = execute(nbformat.read(train, as_version=4), tmp_path)
    warning = stream_text(executed.cells[1], "stderr")
    assert warning == (
        "nepnb warning: the run is not linked to a checkpoint: the cells this kernel ran are "
        f"in more than one notebook ({tmp_path / 'copy.ipynb'}, {tmp_path / 'train.ipynb'}) "
        "and nothing tells which one it runs; give the kernel JPY_SESSION_NAME=<the "
        "notebook's path>\n"
    )
    assert fields("DEF-1", "source_code/notebook") == {}
    assert Checkpoints(local_store(), "local/default").notebooks() == []

    # What the warning says to do: the kernel is given the notebook's path.
    monkeypatch.setenv("JPY_SESSION_NAME", str(train))
    executed = execute(nbformat.read(train, as_version=4), tmp_path)
    assert stream_text(executed.cells[1], "stderr") == ""
    ref, info, _ = link_of("DEF-2")
    assert ref["path"] == str(train)
    assert info.summary == "Run DEF-2 opened"


def test_a_notebook_changed_since_it_started_is_not_checkpointed(
    tmp_path: Path, nepnb_home: Path
) -> None:
    train = train_notebook(tmp_path / "train.ipynb")
    running = nbformat.read(train, as_version=4)
    running.cells[0].source = "lr = 0.3"  # not what the file holds
    executed = execute(running, tmp_path)
    assert stream_text(executed.cells[1], "stderr") == (
        "nepnb warning: the run is not linked to a checkpoint: the cells this kernel ran are "
        f"in no notebook in {tmp_path}: was the notebook changed after it started?\n"
    )
    assert Checkpoints(local_store(), "local/default").notebooks() == []
    assert read_notebook(train)["cells"][0]["source"] == "lr = 0.1"
