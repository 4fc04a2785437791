"""Runs opened in a real kernel (nbclient): cells captured, checkpoints linked, hanging runs
warned about, and nothing nepnb does can break a cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from nepnb.client.config import local_store
from nepnb.notebooks import Checkpoints
from tests.helpers.kernel import run_cells, stored, values
from tests.helpers.nbrun import error_of, stream_text

pytestmark = pytest.mark.kernel

CELLS = "notebook/cells"


def test_each_cell_is_logged_to_the_open_run(tmp_path: Path, nepnb_home: Path) -> None:
    cells = run_cells(
        tmp_path,
        "%load_ext nepnb",
        "%neptune init_run --name capture --tags a b",
        "print('hello'); run['loss'].append(0.5)",
        "import sys; print('careful', file=sys.stderr)",
        "1 / 0",
        "import time; time.sleep(0.2)",
        "%neptune stop",
    )
    assert "nepnb: run DEF-1 is open as `run`" in stream_text(cells[1])
    assert stream_text(cells[2]) == "hello\n"  # the notebook still shows its output
    assert "careful" in stream_text(cells[3], "stderr")
    assert error_of(cells[4]) == ("ZeroDivisionError", "division by zero")
    assert "stopped run DEF-1" in stream_text(cells[6])

    run = stored()
    assert run["sys/name"].fetch() == "capture"
    assert run["sys/tags"].fetch() == {"a", "b"}
    assert run["sys/state"].fetch() == "Inactive"
    sources = values(run, f"{CELLS}/source")
    # step = execution count; the cell that opened the run is logged too
    assert sources == {
        2: "%neptune init_run --name capture --tags a b",
        3: "print('hello'); run['loss'].append(0.5)",
        4: "import sys; print('careful', file=sys.stderr)",
        5: "1 / 0",
        6: "import time; time.sleep(0.2)",
    }
    assert values(run, f"{CELLS}/stdout")[3] == "hello\n"
    assert values(run, f"{CELLS}/stderr")[4] == "careful\n"
    assert values(run, f"{CELLS}/status") == {2: "ok", 3: "ok", 4: "ok", 5: "error", 6: "ok"}
    traceback = values(run, f"{CELLS}/traceback")
    assert list(traceback) == [5]
    assert "ZeroDivisionError: division by zero" in traceback[5]
    durations = values(run, f"{CELLS}/duration")
    # a duration for each cell, in seconds: the sleeping cell's counts its sleep
    assert sorted(durations) == [2, 3, 4, 5, 6]
    assert all(isinstance(seconds, float) and seconds >= 0 for seconds in durations.values())
    assert durations[6] >= 0.2
    assert not run.exists(f"{CELLS}/id")  # nbclient sends no cell ids (JupyterLab does)
    assert run["loss"].fetch_values()["value"].tolist() == [0.5]


def test_a_plain_init_run_in_a_cell_gets_the_same_capture_and_checkpoint(
    tmp_path: Path, nepnb_home: Path
) -> None:
    cells = run_cells(
        tmp_path,
        "import nepnb as neptune\nrun = neptune.init_run(name='plain')",
        "print(41 + 1)",
        "run.stop()",
    )
    assert all(error_of(cell) is None for cell in cells)
    run = stored()
    stdout = values(run, f"{CELLS}/stdout")
    assert stdout[2] == "42\n"
    assert "checkpoint" in stdout[1] and "linked to run DEF-1" in stdout[1]
    assert "linked to run DEF-1" in stream_text(cells[0])
    assert 1 in values(run, f"{CELLS}/source")
    ref = run["source_code/notebook"].fetch()
    assert ref["path"] == str((tmp_path / "demo.ipynb").resolve())
    checkpoints = Checkpoints(local_store(), "local/default")
    info = checkpoints.get(ref["checkpoint_id"])
    assert list(info.runs) == ["DEF-1"]
    assert info.summary == "Run DEF-1 opened: headless run"  # nbclient runs the notebook
    content = checkpoints.content(info)
    assert [cell["source"] for cell in content["cells"]] == [cell.source for cell in cells]


def test_no_capture_logs_no_cells_and_the_output_is_unchanged(
    tmp_path: Path, nepnb_home: Path
) -> None:
    cells = run_cells(
        tmp_path,
        "%load_ext nepnb",
        "%neptune init_run --no-capture --no-checkpoint --var r",
        "print('visible')",
        "%neptune stop r",
    )
    assert stream_text(cells[2]) == "visible\n"
    run = stored()
    assert not run.exists(CELLS)
    assert not run.exists("source_code/notebook")


def test_hanging_runs_are_warned_about_in_the_cell_where_it_matters(
    tmp_path: Path, nepnb_home: Path
) -> None:
    cells = run_cells(
        tmp_path,
        "%load_ext nepnb\n%config NeptuneMagics.idle_minutes = 0.005",  # 0.3 s
        "%neptune init_run --no-checkpoint",
        "%neptune init_run --no-checkpoint --var second",
        "import time; time.sleep(0.5)",
        "print('next')",
        "print('and the next')",
        "run = 5",
        "del second",
        "%neptune status",
        "%neptune stop --all",
    )
    # opening a run over another names the old one and how to stop it
    opened = stream_text(cells[2], "stderr")
    assert "run DEF-1 (variable `run`) is still open" in opened
    assert "%neptune stop run" in opened
    # idle past the threshold: one warning, at the next cell, per run, not repeated
    idle = stream_text(cells[4], "stderr")
    assert "run DEF-1 (variable `run`) has had no activity" in idle
    assert "run DEF-2 (variable `second`) has had no activity" in idle
    assert "no activity" not in stream_text(cells[5], "stderr")
    # re-binding or deleting the variable of an open run
    assert "`run` no longer refers to run DEF-1, which is still open" in stream_text(
        cells[6], "stderr"
    )
    assert "`second` no longer refers to run DEF-2" in stream_text(cells[7], "stderr")
    status = stream_text(cells[8])
    assert status.splitlines()[0].split() == [
        "run",
        "variable",
        "age",
        "last",
        "activity",
        "queued",
    ]
    assert "DEF-1" in status and "DEF-2" in status
    stopped = stream_text(cells[9])
    assert "stopped run DEF-1" in stopped and "stopped run DEF-2" in stopped
    for run_id in ("DEF-1", "DEF-2"):
        assert stored(run_id)["sys/state"].fetch() == "Inactive"


def test_writing_to_the_run_counts_as_activity(tmp_path: Path, nepnb_home: Path) -> None:
    cells = run_cells(
        tmp_path,
        "%load_ext nepnb\n%config NeptuneMagics.idle_minutes = 0.005",
        "%neptune init_run --no-checkpoint",
        "import time\nfor i in range(3):\n    time.sleep(0.2)\n    run['x'].append(i)",
        "time.sleep(0.1); run['y'] = 1",
        "print('after')",
        "%neptune stop",
    )
    for cell in cells[3:5]:
        assert "no activity" not in stream_text(cell, "stderr")


def test_stop_names_and_mistakes(tmp_path: Path, nepnb_home: Path) -> None:
    cells = run_cells(
        tmp_path,
        "%load_ext nepnb",
        "%neptune stop",
        "%neptune init_run --no-checkpoint --var a",
        "%neptune init_run --no-checkpoint --var b",
        "%neptune stop",
        "%neptune stop nothing",
        "%neptune stop DEF-2",
        "%neptune stop a",
        "%neptune init_run --mode nonsense",
        "%neptune init_run --var 1x",
        "%neptune checkpoint",
    )
    assert stream_text(cells[1]) == "nepnb: no run is open in this kernel\n"
    assert "several runs are open" in stream_text(cells[4], "stderr")
    assert "no open run is 'nothing'" in stream_text(cells[5], "stderr")
    assert "stopped run DEF-2" in stream_text(cells[6])
    assert "stopped run DEF-1" in stream_text(cells[7])
    assert "UsageError" in stream_text(cells[8], "stderr")
    assert "invalid choice: 'nonsense'" in stream_text(cells[8], "stderr")
    assert "is not a variable name" in stream_text(cells[9], "stderr")
    assert "-m/--message" in stream_text(cells[10], "stderr")
    assert all(error_of(cell) is None for cell in cells)  # usage errors are not tracebacks


def test_checkpoint_magic_links_the_open_runs(tmp_path: Path, nepnb_home: Path) -> None:
    cells = run_cells(
        tmp_path,
        "%load_ext nepnb",
        "%neptune init_run",
        "%neptune checkpoint -m 'Tuned the learning rate' --body 'lr 0.1 -> 0.01'",
        "%neptune stop",
    )
    printed = stream_text(cells[2])
    assert "Tuned the learning rate, linked to DEF-1" in printed
    checkpoints = Checkpoints(local_store(), "local/default")
    history = checkpoints.history(stored()["source_code/notebook"].fetch()["notebook_id"])
    assert [info.summary for info in history] == [
        "Tuned the learning rate",
        "Run DEF-1 opened: headless run",
    ]
    assert history[0].body.splitlines()[:2] == ["lr 0.1 -> 0.01", "headless run"]
    assert list(history[0].runs) == ["DEF-1"]
    assert stored()["source_code/notebook"].fetch()["checkpoint_id"] == history[0].id


def test_errors_inside_nepnb_never_break_a_cell(tmp_path: Path, nepnb_home: Path) -> None:
    cells = run_cells(
        tmp_path,
        "%load_ext nepnb",
        "%neptune init_run --no-checkpoint",
        # the user takes the namespace the capture writes to: logging the cell fails …
        "del run['notebook']\nrun['notebook'] = 'mine'",
        "print('still runs')",
        # … and a bug inside nepnb (injected): one warning, not one per cell
        "import nepnb.kernel.session as s\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('injected')\n"
        "s.log_cell = broken",
        "x = 1",
        "x += 1",
        "print(x)",
        "%neptune stop",
    )
    assert all(error_of(cell) is None for cell in cells)
    conflict = stream_text(cells[2], "stderr")
    assert "logging the cell to the run failed (FieldTypeConflict" in conflict
    assert "your code ran normally" in conflict
    assert stream_text(cells[3]) == "still runs\n"
    warned = [stream_text(cell, "stderr") for cell in cells[4:8]]
    assert sum("RuntimeError: injected" in text for text in warned) == 1
    assert stream_text(cells[7]) == "2\n"
    run = stored()
    assert run["notebook"].fetch() == "mine"  # the user's value is kept
    assert run["sys/state"].fetch() == "Inactive"


@pytest.mark.parametrize("lines", [100_000])
def test_a_cell_that_prints_a_lot_is_captured_within_bounds(
    tmp_path: Path, nepnb_home: Path, lines: int
) -> None:
    from nepnb.kernel.capture import MAX_CAPTURED_CHARS

    cells = run_cells(
        tmp_path,
        "%load_ext nepnb",
        "%neptune init_run --no-checkpoint",
        f"for i in range({lines}): print('line', i)",
        "%neptune stop",
    )
    shown = stream_text(cells[2])
    assert shown.count("\n") == lines
    captured = values(stored(), f"{CELLS}/stdout")[3]
    if len(shown) <= MAX_CAPTURED_CHARS:
        assert captured == shown
    else:
        assert captured.startswith(shown[:MAX_CAPTURED_CHARS])
        assert "more characters were printed, not captured" in captured


def test_a_new_run_in_a_notebook_reports_runs_a_dead_kernel_left_open(
    tmp_path: Path, nepnb_home: Path
) -> None:
    import signal
    import subprocess
    import sys

    # A process that opens a run and is killed: as a kernel that crashes.
    code = (
        "import nepnb, time\n"
        "run = nepnb.init_run(name='doomed', flush_period=0.05)\n"
        "run['loss'].append(1.0); run.wait()\n"
        "print('ready', flush=True); time.sleep(60)\n"
    )
    victim = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert victim.stdout is not None and victim.stdout.readline().strip() == "ready"
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    cells = run_cells(tmp_path, "%load_ext nepnb", "%neptune init_run", "%neptune stop")
    warning = stream_text(cells[1], "stderr")
    assert "DEF-1 was left open by a process that ended without stopping it" in warning
    doomed = stored("DEF-1")
    assert doomed["sys/crashed"].fetch() is True
    assert doomed["sys/state"].fetch() == "Inactive"
    assert doomed["loss"].fetch_last() == 1.0
    assert "left open" not in stream_text(cells[2], "stderr")


def test_opening_a_second_run_over_the_first_warns_once_with_the_fix(
    tmp_path: Path, nepnb_home: Path
) -> None:
    cells = run_cells(
        tmp_path,
        "%load_ext nepnb",
        "%neptune init_run --no-checkpoint",
        "%neptune init_run --no-checkpoint",
        "%neptune stop DEF-1",
        "import nepnb\nrun = nepnb.init_run(capture_hardware_metrics=False)",
        "%neptune stop --all",
    )
    assert all(error_of(cell) is None for cell in cells)
    for cell, old in ((cells[2], "DEF-1"), (cells[4], "DEF-2")):
        warnings = [
            line for line in stream_text(cell, "stderr").splitlines() if "nepnb warning" in line
        ]
        assert len(warnings) == 1, warnings
        assert f"run {old} (variable `run`) is still open" in warnings[0]
        assert f"Stop it with `%neptune stop {old}`" in warnings[0]
