"""Several processes writing one run at once: nothing lost, no "database is locked"."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nepnb
from nepnb.exceptions import RejectedOperations

WRITER = """
import sys, nepnb
worker = int(sys.argv[1])
run = nepnb.init_run(custom_run_id="shared-run", mode=sys.argv[2], flush_period=0.05,
                     capture_stdout=False, capture_stderr=False, capture_hardware_metrics=False)
for i in range(int(sys.argv[3])):
    run[f"worker/{worker}/metric"].append(i)
    run[f"worker/{worker}/last"] = i
    run["sys/tags"].add(f"w{worker}")
run.stop()
print("done")
"""


@pytest.mark.parametrize(("mode", "points"), [("sync", 150), ("async", 3000)])
def test_processes_share_one_run_through_custom_run_id(
    nepnb_home: Path, tmp_path: Path, mode: str, points: int
) -> None:
    env = {**os.environ, "NEPNB_HOME": str(nepnb_home), "NEPTUNE_DATA_DIRECTORY": str(tmp_path)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(n), mode, str(points)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
        assert out.strip() == "done"
        assert "locked" not in err
    table = nepnb.init_project(mode="read-only").fetch_runs_table().to_pandas()
    assert table["sys/id"].tolist() == ["DEF-1"]
    run = nepnb.init_run(with_id="DEF-1", mode="read-only")
    assert run["sys/tags"].fetch() == {"w0", "w1", "w2", "w3"}
    for n in range(4):
        values = run[f"worker/{n}/metric"].fetch_values()["value"].tolist()
        assert values == [float(i) for i in range(points)]
        assert run[f"worker/{n}/last"].fetch() == points - 1


def test_a_write_another_process_made_impossible_is_reported_by_wait(nepnb_home: Path) -> None:
    first = nepnb.init_run(custom_run_id="clash", capture_stdout=False, capture_stderr=False,
                           capture_hardware_metrics=False)  # fmt: skip
    second = nepnb.init_run(custom_run_id="clash", capture_stdout=False, capture_stderr=False,
                            capture_hardware_metrics=False)  # fmt: skip
    first["value"] = 1.5
    first.wait()
    # `second` opened before the field existed, so only the store can see the conflict.
    second["value"] = "text"
    second["other"] = 2
    with pytest.raises(RejectedOperations) as caught:
        second.wait()
    assert "1 write(s) to run DEF-1 were rejected" in str(caught.value)
    assert "value: field is a Float; cannot store a String there" in str(caught.value)
    second.wait()  # reported once; the queue moved on
    first.stop()
    second.stop()
    run = nepnb.init_run(with_id="DEF-1", mode="read-only")
    assert run["value"].fetch() == 1.5
    assert run["other"].fetch() == 2


def test_the_writer_never_blocks_on_a_rejected_write(nepnb_home: Path) -> None:
    code = textwrap.dedent(
        """
        import nepnb
        a = nepnb.init_run(custom_run_id="x", capture_stdout=False, capture_stderr=False)
        b = nepnb.init_run(custom_run_id="x", capture_stdout=False, capture_stderr=False)
        a["f"] = 1.0
        a.wait()
        b["f"] = "s"
        for i in range(100):
            b["m"].append(i)
        a.stop()
        try:
            b.stop()
        except nepnb.exceptions.RejectedOperations as error:
            print("reported:", str(error).splitlines()[0])
        print(len(nepnb.init_run(with_id="DEF-1", mode="read-only")["m"].fetch_values()))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env={**os.environ})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "reported: 1 write(s) to run DEF-1 were rejected and not stored (everything else was):",
        "100",
    ]
