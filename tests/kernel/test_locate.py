"""find_notebook finds the notebook a kernel runs: from JPY_SESSION_NAME (unless inherited from
its launcher), VS Code's variable, a real Jupyter server's sessions, or the cells it executed
(a headless run: nbclient, papermill)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from jupyter_client.blocking import BlockingKernelClient

from nepnb.exceptions import NepnbWarning
from nepnb.kernel.headless import MAX_SEARCHED_BYTES, MAX_SEARCHED_FILES
from nepnb.kernel.locate import NotebookLocation, find_notebook
from tests.helpers.nbrun import (
    error_of,
    execute,
    make_notebook,
    nbformat3_notebook,
    notebook_dict,
    stream_text,
    write_notebook,
)
from tests.helpers.servers import JupyterLab, running_jupyter_lab

# Prints what find_notebook answers, as JSON (run in a subprocess or a kernel).
REPORT = """\
import json
from nepnb.kernel.locate import find_notebook

def _report(found):
    if found is None:
        return None
    return {"path": str(found.path), "found_by": found.found_by, "server_path": found.server_path}
"""


@pytest.fixture(autouse=True)
def no_session_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests in this process run outside any Jupyter session, not started by jupyter_client."""
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)


def locate_in_subprocess(
    cwd: Path,
    session_name: str | None = None,
    user_ns: dict[str, Any] | None = None,
    executed: list[str] | None = None,
    launcher_pid: int | None = None,
) -> dict[str, Any] | None:
    """find_notebook in a fresh Python process started in ``cwd`` with ``JPY_SESSION_NAME``
    set to ``session_name``, as a kernel started by jupyter_server has it (and
    ``JPY_PARENT_PID`` to ``launcher_pid``: the process that started the kernel)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("JPY_SESSION_NAME", "JPY_PARENT_PID")
    }
    env["JUPYTER_RUNTIME_DIR"] = str(cwd / ".no-servers")  # no server info files
    if session_name is not None:
        env["JPY_SESSION_NAME"] = session_name
    if launcher_pid is not None:
        env["JPY_PARENT_PID"] = str(launcher_pid)
    code = REPORT + (
        "import sys\n"
        "print(json.dumps(_report(find_notebook(json.loads(sys.argv[1]), json.loads(sys.argv[2])))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(user_ns), json.dumps(executed)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stderr == ""
    return json.loads(result.stdout)


def notebook_file(path: Path, *sources: str) -> Path:
    """A notebook file with one code cell per source."""
    return write_notebook(path, notebook_dict(*sources))


def location(path: Path, found_by: str, server_path: str | None = None) -> dict[str, Any]:
    return {"path": str(path), "found_by": found_by, "server_path": server_path}


# -- JPY_SESSION_NAME ----------------------------------------------------------------------


def test_absolute_session_name(tmp_path: Path) -> None:
    notebook = notebook_file(tmp_path / "sub" / "analysis.ipynb", "x = 1")
    found = locate_in_subprocess(tmp_path, session_name=str(notebook))
    # No server started this process: the server root, hence server_path, is unknown.
    assert found == location(notebook, "jpy_session_name")


def test_relative_session_name_resolved_from_the_kernel_folder(tmp_path: Path) -> None:
    # jupyter_server starts the kernel in the notebook's folder; without a name in the session
    # request, JPY_SESSION_NAME is the path relative to the server root.
    root = tmp_path / "root"
    notebook = notebook_file(root / "a" / "b" / "analysis.ipynb", "x = 1")
    found = locate_in_subprocess(notebook.parent, session_name="a/b/analysis.ipynb")
    assert found == location(notebook, "jpy_session_name", "a/b/analysis.ipynb")

    at_root = notebook_file(root / "top.ipynb", "x = 1")
    found = locate_in_subprocess(root, session_name="top.ipynb")
    assert found == location(at_root, "jpy_session_name", "top.ipynb")


def test_session_name_of_a_missing_file_falls_through(tmp_path: Path) -> None:
    vscode = notebook_file(tmp_path / "vscode.ipynb", "x = 1")
    found = locate_in_subprocess(
        tmp_path,
        session_name=str(tmp_path / "renamed-away.ipynb"),
        user_ns={"__vsc_ipynb_file__": str(vscode)},
    )
    assert found == location(vscode, "vscode")


def test_session_name_of_a_file_that_is_no_notebook_is_not_reported(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text("x = 1\n")
    (tmp_path / "folder.ipynb").mkdir()
    assert locate_in_subprocess(tmp_path, session_name=str(script)) is None
    assert locate_in_subprocess(tmp_path, session_name="folder.ipynb") is None


def test_a_session_name_inherited_from_the_launcher_is_not_this_kernels(tmp_path: Path) -> None:
    # papermill or nbclient run from a notebook's cell: the kernel they start inherits the
    # notebook's JPY_SESSION_NAME, and so does the launcher itself; jupyter_server sets it
    # for the kernel only.
    driver = notebook_file(tmp_path / "driver.ipynb", "x = 1")
    for launcher_env, expected in [
        ({"JPY_SESSION_NAME": str(driver)}, None),
        ({"JPY_SESSION_NAME": str(tmp_path / "other.ipynb")}, location(driver, "jpy_session_name")),
        ({}, location(driver, "jpy_session_name")),
    ]:
        env = {key: value for key, value in os.environ.items() if key != "JPY_SESSION_NAME"}
        launcher = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.read()"],
            env={**env, **launcher_env},
            stdin=subprocess.PIPE,
        )
        try:
            found = locate_in_subprocess(
                tmp_path, session_name=str(driver), launcher_pid=launcher.pid
            )
        finally:
            launcher.communicate()
        assert found == expected, launcher_env


# -- VS Code -------------------------------------------------------------------------------


def found(
    user_ns: Mapping[str, Any] | None, executed: list[str] | None, **options: Any
) -> tuple[Path, str] | None:
    """Where find_notebook finds the notebook, and how."""
    location = find_notebook(user_ns, executed, **options)
    return (location.path, location.found_by) if location is not None else None


def test_vscode_variable(tmp_path: Path) -> None:
    notebook = notebook_file(tmp_path / "vscode.ipynb", "x = 1")
    assert find_notebook({"__vsc_ipynb_file__": str(notebook)}) == NotebookLocation(
        notebook, "vscode"
    )


def test_vscode_variable_of_a_missing_file_falls_through_to_the_executed_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    notebook = notebook_file(tmp_path / "here.ipynb", "x = 1")
    user_ns = {"__vsc_ipynb_file__": str(tmp_path / "gone.ipynb")}
    assert found(user_ns, ["x = 1"]) == (notebook, "executed_cells")
    assert found(user_ns, ["y = 2"]) is None


# -- The cells the kernel executed ---------------------------------------------------------


def test_the_notebook_is_the_one_that_begins_with_the_executed_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = 'import nepnb\nrun = nepnb.init_run(name="a/b")'
    notebook = notebook_file(tmp_path / "analysis.ipynb", "import math", source, "run.stop()")
    notebook_file(tmp_path / "other.ipynb", "import math", source + "\nrun.stop()")
    notebook_file(tmp_path / "later.ipynb", "import os", "import math", source)
    # Neither the same text in a markdown cell, nor a Jupyter checkpoint copy, nor a notebook
    # in a sub-folder, nor a broken file counts.
    markdown = notebook_dict("import math")
    markdown["cells"].append({"cell_type": "markdown", "id": "m", "metadata": {}, "source": source})
    write_notebook(tmp_path / "notes.ipynb", markdown)
    notebook_file(
        tmp_path / ".ipynb_checkpoints" / "analysis-checkpoint.ipynb", "import math", source
    )
    notebook_file(tmp_path / "sub" / "copy.ipynb", "import math", source)
    (tmp_path / "broken.ipynb").write_text('{"cells": [' + json.dumps(source))
    (tmp_path / "folder.ipynb").mkdir()

    expected = (notebook, "executed_cells")
    assert found({}, ["import math", source]) == expected
    # The cells as the kernel got them may differ in surrounding whitespace and line ends.
    assert found({}, ["import math\n", "\n  " + source.replace("\n", "\r\n") + "\n\n"]) == expected
    assert found({}, [source]) is None  # not the first cell: not how the notebook ran
    assert found({}, ["import math", "import nepnb"]) is None  # a part of a cell is not the cell
    assert found({}, [""]) is None
    assert found({}, []) is None
    assert found({}, None) is None


def test_cells_an_executor_skips_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    notebook = notebook_dict("x = 1", "  \n", "skipped()", "y = 2")
    notebook["cells"][2]["metadata"]["tags"] = ["skip-execution"]  # nbclient's default tag
    write_notebook(tmp_path / "skips.ipynb", notebook)
    assert found({}, ["x = 1", "y = 2"]) == (tmp_path / "skips.ipynb", "executed_cells")


def test_no_answer_when_two_notebooks_begin_with_the_executed_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    notebook_file(tmp_path / "one.ipynb", "import math", "x = 1")
    notebook_file(tmp_path / "two.ipynb", "import math", "y = 2")
    notes: list[str] = []
    assert found({}, ["import math"], notes=notes) is None
    assert notes == [
        f"the cells this kernel ran are in more than one notebook ({tmp_path / 'one.ipynb'}, "
        f"{tmp_path / 'two.ipynb'}) and nothing tells which one it runs; give the kernel "
        "JPY_SESSION_NAME=<the notebook's path>"
    ]
    assert found({}, ["import math", "x = 1"]) == (tmp_path / "one.ipynb", "executed_cells")


def test_a_notebook_papermill_wrote_before_gives_way_to_its_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    train = notebook_file(tmp_path / "train.ipynb", "import math", "x = 1")
    earlier = notebook_dict("import math", "x = 1")  # papermill's output of a finished run
    earlier["metadata"]["papermill"] = {"input_path": "train.ipynb", "end_time": "2026-01-01"}
    write_notebook(tmp_path / "out.ipynb", earlier)
    notes: list[str] = []
    assert found({}, ["import math"], notes=notes) == (train, "executed_cells")
    assert notes == [
        "chose train.ipynb over out.ipynb, which holds the same cells: papermill wrote it from "
        "train.ipynb"
    ]
    # A copy beside them is as good a candidate as train.ipynb: no answer.
    notebook_file(tmp_path / "copy.ipynb", "import math", "x = 1")
    notes.clear()
    assert found({}, ["import math"], notes=notes) is None
    assert str(tmp_path / "copy.ipynb") in notes[0] and str(train) in notes[0]


def test_papermills_input_fits_with_the_parameters_cell_it_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    notebook = notebook_dict("import math", "lr = 0.1", "train(lr)")
    notebook["cells"][1]["metadata"]["tags"] = ["parameters"]
    write_notebook(tmp_path / "train.ipynb", notebook)
    injected = '# Parameters\nlr = 0.01\nname = "a b"\n'
    # IPython's history drops the last line end.
    executed = ["import math", "lr = 0.1", injected.rstrip("\n"), "train(lr)"]
    location = find_notebook({}, executed)
    assert location is not None and location.execution is not None
    execution = location.execution
    assert (execution.path, execution.tool) == (tmp_path / "train.ipynb", "papermill")
    assert execution.parameters == {"lr": 0.01, "name": "a b"}
    assert execution.how == "papermill run with lr=0.01, name='a b'"
    cells = execution.notebook["cells"]
    assert [cell["source"] for cell in cells] == ["import math", "lr = 0.1", injected, "train(lr)"]
    assert cells[2]["metadata"] == {"tags": ["injected-parameters"]}
    # Without the parameters cell papermill writes, or with another one, no answer.
    assert find_notebook({}, ["import math", "lr = 0.1", "lr = 0.01", "train(lr)"]) is None
    # A notebook papermill wrote before: its injected cell is replaced, not added to.
    notebook["cells"].insert(
        2, {**notebook["cells"][0], "id": "old", "source": "# Parameters\nlr = 9"}
    )
    notebook["cells"][2]["metadata"] = {"tags": ["injected-parameters"]}
    write_notebook(tmp_path / "train.ipynb", notebook)
    location = find_notebook({}, executed)
    assert location is not None and location.execution is not None
    assert [cell["source"] for cell in location.execution.notebook["cells"]] == [
        "import math", "lr = 0.1", injected, "train(lr)"
    ]  # fmt: skip


def test_the_executed_cells_read_as_json_writers_store_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # Lines as a list, Windows line ends, escaped non-ASCII, quotes, '/' as \/, '<' as \u003c.
    source = 'url = "https://example.org/π<ü>"\nprint(url)\n'
    escaped = notebook_dict("")
    escaped["cells"][0]["source"] = ['url = "https://example.org/π<ü>"\r\n', "print(url)\r\n"]
    text = json.dumps(escaped, ensure_ascii=True).replace("/", "\\/").replace("<", "\\u003c")
    assert "example.org\\/\\u03c0\\u003c" in text
    (tmp_path / "escaped.ipynb").write_text(text)
    assert found({}, [source]) == (tmp_path / "escaped.ipynb", "executed_cells")

    old = write_notebook(tmp_path / "old.ipynb", nbformat3_notebook(code="print('v3')"))
    assert found({}, ["print('v3')"]) == (old, "executed_cells")


def test_notebooks_over_the_size_limit_are_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    notebook = notebook_file(tmp_path / "small.ipynb", "x = 1")
    big = notebook_dict("x = 1")
    big["metadata"]["padding"] = "x" * MAX_SEARCHED_BYTES
    write_notebook(tmp_path / "big.ipynb", big)
    assert (tmp_path / "big.ipynb").stat().st_size > MAX_SEARCHED_BYTES
    assert found({}, ["x = 1"]) == (notebook, "executed_cells")


def test_only_the_most_recently_modified_notebooks_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    now = time.time()
    target = notebook_file(tmp_path / "target.ipynb", "x = 1")
    os.utime(target, (now - 3600, now - 3600))
    for index in range(MAX_SEARCHED_FILES):
        decoy = notebook_file(tmp_path / f"decoy{index:02}.ipynb", f"y = {index}")
        os.utime(decoy, (now - index, now - index))
    assert found({}, ["x = 1"]) is None  # the oldest of 51: not read
    os.utime(target, (now + 1, now + 1))
    assert found({}, ["x = 1"]) == (target, "executed_cells")


def test_no_notebooks_or_no_time_gives_no_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert found(None, ["x = 1"]) is None
    notebook = notebook_file(tmp_path / "analysis.ipynb", "x = 1")
    assert found(None, ["x = 1"]) == (notebook, "executed_cells")
    # A search that runs out of time gives no answer rather than a guess.
    assert found(None, ["x = 1"], timeout=0) is None


# -- Never raises; imports nothing heavy ---------------------------------------------------


class _BrokenNamespace(Mapping[str, Any]):
    """A namespace that fails in a way no strategy expects."""

    def __getitem__(self, key: str) -> Any:
        raise ZeroDivisionError("broken namespace")

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_a_locator_bug_is_a_warning_not_an_error(tmp_path: Path) -> None:
    with pytest.warns(NepnbWarning, match="ZeroDivisionError: broken namespace"):
        assert find_notebook(_BrokenNamespace(), ["x = 1"]) is None


def test_find_notebook_imports_no_jupyter_modules(tmp_path: Path) -> None:
    notebook_file(tmp_path / "analysis.ipynb", "x = 1")
    code = (
        "import sys\n"
        "from nepnb.kernel.locate import find_notebook\n"
        "found = find_notebook(None, ['x = 1'])\n"
        "heavy = ('IPython', 'ipykernel', 'jupyter_server', 'jupyter_client', 'tornado')\n"
        "print(found.found_by, [m for m in heavy if m in sys.modules])\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "JPY_SESSION_NAME"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip() == "executed_cells []", result.stderr


# -- A real kernel started by nbclient -----------------------------------------------------


@pytest.mark.kernel
def test_nbclient_kernel_finds_its_notebook_by_the_cells_it_ran(tmp_path: Path) -> None:
    locate = REPORT + "print(json.dumps(_report(find_notebook())))"
    notebook = make_notebook('marker = "locate-me"', locate)
    path = tmp_path / "analysis.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    notebook_file(tmp_path / "other.ipynb", "marker = 'something else'", locate)

    executed = execute(notebook, tmp_path)
    cell = executed.cells[1]
    assert error_of(cell) is None
    assert stream_text(cell, "stderr") == ""
    assert json.loads(stream_text(cell)) == location(path, "executed_cells")


# -- A real Jupyter server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    workdir = tmp_path_factory.mktemp("lab")
    with running_jupyter_lab(workdir, workdir / "jupyter-lab.log") as server:
        yield server


def start_session(lab: JupyterLab, body: dict[str, Any]) -> dict[str, Any]:
    """A session created through the server's REST API; its kernel started by the server."""
    response = httpx.post(
        f"{lab.url}/api/sessions",
        json={"type": "notebook", "kernel": {"name": "python3"}, **body},
        headers={"Authorization": f"token {lab.token}"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return response.json()


def stop_session(lab: JupyterLab, session: dict[str, Any]) -> None:
    httpx.delete(
        f"{lab.url}/api/sessions/{session['id']}",
        headers={"Authorization": f"token {lab.token}"},
        timeout=30,
    )


def run_in_kernel(lab: JupyterLab, kernel_id: str, code: str) -> str:
    """Execute ``code`` in a kernel of ``lab``; its stdout (fails on an error or stderr)."""
    # running_jupyter_lab keeps the server's runtime folder (connection files) next to root.
    runtime = lab.root_dir.parent / "jupyter" / "runtime"
    client = BlockingKernelClient(connection_file=str(runtime / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    client.start_channels()
    streams: dict[str, str] = {"stdout": "", "stderr": ""}

    def on_output(message: dict[str, Any]) -> None:
        if message["msg_type"] == "stream":
            streams[message["content"]["name"]] += message["content"]["text"]
        elif message["msg_type"] == "error":
            streams["stderr"] += "\n".join(message["content"]["traceback"])

    try:
        client.wait_for_ready(timeout=30)
        reply = client.execute_interactive(code, timeout=30, output_hook=on_output)
    finally:
        client.stop_channels()
    assert reply["content"]["status"] == "ok", streams["stderr"]
    assert streams["stderr"] == ""
    return streams["stdout"]


def locate_in_server_kernel(
    lab: JupyterLab, session: dict[str, Any], before: str = ""
) -> tuple[str | None, dict[str, Any] | None]:
    """JPY_SESSION_NAME in the session's kernel, and what find_notebook answers there after
    running ``before``."""
    code = REPORT + (
        "import os\n"
        "session_name = os.environ.get('JPY_SESSION_NAME')\n"
        f"{before}\n"
        "print(json.dumps([session_name, _report(find_notebook(get_ipython().user_ns))]))\n"
    )
    session_name, found = json.loads(run_in_kernel(lab, session["kernel"]["id"], code))
    return session_name, found


@pytest.mark.server
@pytest.mark.kernel
def test_server_kernel_found_by_absolute_session_name(lab: JupyterLab, tmp_path: Path) -> None:
    notebook = notebook_file(lab.root_dir / "abs" / "analysis.ipynb", "x = 1")
    # JupyterLab and Notebook 7 name the session after the file: the server then sets
    # JPY_SESSION_NAME to the kernel's folder joined with that name, an absolute path.
    session = start_session(lab, {"path": "abs/analysis.ipynb", "name": "analysis.ipynb"})
    try:
        # Even after the user changed folders.
        session_name, found = locate_in_server_kernel(lab, session, f"os.chdir({str(tmp_path)!r})")
    finally:
        stop_session(lab, session)
    assert session_name == str(notebook)
    assert found == location(notebook, "jpy_session_name", "abs/analysis.ipynb")


@pytest.mark.server
@pytest.mark.kernel
def test_server_kernel_found_by_relative_session_name(lab: JupyterLab, tmp_path: Path) -> None:
    notebook = notebook_file(lab.root_dir / "rel" / "analysis.ipynb", "x = 1")
    # Without a name, JPY_SESSION_NAME is the session path, relative to the server root.
    session = start_session(lab, {"path": "rel/analysis.ipynb"})
    try:
        # The kernel left its folder: only the root of the server that started it resolves
        # the path.
        session_name, found = locate_in_server_kernel(lab, session, f"os.chdir({str(tmp_path)!r})")
    finally:
        stop_session(lab, session)
    assert session_name == "rel/analysis.ipynb"
    assert found == location(notebook, "jpy_session_name", "rel/analysis.ipynb")


@pytest.mark.server
@pytest.mark.kernel
def test_server_kernel_found_by_sessions_api(lab: JupyterLab, tmp_path: Path) -> None:
    notebook = notebook_file(lab.root_dir / "api" / "analysis.ipynb", "x = 1")
    session = start_session(lab, {"path": "api/analysis.ipynb", "name": "analysis.ipynb"})
    try:
        session_name, found = locate_in_server_kernel(
            lab, session, f"del os.environ['JPY_SESSION_NAME']\nos.chdir({str(tmp_path)!r})"
        )
    finally:
        stop_session(lab, session)
    assert session_name == str(notebook)
    assert found == location(notebook, "server_sessions", "api/analysis.ipynb")


@pytest.mark.server
@pytest.mark.kernel
def test_renamed_notebook_found_by_sessions_api(lab: JupyterLab) -> None:
    notebook_file(lab.root_dir / "ren" / "before.ipynb", "x = 1")
    session = start_session(lab, {"path": "ren/before.ipynb", "name": "before.ipynb"})
    headers = {"Authorization": f"token {lab.token}"}
    try:
        # What JupyterLab does on a rename: move the file, then update the session's path.
        # The kernel's JPY_SESSION_NAME still names the old file.
        moved = httpx.patch(
            f"{lab.url}/api/contents/ren/before.ipynb",
            json={"path": "ren/after.ipynb"},
            headers=headers,
        )
        assert moved.status_code == 200, moved.text
        updated = httpx.patch(
            f"{lab.url}/api/sessions/{session['id']}",
            json={"path": "ren/after.ipynb", "name": "after.ipynb"},
            headers=headers,
        )
        assert updated.status_code == 200, updated.text
        session_name, found = locate_in_server_kernel(lab, session)
    finally:
        stop_session(lab, session)
    assert session_name == str(lab.root_dir / "ren" / "before.ipynb")
    assert found == location(
        lab.root_dir / "ren" / "after.ipynb", "server_sessions", "ren/after.ipynb"
    )
