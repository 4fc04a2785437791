"""Runs whose process died show as crashed when next seen; sys/ping_time while a run is open.

Real processes, killed with SIGKILL: nothing of theirs runs after the signal.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import nepnb as neptune
from nepnb.client import heartbeat
from nepnb.client.config import local_store
from nepnb.client.table import mark_abandoned
from nepnb.store.liveness import FOLDER
from tests.helpers.client import QUIET, series

#: Opens a run (mode, then custom_run_id or "-"), logs, waits until it is stored, prints its
#: id and then whatever the variant adds, and sleeps until killed.
SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    import nepnb
    mode, custom, variant = sys.argv[1:4]
    run = nepnb.init_run(
        mode=mode, custom_run_id=None if custom == "-" else custom, flush_period=0.05,
        capture_stdout=False, capture_stderr=False, capture_hardware_metrics=False,
        git_ref=False,
    )
    for i in range(100):
        run["loss"].append(float(i))
    run["params/lr"] = 0.1
    run.wait()
    extra = ""
    if variant == "stop":
        run.stop()
    elif variant == "exit":
        print(run["sys/id"].fetch(), flush=True)
        sys.exit(0)  # no stop(): atexit does it
    elif variant == "fork-stop":  # a child that stops (its copy of) the run and exits
        child = os.fork()
        if child == 0:
            run.stop()
            sys.exit(0)
        os.waitpid(child, 0)
    elif variant == "fork-live":  # a child that lives on
        child = os.fork()
        if child == 0:
            time.sleep(600)
            os._exit(0)
        extra = f" {child}"
    print(run["sys/id"].fetch() + extra, flush=True)
    time.sleep(600)
    """
)

Spawn = Callable[..., tuple[subprocess.Popen[str], list[str]]]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """``spawn(mode, custom="-", variant="", env={})``: a process that opened a run and
    stays alive; returns it and the words it printed (the run id first). Each process and
    its children are killed at the end (they have a process group of their own)."""
    script = tmp_path / "open_run.py"
    script.write_text(SCRIPT)
    started: list[subprocess.Popen[str]] = []

    def start(
        mode: str = "async", custom: str = "-", variant: str = "", env: dict[str, str] | None = None
    ) -> tuple[subprocess.Popen[str], list[str]]:
        process = subprocess.Popen(
            [sys.executable, str(script), mode, custom, variant],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NEPNB_PING_PERIOD": "600", **(env or {})},
            start_new_session=True,
        )
        started.append(process)
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        words = process.stdout.readline().split() if ready else []
        assert words, f"the run was not opened ({'exited' if ready else 'timeout'})"
        return process, words

    yield start
    for process in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def table_row(sys_id: str) -> dict[str, Any]:
    """The run's row of ``fetch_runs_table()``, as a dict of column → value."""
    project = neptune.init_project(mode="read-only")
    frame = project.fetch_runs_table().to_pandas()
    project.stop()
    rows = frame[frame["sys/id"] == sys_id].to_dict("records")
    assert len(rows) == 1
    return rows[0]


def stored(sys_id: str) -> Any:
    return neptune.init_run(with_id=sys_id, mode="read-only")


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_a_killed_run_shows_as_crashed_at_the_next_table_with_its_data(
    spawn: Spawn, mode: str
) -> None:
    process, (sys_id,) = spawn(mode)
    alive = table_row(sys_id)  # open in a live process: not marked, however idle
    assert alive["sys/state"] == "Active" and alive["sys/crashed"] is False
    last_seen = stored(sys_id)["sys/ping_time"].fetch()
    kill(process)
    row = table_row(sys_id)
    assert row["sys/state"] == "Inactive" and row["sys/crashed"] is True
    run = stored(sys_id)
    assert run["sys/ping_time"].fetch() == last_seen  # when its process was last seen alive
    assert series(run, "loss") == ([float(i) for i in range(100)], [float(i) for i in range(100)])
    assert run["params/lr"].fetch() == 0.1
    assert mark_abandoned(local_store(), "local/default") == []  # marked once


def test_runs_stopped_cleanly_are_not_marked(spawn: Spawn, nepnb_home: Path) -> None:
    stopped, (stopped_id,) = spawn(variant="stop")
    kill(stopped)  # after stop(): dying changes nothing
    exited, (exited_id,) = spawn(variant="exit")
    exited.wait()
    for sys_id in (stopped_id, exited_id):
        row = table_row(sys_id)
        assert row["sys/state"] == "Inactive" and row["sys/crashed"] is False
    assert list((nepnb_home / FOLDER).iterdir()) == []  # their lock files went with them


def test_a_crashed_run_can_be_resumed_and_keeps_its_mark(spawn: Spawn, objects: list[Any]) -> None:
    process, (sys_id,) = spawn()
    kill(process)
    # No table read in between: opening it again finds it abandoned and marks it first.
    run = neptune.init_run(with_id=sys_id, **QUIET)
    objects.append(run)
    assert run["sys/state"].fetch() == "Active" and run["sys/crashed"].fetch() is True
    run["loss"].append(100.0)
    assert mark_abandoned(local_store(), "local/default") == []  # open here: alive
    run.stop()
    row = table_row(sys_id)
    assert row["sys/state"] == "Inactive" and row["sys/crashed"] is True
    assert series(stored(sys_id), "loss")[1] == [float(i) for i in range(101)]


def test_a_shared_run_is_not_marked_while_one_of_its_processes_lives(spawn: Spawn) -> None:
    first, (sys_id,) = spawn(custom="shared")
    second, (same_id,) = spawn(custom="shared")
    assert same_id == sys_id
    kill(first)
    row = table_row(sys_id)
    assert row["sys/state"] == "Active" and row["sys/crashed"] is False
    kill(second)
    row = table_row(sys_id)
    assert row["sys/state"] == "Inactive" and row["sys/crashed"] is True


def test_a_forked_child_that_stops_and_exits_leaves_its_parents_run_open(spawn: Spawn) -> None:
    parent, (sys_id,) = spawn(variant="fork-stop")
    row = table_row(sys_id)
    assert row["sys/state"] == "Active" and row["sys/crashed"] is False
    kill(parent)
    assert table_row(sys_id)["sys/crashed"] is True


def test_a_forked_child_does_not_keep_its_parents_run_alive(spawn: Spawn) -> None:
    parent, (sys_id, child) = spawn(variant="fork-live")
    kill(parent)
    os.kill(int(child), 0)  # the child lives on
    row = table_row(sys_id)
    assert row["sys/state"] == "Inactive" and row["sys/crashed"] is True


def test_model_tables_mark_crashed_runs_too(spawn: Spawn, objects: list[Any]) -> None:
    process, (sys_id,) = spawn()
    kill(process)
    model = neptune.init_model(key="FOREST")
    objects.append(model)
    assert len(model.fetch_model_versions_table()) == 0
    assert stored(sys_id)["sys/crashed"].fetch() is True


def ping_time(sys_id: str) -> float:
    return float(stored(sys_id)["sys/ping_time"].fetch().timestamp())


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_ping_time_advances_while_an_idle_run_is_open(spawn: Spawn, mode: str) -> None:
    process, (sys_id,) = spawn(mode, env={"NEPNB_PING_PERIOD": "0.2"})
    first = ping_time(sys_id)
    modified = stored(sys_id)["sys/modification_time"].fetch()
    deadline = time.monotonic() + 20
    while ping_time(sys_id) < first + 0.3:
        assert time.monotonic() < deadline, "sys/ping_time did not advance"
        time.sleep(0.1)
    assert stored(sys_id)["sys/modification_time"].fetch() == modified  # idle: not modified
    kill(process)
    assert table_row(sys_id)["sys/crashed"] is True


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_pings_are_not_the_users_writes_and_end_with_stop(
    new_run: Any, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setattr(heartbeat, "PING_PERIOD", 0.05)
    run = new_run(mode=mode, flush_period=0.05)
    sys_id = run["sys/id"].fetch()
    run["loss"].append(1.0)
    run.wait()
    writes = run._pipeline.user_writes()
    first = ping_time(sys_id)
    deadline = time.monotonic() + 20
    while ping_time(sys_id) < first + 0.1:
        assert time.monotonic() < deadline, "sys/ping_time did not advance"
        time.sleep(0.05)
    run.wait()
    assert run._pipeline.user_writes() == writes
    run.stop()
    last = ping_time(sys_id)
    time.sleep(0.3)
    assert ping_time(sys_id) == last


def test_runs_opened_and_stopped_while_a_checker_looks_are_never_marked(
    nepnb_home: Path, data_dir: Path, tmp_path: Path
) -> None:
    done = tmp_path / "done"
    checker_code = textwrap.dedent(
        """
        import json, os, sys
        from nepnb.store.local import LocalStore
        store = LocalStore(sys.argv[1])
        marked = []
        while not os.path.exists(sys.argv[2]):
            marked += store.mark_abandoned("local/default")
        print(json.dumps(marked))
        """
    )
    worker_code = textwrap.dedent(
        """
        import sys, nepnb
        for i in range(12):
            run = nepnb.init_run(
                mode="sync" if i % 2 else "async", custom_run_id=f"{sys.argv[1]}-{i // 4}",
                capture_stdout=False, capture_stderr=False, capture_hardware_metrics=False,
                git_ref=False,
            )
            run["x"] = i
            run.stop()
        """
    )
    env = {**os.environ, "NEPNB_HOME": str(nepnb_home), "NEPTUNE_DATA_DIRECTORY": str(data_dir)}
    checker = subprocess.Popen(
        [sys.executable, "-c", checker_code, str(nepnb_home), str(done)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", worker_code, name], env=env, stderr=subprocess.PIPE, text=True
        )
        for name in ("a", "b", "c")
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    done.touch()
    out, err = checker.communicate(timeout=120)
    assert checker.returncode == 0, err
    assert json.loads(out) == []
    project = neptune.init_project(mode="read-only")
    frame = project.fetch_runs_table().to_pandas()
    project.stop()
    assert len(frame) == 9
    assert not frame["sys/crashed"].any() and set(frame["sys/state"]) == {"Inactive"}


def test_an_offline_run_being_synced_is_not_marked_crashed(
    nepnb_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nepnb.client.sync import find_queues, sync_queue

    monkeypatch.setenv("NEPTUNE_DATA_DIRECTORY", str(tmp_path / "queue"))
    offline = neptune.init_run(mode="offline", flush_period=0.01, **QUIET)
    for step in range(3):
        offline["loss"].append(float(step))
        offline.wait()  # one batch each: the upload below has several steps
    offline.stop()
    [queued], broken = find_queues(tmp_path / "queue")
    assert broken == []
    store = local_store()
    marked: list[list[str]] = []
    # While the upload runs, the run exists and is "running": a table fetched now (or the
    # kernel magic) checks for crashed runs.
    sync_queue(
        queued,
        store,
        progress=lambda done, total: marked.append(store.mark_abandoned("local/default")),
    )
    assert marked and marked == [[]] * len(marked)
    run = neptune.init_run(with_id="DEF-1", mode="read-only")
    assert run["sys/crashed"].fetch() is False
    assert run["sys/state"].fetch() == "Inactive"
    assert series(run, "loss")[1] == [0.0, 1.0, 2.0]


def test_stopped_runs_are_not_kept_alive_by_the_exception_hook(nepnb_home: Path) -> None:
    """Each run used to put its own sys.excepthook in front of the last one, and restore the
    one it found when stopped: runs stopped in another order left a stopped run's hook in
    place, holding it (and, through its chain, every earlier run) in memory for good."""
    import gc
    import weakref

    original = sys.excepthook
    first = neptune.init_run(mode="debug", capture_hardware_metrics=False)
    second = neptune.init_run(mode="debug", capture_hardware_metrics=False)
    first.stop()
    second.stop()
    assert sys.excepthook is original
    refs = [weakref.ref(first), weakref.ref(second)]
    del first, second
    gc.collect()
    assert [ref() for ref in refs] == [None, None]


def test_an_uncaught_exception_reaches_every_open_run_and_the_previous_hook(
    nepnb_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    monkeypatch.setattr(sys, "excepthook", lambda t, e, tb: seen.append(str(e)))
    runs = [neptune.init_run(mode="sync", capture_hardware_metrics=False) for _ in range(2)]
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert seen == ["boom"]
    for run in runs:
        assert run["sys/failed"].fetch() is True
        [namespace] = run["monitoring"].fetch()
        [logged] = run[f"monitoring/{namespace}/traceback"].fetch_values()["value"]
        assert "RuntimeError: boom" in logged
    for run in runs:
        run.stop()
    assert seen == ["boom"]


def test_runs_stopped_in_any_order_give_back_the_streams_they_found(nepnb_home: Path) -> None:
    """Each run used to wrap sys.stdout around the last run's wrapper: stopping the first run
    before the second left the second printing into the first (stopped) one, for good."""
    import io

    screen = io.StringIO()
    before = sys.stdout
    sys.stdout = screen
    try:
        first = neptune.init_run(mode="sync", capture_hardware_metrics=False)
        second = neptune.init_run(mode="sync", capture_hardware_metrics=False)
        print("both open")
        first.stop()
        print("only the second")
        second.stop()
        assert sys.stdout is screen
        print("none")
    finally:
        sys.stdout = before
    assert screen.getvalue() == "both open\nonly the second\nnone\n"

    def stdout_of(run_id: str) -> list[str]:
        run = neptune.init_run(with_id=run_id, mode="read-only")
        [namespace] = run["monitoring"].fetch()
        return list(run[f"monitoring/{namespace}/stdout"].fetch_values()["value"])

    assert stdout_of("DEF-1") == ["both open"]
    assert stdout_of("DEF-2") == ["both open", "only the second"]
