"""The ``%neptune`` magic and cell capture in real kernels: the edge cases a notebook
user meets (cell magics that run the cell again, a run resumed after a restart, settings changed
with ``%config``, a re-run ``init_run`` cell, a store that went away, two JupyterLab windows on
one kernel)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.kernel import Kernel, run_cells, stored
from tests.helpers.kernel import values as logged
from tests.helpers.nbrun import error_of, stream_text

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(120)]

CELLS = "notebook/cells"


def values(run_id: str, path: str) -> dict[int, Any]:
    run = stored(run_id)
    try:
        return logged(run, path) if run.exists(path) else {}
    finally:
        run.stop()


@pytest.fixture
def kernel(tmp_path: Path, nepnb_home: Path) -> Iterator[Kernel]:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    started = Kernel(folder, nepnb_home, tmp_path / "kernel.log")
    try:
        yield started
    finally:
        started.close()


# -- cells run from inside a cell --------------------------------------------------------------


def test_a_cell_that_runs_code_through_run_cell_is_logged_once_at_its_own_step(
    tmp_path: Path, nepnb_home: Path
) -> None:
    """``%%capture`` (and any ``get_ipython().run_cell``) runs the cell's body as a nested cell
    without a history entry: the outer cell is the one to log, and the next cell keeps its own
    step (it used to be dropped: the nested cell took its step)."""
    cells = run_cells(
        tmp_path,
        "%load_ext nepnb",
        "%neptune init_run --no-checkpoint",
        "%%capture captured\nprint('hidden')",
        "print('next')",
        "print('outer')\nget_ipython().run_cell('print(1)')\nprint('outer again')",
        "print('last')",
        # run_cell_async sends pre_run_cell, and no post_run_cell: later cells are still logged
        "await get_ipython().run_cell_async('print(2)', transformed_cell='print(2)')",
        "get_ipython().run_cell('')",  # a blank cell: no pre_run_cell either
        "print('after')",
        "%neptune stop",
    )
    assert all(error_of(cell) is None for cell in cells)
    assert stream_text(cells[4]) == "outer\n1\nouter again\n"  # the notebook shows it as usual
    sources = values("DEF-1", f"{CELLS}/source")
    assert sources == {
        2: "%neptune init_run --no-checkpoint",
        3: "%%capture captured\nprint('hidden')",
        4: "print('next')",
        5: "print('outer')\nget_ipython().run_cell('print(1)')\nprint('outer again')",
        6: "print('last')",
        7: "await get_ipython().run_cell_async('print(2)', transformed_cell='print(2)')",
        8: "get_ipython().run_cell('')",
        9: "print('after')",
    }
    stdout = values("DEF-1", f"{CELLS}/stdout")
    assert stdout[4] == "next\n"
    assert stdout[5] == "outer\n1\nouter again\n"
    assert stdout[6] == "last\n"
    assert stdout[7] == "2\n"
    assert stdout[9] == "after\n"
    assert 3 not in stdout  # %%capture took it: the notebook did not show it either


# -- a run resumed in a new kernel -------------------------------------------------------------


def test_a_run_resumed_after_a_restart_keeps_logging_its_cells(
    tmp_path: Path, nepnb_home: Path
) -> None:
    """Execution counts start again at 1 in a new kernel: the cells of the resumed run must
    still be stored (steps must increase), not silently dropped."""
    run_cells(
        tmp_path,
        "%load_ext nepnb",
        "%neptune init_run --no-checkpoint",
        "print('first session')",
        "%neptune stop",
    )
    second = run_cells(
        tmp_path,
        "%load_ext nepnb",
        "%neptune init_run --no-checkpoint --with-id DEF-1",
        "print('second session')",
        "%neptune stop",
    )
    assert all(error_of(cell) is None for cell in second)
    sources = values("DEF-1", f"{CELLS}/source")
    assert list(sources.values()) == [
        "%neptune init_run --no-checkpoint",
        "print('first session')",
        "%neptune init_run --no-checkpoint --with-id DEF-1",
        "print('second session')",
    ]
    steps = list(sources)
    assert steps[:2] == [2, 3]  # a new run: step = execution count
    assert steps == sorted(steps)
    stdout = values("DEF-1", f"{CELLS}/stdout")
    assert stdout[steps[3]] == "second session\n"


# -- settings -----------------------------------------------------------------------------------


def test_config_changes_apply_without_another_neptune_command(
    tmp_path: Path, nepnb_home: Path
) -> None:
    cells = run_cells(
        tmp_path,
        "%load_ext nepnb",
        "import nepnb\nrun = nepnb.init_run()",
        "%config NeptuneMagics.idle_minutes = 0.005",  # 0.3 s
        "import time; time.sleep(0.5)",
        "print('next')",
        "%config NeptuneMagics.capture = False",
        "other = nepnb.init_run()",
        "print('not captured')",
        "other.stop(); run.stop()",
    )
    assert all(error_of(cell) is None for cell in cells)
    assert "run DEF-1 (variable `run`) has had no activity" in stream_text(cells[4], "stderr")
    # README: "`%config NeptuneMagics.capture = False` turns cell capture off for the runs
    # opened from then on" (a plain init_run too)
    assert values("DEF-2", f"{CELLS}/source") == {}
    assert 8 in values("DEF-1", f"{CELLS}/source")  # the run opened before keeps capturing


# -- hanging runs -------------------------------------------------------------------------------

HINT = re.compile(r"Stop it with `([^`]+)`")


@pytest.mark.parametrize(
    "opening",
    ["%neptune init_run --no-checkpoint", "import nepnb\nrun = nepnb.init_run()"],
    ids=["magic", "plain"],
)
def test_re_running_the_cell_that_opened_a_run_hints_a_stop_of_the_old_run(
    kernel: Kernel, opening: str
) -> None:
    """Re-running the cell re-binds ``run`` to the new run: the hint of the "still open"
    warning must stop the old run, not the new one."""
    kernel.execute("%load_ext nepnb")
    kernel.execute(opening)
    again = kernel.execute(opening)
    warning = next(line for line in again.stderr.splitlines() if "still open in this" in line)
    assert "run DEF-1" in warning
    hint = HINT.search(warning)
    assert hint is not None, warning
    kernel.execute(hint.group(1))  # the user follows the advice
    status = kernel.execute("print(run._sys_id, run._state)\n%neptune status").stdout
    lines = status.splitlines()
    assert lines[0] == "DEF-2 started"  # the new run is still open …
    assert [line.split()[0] for line in lines[2:]] == ["DEF-2"]  # … and only it


def test_the_same_run_opened_twice_in_a_kernel_logs_each_cell_once(
    tmp_path: Path, nepnb_home: Path
) -> None:
    cells = run_cells(
        tmp_path,
        "%load_ext nepnb",
        "%neptune init_run --no-checkpoint",
        "%neptune init_run --no-checkpoint --with-id DEF-1 --var same",
        "print('once')",
        "%neptune stop --all",
    )
    assert all(error_of(cell) is None for cell in cells)
    for cell in cells:
        assert "not stored" not in stream_text(cell, "stderr"), stream_text(cell, "stderr")
    assert values("DEF-1", f"{CELLS}/stdout")[4] == "once\n"


# -- errors inside nepnb --------------------------------------------------------------------------


def test_stop_does_not_claim_writes_were_flushed_when_the_store_is_gone(
    tmp_path: Path, nepnb_home: Path
) -> None:
    cells = run_cells(
        tmp_path,
        "%load_ext nepnb",
        "%neptune init_run --no-checkpoint",
        f"import shutil; shutil.rmtree({str(nepnb_home)!r})\nrun['x'] = 1",
        "%neptune stop",
        "print('still fine')",
    )
    assert all(error_of(cell) is None for cell in cells)
    stopping = cells[3]
    assert "nepnb warning: stopping run DEF-1 failed" in stream_text(stopping, "stderr")
    assert "flushed" not in stream_text(stopping)
    assert stream_text(cells[4]) == "still fine\n"
    shutil.rmtree(nepnb_home, ignore_errors=True)


def test_a_debug_run_is_not_called_offline(tmp_path: Path, nepnb_home: Path) -> None:
    cells = run_cells(
        tmp_path,
        "%load_ext nepnb",
        "%neptune init_run --mode debug --var dbg",
        "%neptune status",
        "%neptune stop",
    )
    assert "offline" not in stream_text(cells[1]) + stream_text(cells[2])
    assert "(debug run)" in stream_text(cells[2])
    assert "stopped run (debug run)" in stream_text(cells[3])


# -- the frontend comm ----------------------------------------------------------------------------


def test_two_frontends_on_one_kernel_both_hear_about_its_runs(kernel: Kernel) -> None:
    """Two JupyterLab windows on the same notebook each open a comm: both get the run list,
    and closing one leaves the other working."""
    kernel.execute("%load_ext nepnb")
    first, _ = kernel.open_comm({"type": "status"})
    second, _ = kernel.open_comm({"type": "status"})
    opened = kernel.execute("%neptune init_run --no-checkpoint")
    runs = [data for data in opened.comm if data["type"] == "runs"]
    assert len(runs) == 2  # one per comm
    assert kernel.comm_exchange(first, {"type": "status"}).comm[0]["runs"][0]["id"] == "DEF-1"
    kernel.collect(kernel._send("comm_close", {"comm_id": second, "data": {}}))
    # the same run opened twice: the stop button stops it, every handle of it
    kernel.execute("%neptune init_run --no-checkpoint --with-id DEF-1 --var same")
    stopped = kernel.comm_exchange(first, {"type": "stop", "run": "DEF-1"})
    assert {"type": "runs", "runs": []} in stopped.comm
    assert kernel.execute("print(run._state, same._state)").stdout == "stopped stopped\n"
