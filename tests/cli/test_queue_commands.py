"""`nepnb status`, `nepnb sync` and `nepnb clear` on real queue folders written by real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import nepnb
from tests.helpers.cli import run_cli


def python(code: str, env: dict[str, str], **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.fixture
def env(nepnb_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    data = tmp_path / "queue-data"
    monkeypatch.setenv("NEPTUNE_DATA_DIRECTORY", str(data))
    return {**os.environ, "NEPNB_HOME": str(nepnb_home), "NEPTUNE_DATA_DIRECTORY": str(data)}


OFFLINE_RUN = """
    import nepnb
    run = nepnb.init_run(mode="offline", name="offline one", custom_run_id="{custom}",
                         tags=["nightly"], capture_stdout=False, capture_stderr=False,
                         capture_hardware_metrics=False)
    run["params/lr"] = 0.01
    for i in range({points}):
        run["loss"].append(1.0 / (i + 1))
    run.stop()
"""


def write_offline(env: dict[str, str], custom: str, points: int) -> None:
    process = python(OFFLINE_RUN.format(custom=custom, points=points), env)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "offline, queued in" in err


def test_status_sync_and_read_back(env: dict[str, str]) -> None:
    assert run_cli("status").stdout.startswith("Nothing to sync in")
    write_offline(env, "c-1", 50)
    status = run_cli("status")
    assert status.returncode == 0
    assert "Offline runs, not uploaded yet:" in status.stdout
    assert "offline/run__" in status.stdout and "local/default" in status.stdout

    synced = run_cli("sync")
    assert synced.returncode == 0, synced.stderr
    assert "uploaded as DEF-1" in synced.stdout
    assert run_cli("status").stdout.startswith("Nothing to sync in")

    run = nepnb.init_run(with_id="DEF-1", mode="read-only")
    assert run["sys/custom_run_id"].fetch() == "c-1"
    assert run["sys/name"].fetch() == "offline one"
    assert run["sys/tags"].fetch() == {"nightly"}
    assert run["params/lr"].fetch() == 0.01
    values = run["loss"].fetch_values()
    assert values["step"].tolist() == list(range(50))
    assert run["sys/state"].fetch() == "Inactive"
    # The creation time is when the run was written, not when it was uploaded.
    assert run["sys/creation_time"].fetch() < run["sys/modification_time"].fetch()


def test_sync_twice_never_duplicates_and_joins_custom_run_id(env: dict[str, str]) -> None:
    write_offline(env, "shared", 10)
    assert run_cli("sync").returncode == 0
    write_offline(env, "shared", 0)  # same custom_run_id: the same run
    assert run_cli("sync").returncode == 0
    assert run_cli("sync").stdout.startswith("Nothing to sync")
    table = nepnb.init_project(mode="read-only").fetch_runs_table().to_pandas()
    assert table["sys/id"].tolist() == ["DEF-1"]
    assert len(nepnb.init_run(with_id="DEF-1", mode="read-only")["loss"].fetch_values()) == 10


def test_a_damaged_run_is_skipped_and_the_others_sync(env: dict[str, str]) -> None:
    write_offline(env, "good", 5)
    write_offline(env, "bad", 5)
    folders = sorted((Path(env["NEPTUNE_DATA_DIRECTORY"]) / "offline").iterdir())
    bad = next(f for f in folders if '"bad"' in (f / "object.json").read_text())
    victim = sorted((bad / "batches").glob("*.batch"))[-1]
    victim.write_bytes(b"not a pickle")
    result = run_cli("sync")
    assert result.returncode == 1
    assert "damaged batch(es) could not be uploaded" in result.stderr
    assert victim.with_suffix(".damaged").name in result.stderr
    assert "Traceback" not in result.stderr
    assert "uploaded as" in result.stdout
    ids = nepnb.init_project(mode="read-only").fetch_runs_table().to_pandas()
    customs = set(ids["sys/custom_run_id"])
    assert "good" in customs


def test_sync_while_the_run_is_being_written(env: dict[str, str]) -> None:
    writer = python(
        """
        import time, nepnb
        run = nepnb.init_run(mode="offline", flush_period=0.1, capture_stdout=False,
                             capture_stderr=False, capture_hardware_metrics=False)
        for i in range(300):
            run["m"].append(i)
            time.sleep(0.01)
        run.stop()
        """,
        env,
    )
    time.sleep(1.0)
    during = run_cli("sync")
    assert during.returncode == 0, during.stderr
    assert "still writing" in during.stdout
    writer.communicate(timeout=60)
    assert writer.returncode == 0
    assert run_cli("sync").returncode == 0
    values = nepnb.init_run(with_id="DEF-1", mode="read-only")["m"].fetch_values()
    assert values["value"].tolist() == [float(i) for i in range(300)]


def test_killed_offline_process_loses_at_most_one_flush_period(env: dict[str, str]) -> None:
    writer = python(
        """
        import sys, time, nepnb
        run = nepnb.init_run(mode="offline", flush_period=0.2, capture_stdout=False,
                             capture_stderr=False, capture_hardware_metrics=False)
        for i in range(1000):
            run["m"].append(i)
        time.sleep(1.0)              # several flush periods: the 1000 points are on disk
        print("flushed", flush=True)
        for i in range(1000, 1100):
            run["m"].append(i)
        time.sleep(60)
        """,
        env,
    )
    assert writer.stdout.readline().strip() == "flushed"
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    assert "still being written" not in run_cli("status").stdout
    assert run_cli("sync").returncode == 0
    steps = nepnb.init_run(with_id="DEF-1", mode="read-only")["m"].fetch_values()["step"]
    assert steps.tolist()[:1000] == list(range(1000))


def test_killed_async_process_keeps_what_was_flushed(env: dict[str, str]) -> None:
    writer = python(
        """
        import time, nepnb
        run = nepnb.init_run(flush_period=0.2, capture_stdout=False,
                             capture_stderr=False, capture_hardware_metrics=False)
        run["params/x"] = 1
        for i in range(5000):
            run["m"].append(i)
        time.sleep(1.0)
        print(run["sys/id"].fetch(), flush=True)
        time.sleep(60)
        """,
        env,
    )
    sys_id = writer.stdout.readline().strip()
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    run_cli("sync")
    run = nepnb.init_run(with_id=sys_id, mode="read-only")
    assert len(run["m"].fetch_values()) == 5000
    assert run["params/x"].fetch() == 1


def test_clear_asks_and_deletes(env: dict[str, str]) -> None:
    write_offline(env, "c", 3)
    refused = subprocess.run(
        [sys.executable, "-m", "nepnb", "clear"], env=env, capture_output=True, text=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "pass --yes" in refused.stderr and "Traceback" not in refused.stderr
    assert "offline/run__" in run_cli("status").stdout
    cleared = run_cli("clear", "--yes")
    assert cleared.returncode == 0 and "Deleted offline/run__" in cleared.stdout
    assert run_cli("status").stdout.startswith("Nothing to sync")


def test_sync_of_an_unknown_object_is_a_clear_error(env: dict[str, str]) -> None:
    write_offline(env, "c", 1)
    result = run_cli("sync", "--object", "DEF-99")
    assert result.returncode == 1
    assert "nothing queued named DEF-99" in result.stderr
