"""What opening a run costs a training script: no work it does not need."""

from __future__ import annotations

from typing import Any


def test_a_script_opening_a_run_imports_only_what_it_uses(run_script: Any) -> None:
    """With git info and the captures off (as in bench/logging.py), ``init_run`` in a script
    imports neither the kernel session (there is no IPython shell to join), nor
    ``importlib.metadata`` (dependencies are not logged), nor ``subprocess`` (git is not
    asked): together they once cost the first ``init_run`` of a process 70 ms."""
    done = run_script(
        """
        import sys
        import nepnb

        before = set(sys.modules)
        run = nepnb.init_run(
            capture_stdout=False, capture_stderr=False, capture_hardware_metrics=False,
            capture_traceback=False, source_files=[], git_ref=False,
        )
        run["x"] = 1
        run.stop()
        watched = ("nepnb.kernel.session", "importlib.metadata", "subprocess", "email")
        print(sorted(m for m in watched if m in set(sys.modules) - before))
        """
    )
    assert done.stdout.splitlines()[0] == "[]"


def test_a_run_read_back_has_its_size_and_hostname(run_script: Any) -> None:
    """The opening reads no sizes, yet ``sys/size`` is still known and fetched when asked;
    the host name asked once is the one stored."""
    done = run_script(
        """
        import socket
        import nepnb

        run = nepnb.init_run(capture_hardware_metrics=False, git_ref=False)
        run["params/lr"] = 0.5
        run.wait()
        print(run.exists("sys/size"), run["sys/size"].fetch() > 0)
        print(run["sys/hostname"].fetch() == socket.gethostname())
        sys_id = run["sys/id"].fetch()
        run.stop()
        again = nepnb.init_run(with_id=sys_id, mode="read-only")
        print(again.exists("sys/size"), again["sys/size"].fetch() > 0)
        """
    )
    assert done.stdout.split() == ["True", "True", "True", "True", "True"]
