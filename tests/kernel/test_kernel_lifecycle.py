"""Runs open in a real kernel survive its end: a graceful restart or shutdown stores every queued
write and leaves the run inactive, a killed kernel leaves its run marked crashed, and the
JupyterLab comm (simulated here by the test's kernel client) sends the live model, lists and
stops runs without ever stopping the kernel.

Kernels are started by jupyter_client in a temp folder holding the notebook, with
``NEPNB_HOME`` pointing at the test's store, as JupyterLab would start them (minus the server).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nepnb
from nepnb.client.config import local_store
from nepnb.notebooks import Checkpoints
from tests.helpers.kernel import TIMEOUT, Kernel
from tests.helpers.nbrun import notebook_dict, write_notebook

pytestmark = pytest.mark.timeout(30)

NOTEBOOK = "demo.ipynb"
POINTS = 10_000

MAGIC_OPEN = "%neptune init_run --name r"
PLAIN_OPEN = "import nepnb\nrun = nepnb.init_run(name='r', flush_period=3600)"
# Appends that stay queued in the kernel, then prints the run id for the test (``_sys_id``:
# a fetch would wait for the queue first).
LOG = f"""\
for i in range({POINTS}):
    run["train/loss"].append(float(i))
run["parameters/lr"] = 0.01
run["parameters/name"] = "baseline"
print("RUN", run._sys_id)"""


@pytest.fixture
def notebook_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    return folder


StartKernel = Callable[[], Kernel]


@pytest.fixture
def start_kernel(notebook_dir: Path, nepnb_home: Path, tmp_path: Path) -> Iterator[StartKernel]:
    """Start kernels in ``notebook_dir`` on the test's store; all are shut down at the end."""
    kernels: list[Kernel] = []

    def start() -> Kernel:
        kernel = Kernel(notebook_dir, nepnb_home, tmp_path / f"kernel-{len(kernels)}.log")
        kernels.append(kernel)
        return kernel

    yield start
    with contextlib.ExitStack() as closing:  # every kernel, even if one fails to close
        for kernel in kernels:
            closing.callback(kernel.close)


def save_notebook(folder: Path, *sources: str) -> Path:
    """The notebook file the kernel runs, holding the cells the test executes (so the kernel
    finds it by its cells, as under nbclient)."""
    return write_notebook(folder / NOTEBOOK, notebook_dict(*sources))


def stored_points(run: Any, path: str = "train/loss") -> list[float]:
    if not run.exists(path):
        return []
    return [float(value) for value in run[path].fetch_values()["value"]]


def read_run(run_id: str) -> Any:
    return nepnb.init_run(with_id=run_id, mode="read-only")


def assert_closed_cleanly(run_id: str) -> None:
    run = read_run(run_id)
    try:
        assert stored_points(run) == [float(i) for i in range(POINTS)]
        assert run["parameters/lr"].fetch() == 0.01
        assert run["parameters/name"].fetch() == "baseline"
        assert run["sys/state"].fetch() == "Inactive"
        if run.exists("sys/crashed"):
            assert run["sys/crashed"].fetch() is False
    finally:
        run.stop()


def runs_table_row(run_id: str) -> dict[str, Any]:
    table = nepnb.init_project(mode="read-only").fetch_runs_table(id=run_id).to_pandas()
    assert len(table) == 1, table
    return dict(table.iloc[0])


# -- 1. graceful restart and shutdown lose nothing ------------------------------------------


@pytest.mark.parametrize("opened_by", ["magic", "plain"])
@pytest.mark.parametrize("ending", ["restart", "shutdown"])
def test_graceful_end_of_the_kernel_stores_every_queued_write(
    start_kernel: StartKernel, notebook_dir: Path, opened_by: str, ending: str
) -> None:
    opening = ["%load_ext nepnb", MAGIC_OPEN] if opened_by == "magic" else [PLAIN_OPEN]
    save_notebook(notebook_dir, *opening, LOG)
    kernel = start_kernel()
    for source in opening:
        kernel.execute(source)
    run_id = kernel.execute(LOG).run_id
    if opened_by == "plain":
        # flush_period=3600: the points are still in the kernel's memory, not in the store.
        before = read_run(run_id)
        try:
            assert stored_points(before) == []
            assert before["sys/state"].fetch() == "Active"
        finally:
            before.stop()

    if ending == "restart":
        old_pid = kernel.pid
        kernel.restart()
        assert kernel.pid != old_pid
        assert kernel.execute("print(6 * 7)").stdout == "42\n"  # the new kernel runs
    else:
        kernel.shutdown()
        assert not kernel.manager.is_alive()

    assert_closed_cleanly(run_id)
    # The kernel said so (on its stderr, where the server logs it).
    assert f"nepnb: stopped run {run_id} (the kernel is shutting down" in kernel.log()


def test_after_a_restart_the_magic_opens_a_run_linked_to_a_checkpoint(
    start_kernel: StartKernel, notebook_dir: Path, nepnb_home: Path
) -> None:
    save_notebook(notebook_dir, "%load_ext nepnb", MAGIC_OPEN, "%neptune init_run", LOG)
    kernel = start_kernel()
    kernel.execute("%load_ext nepnb")
    first = kernel.execute(MAGIC_OPEN)
    assert "linked to notebook checkpoint" in first.stdout, first.stdout + first.stderr
    first_id = kernel.execute(LOG).run_id

    kernel.restart()
    # The notebook as the user has it now, run from the top (the kernel finds its notebook
    # by the cells it ran, as under nbclient).
    save_notebook(notebook_dir, "%load_ext nepnb", "%neptune init_run", LOG)
    kernel.execute("%load_ext nepnb")
    opened = kernel.execute("%neptune init_run")
    assert "nepnb warning" not in opened.stderr, opened.stderr
    assert "linked to notebook checkpoint" in opened.stdout, opened.stdout
    second_id = kernel.execute(LOG).run_id
    assert second_id != first_id
    kernel.execute("run.wait()")

    refs = {}
    for run_id in (first_id, second_id):
        run = read_run(run_id)
        try:
            refs[run_id] = run["source_code/notebook"].fetch()
        finally:
            run.stop()
    first_ref, second_ref = refs[first_id], refs[second_id]
    assert Path(second_ref["path"]) == (notebook_dir / NOTEBOOK).resolve()
    assert second_ref["checkpoint_id"] != first_ref["checkpoint_id"]
    # The file has no id (the kernel never writes into it): its history goes on by path.
    assert second_ref["notebook_id"] == first_ref["notebook_id"]
    checkpoints = Checkpoints(local_store(nepnb_home), "local/default")
    info = checkpoints.get(second_ref["checkpoint_id"])
    assert list(info.runs) == [second_id]
    cells = checkpoints.content(info)["cells"]
    assert [cell["source"] for cell in cells] == ["%load_ext nepnb", "%neptune init_run", LOG]


# -- 2. a killed kernel ----------------------------------------------------------------------


@pytest.mark.parametrize("opened_by", ["magic", "plain"])
def test_killed_kernel_keeps_what_was_waited_for_and_its_run_shows_crashed(
    start_kernel: StartKernel, notebook_dir: Path, opened_by: str
) -> None:
    opening = ["%load_ext nepnb", MAGIC_OPEN] if opened_by == "magic" else [PLAIN_OPEN]
    waited = POINTS // 2
    log = (
        f"for i in range({waited}):\n"
        '    run["train/loss"].append(float(i))\n'
        "run.wait()\n"
        f"for i in range({waited}, {POINTS}):\n"
        '    run["train/loss"].append(float(i))\n'
        'print("RUN", run._sys_id)'
    )
    save_notebook(notebook_dir, *opening, log)
    kernel = start_kernel()
    for source in opening:
        kernel.execute(source)
    run_id = kernel.execute(log).run_id
    assert runs_table_row(run_id)["sys/state"] == "Active"  # alive: never marked

    os.kill(kernel.pid, signal.SIGKILL)
    provisioner = kernel.manager.provisioner
    assert provisioner is not None
    provisioner.process.wait(timeout=TIMEOUT)  # type: ignore[attr-defined]
    assert not kernel.manager.is_alive()

    row = runs_table_row(run_id)
    assert row["sys/state"] == "Inactive"
    assert nepnb.init_project(mode="read-only").fetch_runs_table(state="active").to_pandas().empty
    assert isinstance(row["sys/crashed"], bool | np.bool_) and row["sys/crashed"], row
    run = read_run(run_id)
    try:
        points = stored_points(run)
        assert points[:waited] == [float(i) for i in range(waited)]
        assert run["sys/state"].fetch() == "Inactive"
        assert run["sys/crashed"].fetch() is True
    finally:
        run.stop()


# -- 3. the JupyterLab comm; 4. its stop never stops the kernel -----------------------------


def test_frontend_comm_live_model_run_list_and_stop_that_keeps_the_kernel(
    start_kernel: StartKernel, notebook_dir: Path, nepnb_home: Path
) -> None:
    on_disk = save_notebook(notebook_dir, "%load_ext nepnb", "%neptune init_run")
    saved = on_disk.read_bytes()
    # What the user sees: an unsaved cell, with its output, that the file does not have.
    live = notebook_dict(
        "%load_ext nepnb",
        "%neptune init_run",
        "print('unsaved edit')",
        outputs=[[], [], [{"output_type": "stream", "name": "stdout", "text": "unsaved edit\n"}]],
    )
    kernel = start_kernel()
    # Before nepnb is loaded the kernel refuses the comm (the saved file would be used).
    refused_id, refused = kernel.open_comm({"type": "status"})
    assert refused.closed == [refused_id] and refused.comm == []
    kernel.execute("%load_ext nepnb")
    # After a cell that mentions nepnb, JupyterLab opens the comm asking for the runs.
    comm_id, accepted = kernel.open_comm({"type": "status"})
    assert accepted.closed == []
    assert accepted.comm == [{"type": "runs", "runs": []}]

    # JupyterLab sends the model just before the cell, on the same (shell) channel.
    kernel.send_comm(comm_id, {"type": "model", "path": NOTEBOOK, "notebook": live})
    # The cell is in the saved file too: the checkpoint could come from either.
    opened = kernel.execute("%neptune init_run")
    assert "nepnb warning" not in opened.stderr, opened.stderr

    # The model had no notebook id: the kernel sends the one it gave it, for the next save.
    ids = [data for data in opened.comm if data["type"] == "notebook_id"]
    assert len(ids) == 1, opened.comm
    assert ids[0]["path"] == NOTEBOOK
    runs = [data for data in opened.comm if data["type"] == "runs"]
    assert runs and len(runs[-1]["runs"]) == 1, opened.comm
    run_id = runs[-1]["runs"][0]["id"]
    assert f"nepnb: run {run_id} is open as `run`" in opened.stdout
    kernel.execute("run.wait()")  # the link is stored

    run = read_run(run_id)
    try:
        ref = run["source_code/notebook"].fetch()
    finally:
        run.stop()
    assert ref["notebook_id"] == ids[0]["notebook_id"]
    assert Path(ref["path"]) == on_disk.resolve()
    assert runs[-1]["runs"][0]["checkpoint"] == ref["checkpoint_id"]
    content = Checkpoints(local_store(nepnb_home), "local/default").content(ref["checkpoint_id"])
    assert [cell["source"] for cell in content["cells"]] == [
        cell["source"] for cell in live["cells"]
    ]
    assert content["cells"][2]["outputs"] == live["cells"][2]["outputs"]
    assert content["metadata"]["nepnb"]["notebook_id"] == ref["notebook_id"]
    assert on_disk.read_bytes() == saved  # the kernel never writes into the file

    status = kernel.comm_exchange(comm_id, {"type": "status"})
    assert [data["type"] for data in status.comm] == ["runs"]
    assert [row["id"] for row in status.comm[0]["runs"]] == [run_id]

    unknown = kernel.comm_exchange(comm_id, {"type": "stop", "run": "NOPE-1"})
    assert unknown.error is None
    assert kernel.manager.is_alive()
    assert kernel.execute("print(run._state)").stdout == "started\n"

    # The stop button: the run stops, the kernel does not.
    stopped = kernel.comm_exchange(comm_id, {"type": "stop", "run": run_id})
    assert stopped.error is None
    assert [data for data in stopped.comm if data["type"] == "runs"][-1] == {
        "type": "runs",
        "runs": [],
    }
    run = read_run(run_id)
    try:
        assert run["sys/state"].fetch() == "Inactive"
    finally:
        run.stop()
    assert kernel.manager.is_alive()
    after = kernel.execute("x = 6 * 7\nprint(x, run._state)\n%neptune status")
    assert after.stdout.splitlines() == ["42 stopped", "nepnb: no run is open in this kernel"]
    assert kernel.comm_exchange(comm_id, {"type": "status"}).comm == [{"type": "runs", "runs": []}]
    assert kernel.execute("print(x)").stdout == "42\n"  # same kernel, same namespace


def test_id_given_to_the_saved_file_reaches_the_window_that_opens_the_comm_after(
    start_kernel: StartKernel, notebook_dir: Path, nepnb_home: Path
) -> None:
    # The README's first cell loads nepnb and opens the run: the comm JupyterLab opens just
    # before it is refused (nepnb is not loaded yet), so the kernel checkpoints the saved file.
    first_cell = "%load_ext nepnb\n%neptune init_run --name walk"
    on_disk = save_notebook(notebook_dir, first_cell)
    kernel = start_kernel()
    refused_id, refused = kernel.open_comm({"type": "status", "path": NOTEBOOK})
    assert refused.closed == [refused_id]
    opened = kernel.execute(first_cell)
    assert "nepnb warning" not in opened.stderr, opened.stderr
    run_id = kernel.execute("print('RUN', run._sys_id)").run_id
    kernel.execute("run.wait()")
    run = read_run(run_id)
    try:
        ref = run["source_code/notebook"].fetch()
    finally:
        run.stop()
    assert "notebook_id" not in on_disk.read_text()  # the kernel never writes into the file

    # After the cell JupyterLab opens the comm again, naming its notebook: the id comes first,
    # then the runs, so the window has the id before it lists the checkpoints.
    comm_id, accepted = kernel.open_comm({"type": "status", "path": NOTEBOOK})
    assert [data["type"] for data in accepted.comm] == ["notebook_id", "runs"], accepted.comm
    assert accepted.comm[0] == {
        "type": "notebook_id",
        "path": NOTEBOOK,
        "notebook_id": ref["notebook_id"],
    }
    # Once per window; a window showing another notebook hears nothing of it.
    again = kernel.comm_exchange(comm_id, {"type": "status", "path": NOTEBOOK})
    assert [data["type"] for data in again.comm] == ["runs"]
    _, other = kernel.open_comm({"type": "status", "path": "other.ipynb"})
    assert other.comm and {data["type"] for data in other.comm} == {"runs"}  # to every window
    # A reloaded page (a new comm) is told again.
    _, reloaded = kernel.open_comm({"type": "status", "path": NOTEBOOK})
    assert reloaded.comm[0]["notebook_id"] == ref["notebook_id"]


def test_stop_sent_while_a_cell_runs_breaks_neither_the_cell_nor_the_kernel(
    start_kernel: StartKernel, notebook_dir: Path
) -> None:
    kernel = start_kernel()
    kernel.execute("%load_ext nepnb")
    comm_id, _ = kernel.open_comm({"type": "status"})
    opened = kernel.execute("%neptune init_run --no-checkpoint\nprint('RUN', run._sys_id)")
    run_id = opened.run_id
    cell = kernel.client.execute(
        "import time\n"
        "for i in range(20):\n"
        "    run['train/loss'].append(float(i))\n"
        "    time.sleep(0.05)\n"
        "print('done', i)"
    )
    time.sleep(0.3)  # the cell is running
    stop = kernel.send_comm(comm_id, {"type": "stop", "run": run_id})
    ran = kernel.collect(cell)
    assert ran.error is None and ran.stdout == "done 19\n", ran
    stopped = kernel.collect(stop)
    assert stopped.error is None
    assert {"type": "runs", "runs": []} in stopped.comm
    assert kernel.manager.is_alive()
    assert kernel.execute("print(run._state)").stdout == "stopped\n"
    run = read_run(run_id)
    try:
        assert stored_points(run) == [float(i) for i in range(20)]
        assert run["sys/state"].fetch() == "Inactive"
    finally:
        run.stop()
