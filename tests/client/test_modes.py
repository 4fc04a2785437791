"""Connection modes, resuming, custom run ids, NEPTUNE_* variables and automatic logging."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import nepnb as neptune
from nepnb.cli.main import main as nepnb_cli
from nepnb.exceptions import (
    FieldTypeConflict,
    InvalidPath,
    NepnbError,
    NepnbWarning,
    NotAvailableInMode,
    ObjectNotFound,
    ProjectNotFound,
    ReadOnlyMode,
    RejectedOperations,
    ValueDropped,
)
from tests.helpers.client import QUIET, series


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def runs_in(project: str, objects: list[Any]) -> Any:
    """The runs table of ``project`` as a DataFrame."""
    opened = neptune.init_project(project=project, mode="read-only")
    objects.append(opened)
    return opened.fetch_runs_table(sort_by="sys/id", ascending=True).to_pandas()


# async -----------------------------------------------------------------------------------


def test_async_writes_reach_the_store_on_wait(new_run: Any, reopen: Any) -> None:
    run = new_run(mode="async", flush_period=60)
    sys_id = run["sys/id"].fetch()
    run["x"] = 1
    run["loss"].extend([1.0, 2.0])
    ro = reopen(sys_id)
    assert not ro.exists("x")  # only queued so far
    run.wait()
    assert ro["x"].fetch() == 1
    assert series(ro, "loss") == ([0.0, 1.0], [1.0, 2.0])


def test_async_background_flush(new_run: Any, reopen: Any) -> None:
    run = new_run(mode="async", flush_period=0.05)
    run["x"] = 1
    ro = reopen(run["sys/id"].fetch())
    deadline = time.monotonic() + 10
    while not ro.exists("x") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ro["x"].fetch() == 1


def test_async_stop_flushes_and_leaves_no_queue(new_run: Any, reopen: Any, data_dir: Path) -> None:
    run = new_run(mode="async", flush_period=60)
    run["loss"].extend([0.5, 0.25])
    sys_id = run["sys/id"].fetch()
    assert list((data_dir / "async").iterdir())  # the run's queue folder
    run.stop()
    assert series(reopen(sys_id), "loss") == ([0.0, 1.0], [0.5, 0.25])
    assert files_under(data_dir / "async") == []


def test_async_rejections_are_reported_by_wait(new_run: Any, reopen: Any) -> None:
    run = new_run(mode="async", flush_period=60)
    other = new_run(mode="sync", with_id=run["sys/id"].fetch())
    other["shared"] = "text"  # the async run does not know it yet
    run["shared"] = 1.5
    run["fine"] = 1
    with pytest.raises(RejectedOperations, match="shared") as caught:
        run.wait()
    assert [r.path for r in caught.value.rejected] == ["shared"]
    run.wait()  # reported once
    ro = reopen(run["sys/id"].fetch())
    assert ro["shared"].fetch() == "text"
    assert ro["fine"].fetch() == 1


def test_async_rejections_are_reported_by_stop(new_run: Any, reopen: Any) -> None:
    run = new_run(mode="async", flush_period=60)
    sys_id = run["sys/id"].fetch()
    other = new_run(mode="sync", with_id=sys_id)
    other["loss"].append(1.0, step=10)
    run["loss"].append(2.0, step=3)  # the store's series is already at step 10
    run["after"] = "kept"
    # Points the store leaves out for their steps are a warning, as when the client sees it.
    with pytest.warns(ValueDropped, match="'loss': 1 point"):
        run.stop()
    assert run.get_state() == "stopped"
    ro = reopen(sys_id)
    assert series(ro, "loss") == ([10.0], [1.0])
    assert ro["after"].fetch() == "kept"


def test_a_killed_async_process_loses_at_most_the_last_flush(
    run_script: Any, reopen: Any, objects: list[Any]
) -> None:
    run_script(
        """
        import os, time
        import nepnb as neptune
        run = neptune.init_run(custom_run_id="killed", flush_period=0.05,
                               capture_stdout=False, capture_stderr=False,
                               capture_hardware_metrics=False, git_ref=False)
        for i in range(100):
            run["loss"].append(float(i))
        time.sleep(1.0)
        os._exit(0)  # no stop(), no atexit
        """
    )
    ro = neptune.init_run(custom_run_id="killed", mode="read-only")
    objects.append(ro)
    assert series(ro, "loss") == ([float(i) for i in range(100)], [float(i) for i in range(100)])


# sync ------------------------------------------------------------------------------------


def test_sync_writes_are_stored_when_the_call_returns(new_run: Any, reopen: Any) -> None:
    run = new_run(mode="sync")
    ro = reopen(run["sys/id"].fetch())
    run["x"] = 1
    assert ro["x"].fetch() == 1
    run["loss"].append(0.5)
    assert ro["loss"].fetch_last() == 0.5


def test_sync_rejections_raise_at_the_call(new_run: Any) -> None:
    run = new_run(mode="sync")
    other = new_run(mode="sync", with_id=run["sys/id"].fetch())
    other["shared"] = "text"
    with pytest.raises(NepnbError, match="shared"):
        run["shared"] = 2.5
    assert run["shared"].fetch() == "text"


# offline ---------------------------------------------------------------------------------


def test_offline_writes_only_to_disk(new_run: Any, data_dir: Path, nepnb_home: Path) -> None:
    run = new_run(mode="offline", project="off/line")
    run["x"] = 1
    with pytest.raises(NotAvailableInMode):
        run["x"].fetch()
    with pytest.raises(FieldTypeConflict, match="'x'"):
        run["x"].append(1.0)  # still validated
    run.stop()
    assert files_under(data_dir / "offline")
    # Nothing reached the store: the project does not even exist there.
    with pytest.raises(ProjectNotFound, match="off/line"):
        neptune.init_project(project="off/line", mode="read-only")


def test_offline_runs_are_uploaded_by_nepnb_sync(
    new_run: Any, objects: list[Any], capsys: Any
) -> None:
    run = new_run(mode="offline", project="off/line", name="offline-run", tags=["off"])
    run["params/lr"] = 0.1
    run["loss"].extend([0.5, 0.4])
    run.stop()
    assert nepnb_cli(["sync"]) == 0
    frame = runs_in("off/line", objects)
    assert frame["sys/name"].tolist() == ["offline-run"]
    assert frame["params/lr"].tolist() == [0.1]
    assert frame["loss"].tolist() == [0.4]
    assert frame["sys/tags"].tolist() == ["off"]
    assert frame["sys/state"].tolist() == ["Inactive"]
    # Syncing again stores nothing twice.
    assert nepnb_cli(["sync"]) == 0
    frame = runs_in("off/line", objects)
    assert len(frame) == 1
    sys_id = frame["sys/id"][0]
    ro = neptune.init_run(with_id=sys_id, project="off/line", mode="read-only")
    objects.append(ro)
    assert series(ro, "loss") == ([0.0, 1.0], [0.5, 0.4])


def test_a_synced_offline_run_is_no_longer_listed(new_run: Any, data_dir: Path) -> None:
    run = new_run(mode="offline")
    run["x"] = 1
    run.stop()
    assert nepnb_cli(["sync"]) == 0
    status = subprocess.run(
        [sys.executable, "-m", "nepnb", "status"], capture_output=True, text=True, timeout=60
    )
    assert status.returncode in (0, 1)
    assert "not uploaded" not in status.stdout
    assert files_under(data_dir / "offline") == []


# debug -----------------------------------------------------------------------------------


def test_debug_mode_stores_nothing_but_validates(
    new_run: Any, nepnb_home: Path, data_dir: Path
) -> None:
    run = new_run(mode="debug")
    run["x"] = 1
    run["loss"].append(1.0)
    run["tags"].add("a")
    with pytest.raises(FieldTypeConflict, match="'x'"):
        run["x"] = "text"
    with pytest.raises(InvalidPath):
        run["bad//path"] = 1
    with pytest.warns(ValueDropped, match="'loss'"):
        run["loss"].append(0.0, step=0)
    with pytest.raises(NotAvailableInMode):
        run["x"].fetch()
    run.stop()
    assert files_under(nepnb_home) == []
    assert files_under(data_dir) == []


# read-only -------------------------------------------------------------------------------


def test_read_only_needs_an_existing_object() -> None:
    with pytest.raises(NepnbError, match="with_id"):
        neptune.init_run(mode="read-only")
    with pytest.raises(ObjectNotFound, match="NOPE-1"):
        neptune.init_run(with_id="NOPE-1", mode="read-only")


def test_read_only_reads_and_refuses_writes(new_run: Any, reopen: Any) -> None:
    run = new_run(mode="sync")
    run["x"] = 1
    run["loss"].append(1.0)
    run["labels"].add("a")
    sys_id = run["sys/id"].fetch()
    run.stop()
    ro = reopen(sys_id)
    assert ro["x"].fetch() == 1
    assert ro.fetch()["labels"] == {"a"}
    with pytest.raises(ReadOnlyMode, match="'x'"):
        ro["x"] = 2
    with pytest.raises(ReadOnlyMode, match="'new'"):
        ro["new"] = 2
    with pytest.raises(ReadOnlyMode, match="'labels'"):
        ro["labels"].add("b")
    with pytest.raises(ReadOnlyMode, match="'x'"):
        del ro["x"]
    ro.wait()
    ro.stop()
    again = reopen(sys_id)
    assert again["x"].fetch() == 1
    assert not again.exists("new")
    assert again["labels"].fetch() == {"a"}
    assert again["sys/state"].fetch() == "Inactive"


def test_read_only_refuses_appends_to_an_existing_series(new_run: Any, reopen: Any) -> None:
    run = new_run(mode="sync")
    run["loss"].append(1.0)
    sys_id = run["sys/id"].fetch()
    run.stop()
    ro = reopen(sys_id)
    with pytest.raises(ReadOnlyMode, match="'loss'"):
        ro["loss"].append(2.0)
    ro.stop()
    assert series(reopen(sys_id), "loss") == ([0.0], [1.0])


# resuming --------------------------------------------------------------------------------


def test_resuming_a_stopped_run(new_run: Any, reopen: Any) -> None:
    first = new_run(mode="async", name="first", tags=["a"])
    first["x"] = 1
    first["loss"].extend([1.0, 2.0], steps=[3, 7])
    first["text"].append("a")
    sys_id = first["sys/id"].fetch()
    created = first["sys/creation_time"].fetch()
    first.stop()

    again = new_run(mode="async", with_id=sys_id, tags="b")
    assert again["sys/id"].fetch() == sys_id
    assert again["sys/state"].fetch() == "Active"
    assert again["sys/name"].fetch() == "first"
    assert again["sys/tags"].fetch() == {"a", "b"}
    assert again["sys/creation_time"].fetch() == created
    again["loss"].append(3.0)  # continues after the stored last step
    with pytest.warns(ValueDropped, match="'loss'"):
        again["loss"].append(0.0, step=5)
    with pytest.raises(FieldTypeConflict, match="'x'"):
        again["x"] = "text"  # the stored type is known
    again["text"].append("b")
    again["y"] = 2
    again.stop()

    ro = reopen(sys_id)
    assert series(ro, "loss") == ([3.0, 7.0, 8.0], [1.0, 2.0, 3.0])
    assert series(ro, "text") == ([0.0, 1.0], ["a", "b"])
    assert ro["x"].fetch() == 1
    assert ro["y"].fetch() == 2
    assert ro["sys/state"].fetch() == "Inactive"


def test_resume_renames_when_asked(new_run: Any, reopen: Any) -> None:
    first = new_run(mode="sync", name="old", description="d")
    sys_id = first["sys/id"].fetch()
    first.stop()
    again = new_run(mode="sync", with_id=sys_id, name="new")
    assert again["sys/name"].fetch() == "new"
    assert again["sys/description"].fetch() == "d"


def test_resuming_an_unknown_id_fails(new_run: Any) -> None:
    new_run(mode="sync")
    with pytest.raises(ObjectNotFound, match="XYZ-99"):
        neptune.init_run(with_id="XYZ-99", **QUIET)


# custom run ids --------------------------------------------------------------------------


def test_custom_run_id_in_one_process_opens_the_same_run(new_run: Any, objects: list[Any]) -> None:
    a = new_run(mode="sync", custom_run_id="exp-42", name="a")
    b = new_run(mode="sync", custom_run_id="exp-42")
    assert a["sys/id"].fetch() == b["sys/id"].fetch()
    assert b["sys/custom_run_id"].fetch() == "exp-42"
    assert b["sys/name"].fetch() == "a"
    c = new_run(mode="sync", custom_run_id="exp-43")
    assert c["sys/id"].fetch() != a["sys/id"].fetch()
    assert len(runs_in("local/default", objects)) == 2


WORKER = """
import sys
import nepnb as neptune

worker = sys.argv[1]
run = neptune.init_run(custom_run_id="ddp-run", project="team/ddp", flush_period=0.05,
                       capture_stdout=False, capture_stderr=False,
                       capture_hardware_metrics=False, git_ref=False)
for i in range(200):
    run[f"worker{worker}/loss"].append(i / 10)
run["sys/tags"].add(f"w{worker}")
run[f"worker{worker}/done"] = True
run.stop()
"""


def test_custom_run_id_shared_by_two_processes(tmp_path: Path, objects: list[Any]) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    workers = [
        subprocess.Popen(
            [sys.executable, str(script), str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    frame = runs_in("team/ddp", objects)
    assert len(frame) == 1
    assert frame["sys/custom_run_id"].tolist() == ["ddp-run"]
    ro = neptune.init_run(custom_run_id="ddp-run", project="team/ddp", mode="read-only")
    objects.append(ro)
    expected = [i / 10 for i in range(200)]
    for worker in ("0", "1"):
        assert series(ro, f"worker{worker}/loss") == ([float(i) for i in range(200)], expected)
        assert ro[f"worker{worker}/done"].fetch() is True
    assert ro["sys/tags"].fetch() == {"w0", "w1"}


# environment variables -------------------------------------------------------------------


def test_neptune_mode_variable(new_run: Any, monkeypatch: Any, nepnb_home: Path) -> None:
    monkeypatch.setenv("NEPTUNE_MODE", "debug")
    run = new_run()
    run["x"] = 1
    with pytest.raises(NotAvailableInMode):
        run["x"].fetch()
    run.stop()
    assert files_under(nepnb_home) == []
    synced = new_run(mode="sync")  # the argument wins over the variable
    synced["x"] = 1
    assert synced["x"].fetch() == 1


def test_an_empty_neptune_mode_means_the_default(
    new_run: Any, monkeypatch: Any, reopen: Any
) -> None:
    monkeypatch.setenv("NEPTUNE_MODE", "")
    run = new_run(flush_period=60)
    ro = reopen(run["sys/id"].fetch())
    run["x"] = 1
    assert not ro.exists("x")  # async: queued until wait()
    run.wait()
    assert ro["x"].fetch() == 1


def test_a_bad_mode_is_refused(monkeypatch: Any) -> None:
    with pytest.raises(NepnbError, match="foo"):
        neptune.init_run(mode="foo", **QUIET)
    monkeypatch.setenv("NEPTUNE_MODE", "bar")
    with pytest.raises(NepnbError, match="NEPTUNE_MODE"):
        neptune.init_run(**QUIET)


def test_neptune_project_variable(new_run: Any, monkeypatch: Any, objects: list[Any]) -> None:
    monkeypatch.setenv("NEPTUNE_PROJECT", "env/project")
    run = new_run(mode="sync", name="from-env")
    other = new_run(mode="sync", project="arg/project", name="from-arg")
    assert runs_in("env/project", objects)["sys/name"].tolist() == ["from-env"]
    assert runs_in("arg/project", objects)["sys/name"].tolist() == ["from-arg"]
    assert run["sys/id"].fetch()
    with pytest.raises(ObjectNotFound):
        neptune.init_run(with_id=other["sys/id"].fetch(), mode="read-only")


def test_the_default_project(new_run: Any, objects: list[Any]) -> None:
    new_run(mode="sync", name="default")
    assert runs_in("local/default", objects)["sys/name"].tolist() == ["default"]


def test_a_bad_project_name_is_refused() -> None:
    with pytest.raises(NepnbError, match="noslash"):
        neptune.init_run(project="noslash", mode="debug", **QUIET)


def test_neptune_custom_run_id_variable(new_run: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("NEPTUNE_CUSTOM_RUN_ID", "from-env")
    a = new_run(mode="sync")
    b = new_run(mode="sync")
    assert a["sys/id"].fetch() == b["sys/id"].fetch()
    assert a["sys/custom_run_id"].fetch() == "from-env"
    c = new_run(mode="sync", custom_run_id="from-arg")
    assert c["sys/id"].fetch() != a["sys/id"].fetch()
    assert c["sys/custom_run_id"].fetch() == "from-arg"


def test_neptune_data_directory_variable(new_run: Any, tmp_path: Path, monkeypatch: Any) -> None:
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("NEPTUNE_DATA_DIRECTORY", str(elsewhere))
    run = new_run(mode="offline")
    run["x"] = 1
    run.stop()
    assert files_under(elsewhere / "offline")


def test_neptune_monitoring_namespace_variable(new_run: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("NEPTUNE_MONITORING_NAMESPACE", "watch/here")
    run = new_run(mode="sync", capture_traceback=True)
    assert run["watch/here/hostname"].fetch() == socket.gethostname()
    assert run["watch/here/pid"].fetch() == str(os.getpid())


# automatic logging (scripts in a subprocess) ---------------------------------------------


def open_custom(custom_run_id: str, objects: list[Any]) -> Any:
    ro = neptune.init_run(custom_run_id=custom_run_id, mode="read-only")
    objects.append(ro)
    return ro


def monitoring(ro: Any) -> str:
    [namespace] = ro["monitoring"].fetch().keys()
    return f"monitoring/{namespace}"


def test_stdout_and_stderr_are_captured(run_script: Any, objects: list[Any]) -> None:
    done = run_script(
        """
        import sys
        import nepnb as neptune
        run = neptune.init_run(custom_run_id="out", capture_hardware_metrics=False, git_ref=False)
        print("first line")
        print("second", 2)
        print("no newline at the end", end="")
        sys.stderr.write("to stderr\\n")
        run.stop()
        print("after stop")
        """
    )
    assert "first line\nsecond 2\n" in done.stdout  # still printed
    ro = open_custom("out", objects)
    ns = monitoring(ro)
    out = ro[f"{ns}/stdout"].fetch_values()["value"].tolist()
    assert out == ["first line", "second 2", "no newline at the end"]
    err = ro[f"{ns}/stderr"].fetch_values()["value"].tolist()
    assert "to stderr" in err


def test_capture_off_logs_no_streams(run_script: Any, objects: list[Any]) -> None:
    run_script(
        """
        import nepnb as neptune
        run = neptune.init_run(custom_run_id="quiet", capture_stdout=False,
                               capture_stderr=False, capture_hardware_metrics=False,
                               git_ref=False)
        print("not captured")
        run.stop()
        """
    )
    ro = open_custom("quiet", objects)
    ns = monitoring(ro)
    assert not ro.exists(f"{ns}/stdout")
    assert not ro.exists(f"{ns}/stderr")


def test_an_uncaught_exception_is_logged_and_fails_the_run(
    run_script: Any, objects: list[Any]
) -> None:
    done = run_script(
        """
        import nepnb as neptune
        run = neptune.init_run(custom_run_id="crash", capture_hardware_metrics=False,
                               git_ref=False)
        run["before"] = 1

        def train():
            raise ValueError("exploded gradient")

        train()
        """,
        check=False,
    )
    assert done.returncode == 1
    assert "ValueError: exploded gradient" in done.stderr  # still shown to the user
    ro = open_custom("crash", objects)
    assert ro["sys/failed"].fetch() is True
    assert ro["sys/state"].fetch() == "Inactive"
    assert ro["before"].fetch() == 1
    text = "\n".join(ro[f"{monitoring(ro)}/traceback"].fetch_values()["value"])
    assert "ValueError: exploded gradient" in text
    assert "in train" in text


def test_a_clean_script_is_not_failed(run_script: Any, objects: list[Any]) -> None:
    run_script(
        """
        import nepnb as neptune
        run = neptune.init_run(custom_run_id="clean", capture_hardware_metrics=False,
                               git_ref=False)
        run["x"] = 1
        """  # no stop(): closed at exit
    )
    ro = open_custom("clean", objects)
    assert ro["sys/failed"].fetch() is False
    assert ro["sys/state"].fetch() == "Inactive"
    assert ro["x"].fetch() == 1
    assert not ro.exists(f"{monitoring(ro)}/traceback")


def test_host_pid_and_source_code_of_a_script(run_script: Any, objects: list[Any]) -> None:
    done = run_script(
        """
        import os
        import nepnb as neptune
        run = neptune.init_run(custom_run_id="src", capture_stdout=False,
                               capture_stderr=False, capture_hardware_metrics=False,
                               git_ref=False)
        print(os.getpid())
        run.stop()
        """,
        name="my_train.py",
    )
    ro = open_custom("src", objects)
    ns = monitoring(ro)
    assert ro["sys/hostname"].fetch() == socket.gethostname()
    assert ro[f"{ns}/hostname"].fetch() == socket.gethostname()
    assert ro[f"{ns}/pid"].fetch() == done.stdout.strip()
    assert ro["source_code/entrypoint"].fetch() == "my_train.py"
    names = [e.name for e in ro["source_code/files"].list_fileset_files()]
    assert names == ["my_train.py"]


def test_source_files_argument(run_script: Any, objects: list[Any]) -> None:
    run_script(
        """
        from pathlib import Path
        import nepnb as neptune
        Path("pkg").mkdir()
        Path("pkg/util.py").write_text("X = 1\\n")
        Path("pkg/data.csv").write_text("a\\n")
        run = neptune.init_run(custom_run_id="files", source_files=["pkg/*.py"],
                               capture_stdout=False, capture_stderr=False,
                               capture_hardware_metrics=False, git_ref=False)
        run.stop()
        """
    )
    ro = open_custom("files", objects)
    listed = {e.name for e in ro["source_code/files"].list_fileset_files("pkg")}
    assert listed == {"util.py"}


def test_hardware_metrics_are_captured(run_script: Any, objects: list[Any]) -> None:
    run_script(
        """
        import nepnb as neptune
        run = neptune.init_run(custom_run_id="hw", capture_stdout=False, capture_stderr=False,
                               capture_hardware_metrics=True, git_ref=False)
        run.stop()
        """
    )
    ro = open_custom("hw", objects)
    ns = monitoring(ro)
    assert ro.exists(f"{ns}/cpu")
    assert ro.exists(f"{ns}/memory")


def test_dependencies_file_is_uploaded(run_script: Any, objects: list[Any], tmp_path: Path) -> None:
    run_script(
        """
        from pathlib import Path
        import nepnb as neptune
        Path("reqs.txt").write_text("numpy==1.0\\n")
        run = neptune.init_run(custom_run_id="deps", dependencies="reqs.txt",
                               capture_stdout=False, capture_stderr=False,
                               capture_hardware_metrics=False, git_ref=False)
        run.stop()
        """
    )
    ro = open_custom("deps", objects)
    target = tmp_path / "reqs-download.txt"
    ro["source_code/requirements"].download(str(target))
    assert target.read_text() == "numpy==1.0\n"


def test_offline_appends_to_a_resumed_run_go_after_its_stored_steps(
    new_run: Any, reopen: Any
) -> None:
    first = new_run(mode="sync")
    first["loss"].extend([1.0, 2.0, 3.0])
    sys_id = first["sys/id"].fetch()
    first.stop()
    offline = new_run(mode="offline", with_id=sys_id)
    offline["loss"].append(4.0)
    offline["loss"].append(5.0)
    offline.stop()
    assert nepnb_cli(["sync"]) == 0
    assert series(reopen(sys_id), "loss") == ([0.0, 1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0, 5.0])


POINTS = 5000
THREADS = 8


def test_threads_appending_to_one_series_lose_nothing(new_run: Any, reopen: Any) -> None:
    # Threads append to the same series without steps: every point gets its own step.
    run = new_run(mode="async")
    sys_id = run["sys/id"].fetch()

    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(POINTS):
                run["loss"].append(float(i))
                run["log"].append(f"{worker}-{i}")
        except Exception as error:
            errors.append(error)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, as a busy machine does
    try:
        threads = [threading.Thread(target=work, args=(w,)) for w in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert errors == []
    run.stop()
    ro = reopen(sys_id)
    steps, values = series(ro, "loss")
    assert steps == [float(i) for i in range(THREADS * POINTS)]
    assert sorted(values) == sorted(float(i) for _ in range(THREADS) for i in range(POINTS))
    log_steps, log_values = series(ro, "log")
    assert log_steps == [float(i) for i in range(THREADS * POINTS)]
    assert sorted(log_values) == sorted(f"{w}-{i}" for w in range(THREADS) for i in range(POINTS))


def test_appends_racing_with_flushes_are_stored_once_each(new_run: Any, reopen: Any) -> None:
    # The hot path appends without a lock while flushes seal (freeze) its buffer from other
    # threads: an append that meets a frozen buffer is retried under the lock, never lost
    # and never stored twice.
    run = new_run(mode="async", flush_period=0.001)
    sys_id = run["sys/id"].fetch()
    stop = threading.Event()
    errors: list[BaseException] = []

    def flush() -> None:
        try:
            while not stop.is_set():
                run.wait()
        except Exception as error:
            errors.append(error)

    def work(worker: int) -> None:
        try:
            for i in range(POINTS):
                run["loss"].append(float(worker * POINTS + i))
        except Exception as error:
            errors.append(error)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        flusher = threading.Thread(target=flush)
        flusher.start()
        threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        flusher.join()
    finally:
        sys.setswitchinterval(previous)
    assert errors == []
    run.stop()
    frame = reopen(sys_id)["loss"].fetch_values()
    assert frame["step"].tolist() == [float(i) for i in range(4 * POINTS)]
    assert sorted(frame["value"].tolist()) == [float(i) for i in range(4 * POINTS)]
    assert frame["timestamp"].notna().all()


def test_a_frozen_buffer_refuses_late_appends_and_stamps_what_got_in() -> None:
    from nepnb.client.buffers import Pipeline, SeriesState
    from nepnb.store.field_types import FieldType

    pipeline = Pipeline()
    state = SeriesState(pipeline, "loss", FieldType.FLOAT_SERIES, numbered=False)
    with state.lock:
        state.add(None, 1.0, 100.0)
    late = state.values
    assert late is not None
    late.append(2.0)  # a value whose timestamp comes after the flush froze the buffer
    batch = pipeline.drain()
    assert state.values is None
    with pytest.raises(BufferError):
        late.append(3.0)
    with pytest.raises(BufferError):
        late.stamps.append(300.0)
    assert batch is not None
    (points,) = [op.value for op in batch.operations]
    assert points.steps.tolist() == [0.0, 1.0]
    assert points.values.tolist() == [1.0, 2.0]
    assert points.timestamps[0] == 100.0 and points.timestamps[1] > 100.0
    with state.lock:
        assert state.add(None, 3.0, 300.0) == 2.0  # the retried append continues the steps


def test_wait_true_returns_after_the_store_has_the_write(new_run: Any, reopen: Any) -> None:
    run = new_run(mode="async", flush_period=60)
    ro = reopen(run["sys/id"].fetch())
    run["x"].assign(1, wait=True)
    assert ro["x"].fetch() == 1
    run["loss"].append(0.5, wait=True)
    assert ro["loss"].fetch_last() == 0.5
    run["labels"].add("a", wait=True)
    assert ro["labels"].fetch() == {"a"}


def test_api_tokens(new_run: Any, monkeypatch: Any, objects: list[Any]) -> None:
    import base64

    monkeypatch.setenv("NEPTUNE_API_TOKEN", neptune.ANONYMOUS_API_TOKEN)
    new_run(mode="sync", name="anonymous")
    hosted = base64.b64encode(
        json.dumps({"api_address": "https://app.neptune.ai", "api_key": "k"}).encode()
    ).decode()
    monkeypatch.setenv("NEPTUNE_API_TOKEN", hosted)
    with pytest.warns(NepnbWarning, match="NEPTUNE_API_TOKEN"):
        new_run(mode="sync", name="hosted")
    monkeypatch.delenv("NEPTUNE_API_TOKEN")
    assert sorted(runs_in("local/default", objects)["sys/name"]) == ["anonymous", "hosted"]


@pytest.mark.parametrize("default", [True, False])
def test_lag_callbacks_fire_once_and_may_stop_the_run(
    new_run: Any, reopen: Any, nepnb_home: Path, monkeypatch: pytest.MonkeyPatch, default: bool
) -> None:
    import sqlite3
    import time

    calls: list[Any] = []

    def mine(obj: Any) -> None:
        calls.append(obj)
        obj.stop()  # the reference's own callback does this; it must not deadlock

    if default:
        monkeypatch.setenv("NEPTUNE_ENABLE_DEFAULT_ASYNC_LAG_CALLBACK", "TRUE")
    run = new_run(
        mode="async",
        flush_period=0.02,
        async_lag_threshold=0.1,
        async_lag_callback=None if default else mine,
    )
    sys_id = run["sys/id"].fetch()
    run.wait()
    # Another process holds the store's write lock: writes wait in the disk queue.
    blocker = sqlite3.connect(nepnb_home / "nepnb.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        for i in range(100):
            run["loss"].append(float(i))
        deadline = time.monotonic() + 20
        while run.get_state() != "stopped" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert run.get_state() in ("stopped", "stopping")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    deadline = time.monotonic() + 30
    stopping = ("nepnb-stop", "nepnb-lag-callback")  # the threads the callback runs in
    while time.monotonic() < deadline and any(
        thread.name in stopping for thread in threading.enumerate()
    ):
        time.sleep(0.05)
    assert run.get_state() == "stopped"
    if not default:
        assert calls == [run]  # once, with the object
    # Nothing written before the stop is lost: it reached the store once the lock went.
    assert series(reopen(sys_id), "loss")[1] == [float(i) for i in range(100)]


def test_flushed_buffers_are_freed_after_their_grace_period(
    new_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A frozen column holds its own export (a reference cycle). Converted columns are thawed
    # after a grace period, so memory does not grow with the points logged (the cyclic garbage
    # collector rarely runs in a loop that allocates only floats).
    import gc
    import time
    import weakref

    from nepnb.client import buffers

    monkeypatch.setattr(buffers, "THAW_AFTER_SECONDS", 0.05)
    run = new_run(mode="async", flush_period=3600)
    columns = []
    for _ in range(3):
        for i in range(1000):
            run["loss"].append(float(i))
        state = run._series["loss"]
        assert state.values is not None
        columns.append(weakref.ref(state.values))
        run.wait()
        time.sleep(0.06)
    run.wait()  # a drain after the grace period thaws what earlier ones converted
    gc.disable()  # freed by reference counting alone, not by the collector
    try:
        assert [ref() is None for ref in columns[:2]] == [True, True]
    finally:
        gc.enable()
