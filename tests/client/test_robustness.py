"""Interrupts, forks, shared runs, git, files, time zones: what a real training script meets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import matplotlib
import pytest

import nepnb as neptune
from nepnb.exceptions import InvalidValue, MissingField, UnsupportedValue
from tests.helpers.client import QUIET, series

matplotlib.use("Agg")


@pytest.mark.slow
def test_ctrl_c_in_a_training_loop_loses_nothing_already_appended(run_script: Any) -> None:
    script = textwrap.dedent(
        """
        import nepnb, os, signal, threading
        run = nepnb.init_run(capture_stdout=False, capture_stderr=False,
                             capture_hardware_metrics=False, git_ref=False)
        threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        count = 0
        try:
            while True:
                run["loss"].append(0.5)
                count += 1
        except KeyboardInterrupt:
            run.stop()
        reopened = nepnb.init_run(with_id=run._sys_id, mode="read-only")
        stored = len(reopened["loss"].fetch_values())
        print(count, stored)
        """
    )
    for _ in range(5):  # the interrupt lands at a different instruction each time
        done = run_script(script, check=False)
        assert done.returncode == 0, done.stderr
        count, stored = map(int, done.stdout.split())
        # The interrupt may land between an append and `count += 1`: one more is stored.
        assert count > 0 and stored in (count, count + 1)


def test_a_forked_child_neither_writes_nor_stops_the_parents_run(new_run: Any, reopen: Any) -> None:
    run = new_run(**QUIET)
    run["m"].append(1.0)
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            run["m"].append(2.0)
            code = 3  # the write should have been refused
        except neptune.exceptions.InactiveObject as error:
            code = 0 if "forked process" in str(error) else 4
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    run["m"].append(3.0)
    run.stop()
    assert series(reopen(run["sys/id"].fetch()), "m")[1] == [1.0, 3.0]


def test_children_that_exit_normally_do_not_stop_the_parents_run(run_script: Any) -> None:
    done = run_script(
        """
        import os, sys, nepnb
        run = nepnb.init_run(capture_stdout=False, capture_stderr=False,
                             capture_hardware_metrics=False, git_ref=False)
        run["m"].append(1.0)
        if os.fork() == 0:
            sys.exit(0)  # runs atexit handlers in the child
        os.wait()
        run["m"].append(2.0)
        run.stop()
        again = nepnb.init_run(with_id="DEF-1", mode="read-only")
        print(again["m"].fetch_values()["value"].tolist(), again["sys/state"].fetch())
        """
    )
    assert done.stdout.strip() == "[1.0, 2.0] Inactive"


def test_processes_appending_without_steps_to_a_shared_run_lose_nothing(
    nepnb_home: Path, data_dir: Path
) -> None:
    code = textwrap.dedent(
        """
        import nepnb
        run = nepnb.init_run(custom_run_id="shared", flush_period=0.05, capture_stdout=False,
                             capture_stderr=False, capture_hardware_metrics=False, git_ref=False)
        for i in range(2000):
            run["shared"].append(float(i))
        run.stop()
        """
    )
    env = {**os.environ, "NEPNB_HOME": str(nepnb_home), "NEPTUNE_DATA_DIRECTORY": str(data_dir)}
    workers = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        assert "not stored" not in err
    values = neptune.init_run(with_id="DEF-1", mode="read-only")["shared"].fetch_values()
    assert len(values) == 6000
    assert values["step"].tolist() == [float(s) for s in range(6000)]
    assert sorted(values["value"].tolist()) == sorted([float(i) for i in range(2000)] * 3)


def test_git_info_is_recorded_for_a_script(tmp_path: Path, run_script: Any) -> None:
    repo = tmp_path / "scripts"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=Ada", "-c", "user.email=ada@example.org"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    (repo / "README").write_text("hello\n")
    subprocess.run([*git, "add", "README"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "First commit"], check=True)
    done = run_script(
        """
        import nepnb
        run = nepnb.init_run(capture_stdout=False, capture_stderr=False,
                             capture_hardware_metrics=False)
        run.stop()
        print(nepnb.init_run(with_id="DEF-1", mode="read-only").fetch()["source_code"]["git"])
        """
    )
    git_info = eval(done.stdout.strip())  # a dict printed by Python
    assert git_info["message"] == "First commit" and git_info["branch"] == "main"
    assert git_info["author_name"] == "Ada" and len(git_info["commit_id"]) == 40
    assert git_info["dirty"] is False  # the untracked script does not count


def test_files_with_the_same_name_in_a_file_set_keep_their_folders(
    new_run: Any, reopen: Any, tmp_path: Path
) -> None:
    for folder, text in (("x", "first"), ("y", "second!")):
        (tmp_path / "conf" / folder).mkdir(parents=True)
        (tmp_path / "conf" / folder / "conf.yaml").write_text(text)
    run = new_run(**QUIET)
    run["configs"].upload_files(
        [str(tmp_path / "conf/x/conf.yaml"), str(tmp_path / "conf/y/conf.yaml")]
    )
    run.stop()
    names = {
        entry.name: entry.size for entry in reopen(run._sys_id)["configs"].list_fileset_files()
    }
    assert names == {"x": 0, "y": 0}  # two folders, one file each
    files = reopen(run._sys_id)["configs"].list_fileset_files("x")
    assert [(f.name, f.size) for f in files] == [("conf.yaml", 5)]


def test_figures_and_images_are_uploaded_and_assigned_as_files(
    new_run: Any, reopen: Any, tmp_path: Path
) -> None:
    import matplotlib.pyplot as plt
    from PIL import Image

    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    run = new_run(**QUIET)
    run["plots/upload"].upload(figure)
    run["plots/assigned"] = figure
    run["plots/image"] = Image.new("RGB", (4, 3), "red")
    run.stop()
    plt.close(figure)
    ro = reopen(run._sys_id)
    for name in ("upload", "assigned", "image"):
        assert ro[f"plots/{name}"].fetch_extension() == "png"
    ro["plots/image"].download(str(tmp_path / "image.png"))
    assert Image.open(tmp_path / "image.png").size == (4, 3)


def test_a_big_file_is_streamed_into_the_store(new_run: Any, reopen: Any, tmp_path: Path) -> None:
    big = tmp_path / "weights.bin"
    with big.open("wb") as out:
        for i in range(64):
            out.write(bytes([i]) * (1 << 20))
    run = new_run(**QUIET)
    run["model"].upload(str(big))
    run.stop()
    target = tmp_path / "out" / "weights.bin"
    reopen(run._sys_id)["model"].download(str(target))
    assert target.read_bytes() == big.read_bytes()


def test_offline_and_debug_objects_show_their_structure(
    new_run: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    for mode in ("offline", "debug"):
        run = new_run(mode=mode, **QUIET)
        run["params/lr"] = 0.1
        run["loss"].append(0.5)
        structure = run.get_structure()
        assert set(structure["params"]) == {"lr"} and "loss" in structure
        run.print_structure()
        printed = capsys.readouterr().out
        assert "'lr': Float" in printed and "'loss': FloatSeries" in printed
        run.stop()


def test_running_time_adds_up_over_sessions(new_run: Any, reopen: Any) -> None:
    import time

    run = new_run(**QUIET)
    time.sleep(0.3)
    run.stop()
    first = reopen(run._sys_id)["sys/running_time"].fetch()
    again = new_run(with_id=run._sys_id, **QUIET)
    time.sleep(0.3)
    again.stop()
    total = reopen(run._sys_id)["sys/running_time"].fetch()
    assert first >= 0.3 and total >= first + 0.3


def test_timestamps_read_back_in_local_time_across_daylight_saving(run_script: Any) -> None:
    done = run_script(
        """
        import datetime as dt, nepnb
        run = nepnb.init_run(capture_stdout=False, capture_stderr=False,
                             capture_hardware_metrics=False, git_ref=False)
        for month in (1, 7):
            when = dt.datetime(2026, month, 15, 12, 0, tzinfo=dt.timezone.utc)
            run["m"].append(1.0, timestamp=when.timestamp())
        run.stop()
        frame = nepnb.init_run(with_id="DEF-1", mode="read-only")["m"].fetch_values()
        print([str(t) for t in frame["timestamp"]])
        """,
        env={"TZ": "Europe/Berlin"},
    )
    assert done.stdout.strip() == "['2026-01-15 13:00:00', '2026-07-15 14:00:00']"


def test_clear_errors_for_common_mistakes(new_run: Any) -> None:
    run = new_run(**QUIET)
    with pytest.raises(InvalidValue, match="too large for a float series"):
        run["m"].append(10**400)
    with pytest.raises(InvalidValue, match="not finite"):
        run["m"].append(1.0, step=float("inf"))
    with pytest.raises(InvalidValue, match="cannot take one step"):
        run["m"].log([1.0, 2.0], step=5)
    with pytest.raises(UnsupportedValue, match="not int 1"):
        run["sys/tags"].add(1)
    with pytest.raises(MissingField, match="'missing'"):
        run.pop("missing")
    run["flag"].append(True)  # a bool is logged as 1.0, as in Neptune
    run["m"].append(2.0)
    run.wait()
    assert run["flag"].fetch_last() == 1.0 and run["m"].fetch_last() == 2.0


def test_nepnb_sync_marks_a_killed_run_inactive(run_script: Any, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(
            """
            import sys, time, nepnb
            run = nepnb.init_run(mode="offline", flush_period=0.1, capture_stdout=False,
                                 capture_stderr=False, capture_hardware_metrics=False,
                                 git_ref=False)
            run["m"].append(1.0)
            time.sleep(0.5)
            print("flushed", flush=True)
            time.sleep(60)
            """
        )],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    assert process.stdout is not None and process.stdout.readline().strip() == "flushed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    from tests.helpers.cli import run_cli

    assert run_cli("sync").returncode == 0
    run = neptune.init_run(with_id="DEF-1", mode="read-only")
    assert run["sys/state"].fetch() == "Inactive"
    assert run["m"].fetch_last() == 1.0


def sampled_monitoring(new_run: Any, reopen: Any, seconds: float) -> tuple[Any, str]:
    """A run with hardware monitoring every 0.05 s for ``seconds``, reopened: (run, its
    monitoring namespace). Call with autolog.HARDWARE_PERIOD patched."""
    import time

    run = new_run(
        capture_hardware_metrics=True, capture_stdout=False, capture_stderr=False, git_ref=False
    )
    time.sleep(seconds)
    run.stop()
    ro = reopen(run._sys_id)
    [namespace] = ro.get_structure()["monitoring"]
    return ro, namespace


def test_hardware_metrics_are_sampled_while_the_run_is_open(
    new_run: Any, reopen: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nepnb.client import autolog

    monkeypatch.setattr(autolog, "HARDWARE_PERIOD", 0.05)
    ro, namespace = sampled_monitoring(new_run, reopen, 0.5)
    cpu = ro[f"monitoring/{namespace}/cpu"].fetch_values()
    memory = ro[f"monitoring/{namespace}/memory"].fetch_values()
    assert len(cpu) >= 3 and len(memory) >= 3
    assert ((cpu["value"] >= 0) & (cpu["value"] <= 100)).all()
    assert (memory["value"] > 0).all()
    assert cpu["step"].tolist() == list(range(len(cpu)))
    # no NVIDIA tools on this machine: no GPU fields
    assert set(ro.get_structure()["monitoring"][namespace]) >= {"cpu", "memory"}
    assert not any(name.startswith("gpu") for name in ro.get_structure()["monitoring"][namespace])


NVIDIA_SMI = """#!/bin/sh
# A stand-in for nvidia-smi (this machine has no NVIDIA GPU): the output format of
# `nvidia-smi --query-gpu=index,utilization.gpu,memory.used,memory.total,power.draw,power.limit
#  --format=csv,noheader,nounits` for two cards, the second one without power readings.
echo "0, 87, 10240, 81920, 312.50, 400.00"
echo "1, 3, 512, 16384, [N/A], [N/A]"
"""


def test_gpu_metrics_are_logged_under_neptunes_names(
    new_run: Any, reopen: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os

    from nepnb.client import autolog

    tools = tmp_path / "bin"
    tools.mkdir()
    smi = tools / "nvidia-smi"
    smi.write_text(NVIDIA_SMI)
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(autolog, "HARDWARE_PERIOD", 0.05)
    ro, namespace = sampled_monitoring(new_run, reopen, 0.6)
    fields = set(ro.get_structure()["monitoring"][namespace])
    assert {"gpu_0", "gpu_memory_0", "gpu_power_0", "gpu_1", "gpu_memory_1"} <= fields
    assert "gpu_power_1" not in fields  # the card reports no power
    base = f"monitoring/{namespace}"
    assert set(ro[f"{base}/gpu_0"].fetch_values()["value"]) == {87.0}
    assert set(ro[f"{base}/gpu_memory_0"].fetch_values()["value"]) == {10.0}
    assert set(ro[f"{base}/gpu_power_0"].fetch_values()["value"]) == {312.5}
    assert set(ro[f"{base}/gpu_memory_1"].fetch_values()["value"]) == {0.5}
    assert len(ro[f"{base}/gpu_1"].fetch_values()) >= 3


def test_dependencies_infer_uploads_the_installed_packages(
    new_run: Any, reopen: Any, tmp_path: Path
) -> None:
    run = new_run(dependencies="infer", **QUIET)
    run.stop()
    target = tmp_path / "requirements.txt"
    reopen(run._sys_id)["source_code/requirements"].download(str(target))
    lines = target.read_text().splitlines()
    assert f"nepnb=={neptune.__version__}" in lines
    assert any(line.startswith("numpy==") for line in lines)
    assert lines == sorted(lines, key=str.lower)
