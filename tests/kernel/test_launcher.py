"""The launcher of a kernel, read from its command line: which executor it is, the notebooks
it names, where it writes the executed notebook (as papermill, nbconvert and jupyter execute
read their own command lines)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nepnb.kernel.launcher import JUPYTER_EXECUTE, NBCONVERT, PAPERMILL, Launcher, launcher
from tests.helpers.nbrun import notebook_dict, write_notebook

PYTHON = "/venv/bin/python3.11"


def started_by(*argv: str, cwd: Path | None = None, pwd: Path | None = None) -> Launcher:
    environ = {"PWD": str(pwd)} if pwd is not None else {}
    return Launcher(tuple(argv), cwd, environ, None)


@pytest.mark.parametrize(
    ("argv", "program", "tool"),
    [
        ((PYTHON, "/venv/bin/papermill", "a.ipynb", "b.ipynb"), "papermill", PAPERMILL),
        (("papermill", "a.ipynb"), "papermill", PAPERMILL),
        ((PYTHON, "-u", "-X", "utf8", "-m", "papermill", "a.ipynb"), "papermill", PAPERMILL),
        (
            (PYTHON, "/venv/bin/jupyter-nbconvert", "--execute", "a.ipynb"),
            "jupyter-nbconvert",
            NBCONVERT,
        ),
        (("jupyter", "nbconvert", "--execute", "a.ipynb"), "jupyter-nbconvert", NBCONVERT),
        ((PYTHON, "-m", "nbconvert", "--execute", "a.ipynb"), "nbconvert", NBCONVERT),
        ((PYTHON, "/venv/bin/jupyter-execute", "a.ipynb"), "jupyter-execute", JUPYTER_EXECUTE),
        (("C:\\venv\\Scripts\\jupyter-execute.exe", "a.ipynb"), "jupyter-execute", JUPYTER_EXECUTE),
        ((PYTHON, "sweep.py"), "sweep.py", None),
        ((PYTHON, "-m", "ipykernel_launcher", "-f", "k.json"), "ipykernel_launcher", None),
        ((PYTHON, "/venv/bin/jupyter-lab"), "jupyter-lab", None),
        ((), "", None),
    ],
)
def test_the_executor_is_told_by_its_command_line(
    argv: tuple[str, ...], program: str, tool: str | None
) -> None:
    assert started_by(*argv).program == program
    assert started_by(*argv).tool == tool


def test_jupyter_servers_are_not_headless() -> None:
    for argv in [
        (PYTHON, "/venv/bin/jupyter-lab", "--no-browser"),
        ("jupyter", "notebook"),
        (PYTHON, "-m", "jupyterlab"),
        ("jupyterhub-singleuser",),
    ]:
        assert started_by(*argv).is_jupyter_server, argv
    for argv in [("jupyter", "nbconvert", "--execute"), ("papermill",), (PYTHON, "sweep.py")]:
        assert not started_by(*argv).is_jupyter_server, argv


def test_named_notebooks_are_the_inputs_that_exist(tmp_path: Path) -> None:
    for name in ("train.ipynb", "ex.ipynb", "a1.ipynb", "a2.ipynb", "sub/deep.ipynb"):
        write_notebook(tmp_path / name, notebook_dict("x = 1"))
    nbconvert = started_by(
        "jupyter", "nbconvert", "--to", "notebook", "--execute", "train.ipynb",
        "--output", "ex.ipynb", "missing.ipynb", "--output-dir=.", cwd=tmp_path,
    )  # fmt: skip
    assert nbconvert.named_notebooks() == [tmp_path / "train.ipynb"]
    assert started_by("jupyter", "nbconvert", "--execute", "a*.ipynb", cwd=tmp_path).named_notebooks() == [
        tmp_path / "a1.ipynb",
        tmp_path / "a2.ipynb",
    ]  # fmt: skip
    # jupyter execute adds the suffix; papermill's input and output both count.
    assert started_by("jupyter-execute", "sub/deep", cwd=tmp_path).named_notebooks() == [
        tmp_path / "sub" / "deep.ipynb"
    ]
    papermill = started_by(
        "papermill", "train.ipynb", "ex.ipynb", "-p", "lr", "0.01", cwd=tmp_path / "sub"
    )
    assert papermill.named_notebooks() == []  # relative to another folder
    moved = started_by("papermill", "train.ipynb", "ex.ipynb", cwd=tmp_path / "sub", pwd=tmp_path)
    assert moved.named_notebooks() == [tmp_path / "train.ipynb", tmp_path / "ex.ipynb"]
    assert started_by(PYTHON, "sweep.py", "train.ipynb", cwd=tmp_path).named_notebooks() == []


def test_the_output_notebook_as_nbconvert_and_jupyter_execute_name_it(tmp_path: Path) -> None:
    notebook = tmp_path / "nbs" / "train.ipynb"

    def output(*argv: str) -> str | None:
        return started_by(*argv, cwd=tmp_path).output_of(notebook)

    nbs = tmp_path / "nbs"
    convert = ("jupyter", "nbconvert", "--execute")
    assert output(*convert, "--to", "notebook", "--output", "ex.ipynb") == str(nbs / "ex.ipynb")
    assert output(*convert, "--to=notebook", "--output=ex") == str(nbs / "ex.ipynb")
    assert output(*convert, "--to", "notebook") == str(nbs / "train.nbconvert.ipynb")
    assert output(*convert, "--to", "notebook", "--output-dir", "out") == str(
        tmp_path / "out" / "train.ipynb"
    )
    assert output(*convert, "--to", "notebook", "--inplace") is None
    assert output(*convert, "--to", "notebook", "--stdout") is None
    assert output(*convert, "--to", "html") is None  # not a notebook
    execute = ("jupyter", "execute", "nbs/train.ipynb")
    assert output(*execute) is None  # it writes nothing
    assert output(*execute, "--output", "{notebook_name}-done") == str(nbs / "train-done.ipynb")
    assert output(*execute, "--inplace") is None
    assert output("papermill", "nbs/train.ipynb", "out.ipynb") is None  # papermill says it


def test_launcher_reads_the_process_that_started_this_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    assert launcher() is None  # not started by jupyter_client
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()", "train.ipynb"],
        cwd=tmp_path,
        env={**os.environ, "MARKER": "launcher"},
        stdin=subprocess.PIPE,
    )
    try:
        monkeypatch.setenv("JPY_PARENT_PID", str(process.pid))
        found = launcher()
        assert found is not None
        assert found.argv[-1] == "train.ipynb"
        assert found.cwd == tmp_path
        assert found.environ is not None and found.environ["MARKER"] == "launcher"
        assert found.started is not None
    finally:
        process.communicate()
    monkeypatch.setenv("JPY_PARENT_PID", str(process.pid))  # gone now
    assert launcher() is None
