"""Runs left "running" by a process that died are told apart from live ones by file locks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nepnb.store.base import ObjectInfo, ObjectKind
from nepnb.store.field_types import FieldType
from nepnb.store.liveness import FOLDER, AliveLock
from nepnb.store.local import LocalStore
from nepnb.store.operations import Batch, Operation, OpKind

PROJECT = "team/live"

#: A process that opens a new run as ``init_run`` does (holds it before it exists, creates it
#: "running"), prints its uid and holds it until its stdin closes or it is killed.
HOLDER = textwrap.dedent(
    """
    import sys
    from nepnb.store.base import ObjectKind
    from nepnb.store.field_types import FieldType
    from nepnb.store.local import LocalStore, new_uid
    from nepnb.store.operations import Batch, Operation, OpKind
    store = LocalStore(sys.argv[1])
    uid = new_uid()
    lock = store.hold_alive(uid, new=True)
    running = Operation(OpKind.ASSIGN, "sys/state", FieldType.RUN_STATE, "running")
    store.create_object("team/live", ObjectKind.RUN, initial=Batch([running]), uid=uid)
    print(uid, flush=True)
    sys.stdin.read()
    """
)


def assign(path: str, ftype: FieldType, value: object) -> Operation:
    return Operation(OpKind.ASSIGN, path, ftype, value)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    store = LocalStore(tmp_path / "store")
    yield store
    store.close()


def left_running(store: LocalStore, ping: float = 1000.0) -> ObjectInfo:
    """A run that is "running" in the store but that no process holds: as a killed one."""
    return store.create_object(
        PROJECT,
        ObjectKind.RUN,
        initial=Batch(
            [
                assign("sys/state", FieldType.RUN_STATE, "running"),
                assign("sys/ping_time", FieldType.DATETIME, ping),
                assign("sys/crashed", FieldType.BOOL, False),
                assign("loss", FieldType.FLOAT, 0.5),
            ]
        ),
    )


def resume(store: LocalStore, uid: str) -> AliveLock:
    """Open ``uid`` again in this process: hold it, then make it "running"."""
    lock = store.hold_alive(uid)
    assert lock is not None and lock.held
    store.apply(uid, Batch([assign("sys/state", FieldType.RUN_STATE, "running")]))
    return lock


def raw(store: LocalStore, uid: str) -> dict[str, object]:
    """The stored values of ``uid`` (datetimes as epoch seconds)."""
    rows = store._connection().execute(
        "SELECT path, value FROM fields WHERE object_uid = ?", (uid,)
    )
    return {path: json.loads(value) for path, value in rows}


@pytest.fixture
def holder(store: LocalStore) -> Iterator[object]:
    """``holder()``: a live process that created a run and holds it: (process, run uid)."""
    started: list[subprocess.Popen[str]] = []

    def start() -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(store.home)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout is not None
        return process, process.stdout.readline().strip()

    yield start
    for process in started:
        process.kill()
        process.communicate()


def test_a_run_left_running_by_a_dead_process_is_marked_once(store: LocalStore) -> None:
    run = left_running(store, ping=1234.5)
    modified = raw(store, run.uid)["sys/modification_time"]
    assert store.mark_abandoned(PROJECT) == [run.sys_id]
    fields = raw(store, run.uid)
    assert fields["sys/state"] == "inactive" and fields["sys/crashed"] is True
    # When the process was last seen alive, and what it logged, stay as they were.
    assert fields["sys/ping_time"] == 1234.5 and fields["loss"] == 0.5
    assert fields["sys/modification_time"] == modified
    assert store.mark_abandoned(PROJECT) == []
    assert list((store.home / FOLDER).iterdir()) == []  # no lock file left behind


def test_only_running_objects_of_the_project_are_marked(store: LocalStore) -> None:
    inactive = store.create_object(
        PROJECT,
        ObjectKind.RUN,
        initial=Batch([assign("sys/state", FieldType.RUN_STATE, "inactive")]),
    )
    store.create_object(PROJECT, ObjectKind.MODEL, model_key="M")  # no sys/state
    elsewhere = store.create_object(
        "team/other",
        ObjectKind.RUN,
        initial=Batch([assign("sys/state", FieldType.RUN_STATE, "running")]),
    )
    assert store.mark_abandoned(PROJECT) == []
    assert "sys/crashed" not in raw(store, inactive.uid)
    assert raw(store, elsewhere.uid)["sys/state"] == "running"
    assert store.mark_abandoned("team/missing") == []
    assert store.mark_abandoned("team/other") == [elsewhere.sys_id]


def test_a_run_held_by_a_live_process_is_marked_only_once_that_dies(
    store: LocalStore, holder: object
) -> None:
    process, uid = holder()  # type: ignore[operator]
    assert store.mark_abandoned(PROJECT) == []
    time.sleep(0.2)  # idle: no timing matters, only the lock
    assert store.mark_abandoned(PROJECT) == []
    assert raw(store, uid)["sys/state"] == "running"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert store.mark_abandoned(PROJECT) == [raw(store, uid)["sys/id"]]
    assert raw(store, uid)["sys/crashed"] is True


def test_a_run_held_in_this_process_is_not_marked(store: LocalStore) -> None:
    run = left_running(store)
    lock = resume(store, run.uid)  # finds it abandoned: marks it, then holds it
    fields = raw(store, run.uid)
    assert fields["sys/state"] == "running" and fields["sys/crashed"] is True
    assert store.mark_abandoned(PROJECT) == []  # held here
    lock.release()
    assert not lock.held
    assert store.mark_abandoned(PROJECT) == [run.sys_id]


def test_opening_a_run_another_live_process_holds_does_not_mark_it(
    store: LocalStore, holder: object
) -> None:
    _, uid = holder()  # type: ignore[operator]
    lock = resume(store, uid)
    assert "sys/crashed" not in raw(store, uid)
    lock.release()
    assert (store.home / FOLDER / uid).exists()  # the other process still holds it
    assert store.mark_abandoned(PROJECT) == []


def test_the_lock_file_goes_with_its_last_holder(store: LocalStore) -> None:
    run = left_running(store)
    first, second = resume(store, run.uid), resume(store, run.uid)
    first.release()
    first.release()  # twice: nothing more happens
    assert (store.home / FOLDER / run.uid).exists()
    assert store.mark_abandoned(PROJECT) == []
    second.release()
    assert not (store.home / FOLDER / run.uid).exists()


def test_a_forked_child_neither_keeps_nor_releases_its_parents_lock(store: LocalStore) -> None:
    run = left_running(store)
    lock = resume(store, run.uid)
    pid = os.fork()
    if pid == 0:  # the child
        code = 0 if not lock.held else 3
        lock.release()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert lock.held
    assert store.mark_abandoned(PROJECT) == []  # the parent still holds it
    lock.release()
    assert store.mark_abandoned(PROJECT) == [run.sys_id]


def test_concurrent_checkers_mark_each_run_exactly_once(store: LocalStore, tmp_path: Path) -> None:
    runs = [left_running(store) for _ in range(40)]
    go = tmp_path / "go"
    code = textwrap.dedent(
        """
        import json, os, sys, time
        from nepnb.store.local import LocalStore
        store = LocalStore(sys.argv[1])
        store._connection()
        while not os.path.exists(sys.argv[2]):
            time.sleep(0.001)
        print(json.dumps(store.mark_abandoned("team/live")))
        """
    )
    checkers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(store.home), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    time.sleep(1.0)  # let them all start and wait for the signal
    go.touch()
    marked: list[str] = []
    for checker in checkers:
        out, err = checker.communicate(timeout=120)
        assert checker.returncode == 0, err
        marked += json.loads(out)
    assert sorted(marked) == sorted(run.sys_id for run in runs)
    for run in runs:
        fields = raw(store, run.uid)
        assert fields["sys/state"] == "inactive" and fields["sys/crashed"] is True


def test_a_batch_holding_only_a_ping_is_not_a_modification(store: LocalStore) -> None:
    run = left_running(store)
    modified = raw(store, run.uid)["sys/modification_time"]
    time.sleep(0.01)
    store.apply(run.uid, Batch([assign("sys/ping_time", FieldType.DATETIME, 2000.0)]))
    fields = raw(store, run.uid)
    assert fields["sys/ping_time"] == 2000.0 and fields["sys/modification_time"] == modified
    store.apply(run.uid, Batch([assign("loss", FieldType.FLOAT, 0.25)]))
    assert raw(store, run.uid)["sys/modification_time"] > modified  # type: ignore[operator]
