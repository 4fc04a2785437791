"""The suite's markers, put where their cause is (a pytest plugin, loaded by tests/conftest.py).

``browser``   drives Debian's Chromium through Playwright
``postgres``  needs Debian's PostgreSQL (started by the fixtures)
``kernel``    starts a real IPython kernel (nbclient, jupyter_client, a Jupyter server's)
``server``    starts a ``nepnb server`` process or a Jupyter server
``slow``      anything else that takes more than about 5 s

``./dev test --fast`` leaves all of them out. A test gets its marker from the fixtures it
uses (``FIXTURE_MARKERS``) and from its parameters (a "postgres" backend), or, when a
helper starts the thing, from a mark on the test or its module. A test that starts one of
these without its marker fails, naming the marker, so the fast subset stays fast.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Generator, Sequence
from typing import Any

import pytest

MARKERS = ("browser", "postgres", "kernel", "server", "slow")
#: What `./dev test --fast` selects.
FAST = "not (" + " or ".join(MARKERS) + ")"

#: Fixtures that start what a marker names: a test that uses one (even through another
#: fixture) gets the marker.
FIXTURE_MARKERS: dict[str, tuple[str, ...]] = {
    "browser": ("browser",),
    "page": ("browser",),
    "jupyter_lab": ("server",),
    "jp_serverapp": ("server",),
    "server_pool": ("server",),
    "own_server": ("server",),
    "start_kernel": ("kernel",),
    "neptune_python": ("slow",),
}


def param_markers(value: object) -> tuple[str, ...]:
    """Markers of a test parameter: the backends that start a tracking server and
    PostgreSQL ("postgres", "http-sqlite", "http-postgres")."""
    if not isinstance(value, str):
        return ()
    found: tuple[str, ...] = ()
    if value == "postgres" or value.endswith("-postgres"):
        found += ("postgres", "server")
    if value.startswith("http-"):
        found += ("server",)
    return found


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        wanted: set[str] = set()
        for name in getattr(item, "fixturenames", ()):
            wanted.update(FIXTURE_MARKERS.get(name, ()))
        callspec = getattr(item, "callspec", None)
        if callspec is not None:
            for value in callspec.params.values():
                wanted.update(param_markers(value))
        for marker in sorted(wanted - {mark.name for mark in item.iter_markers()}):
            item.add_marker(marker)


# The guard: what a test starts, seen through Python's audit events -------------------------


#: Consecutive words of a command line that start a server, when no sub-command follows
#: (``jupyter server extension list`` starts none).
SERVER_COMMANDS = {
    ("nepnb", "server"),  # `nepnb server` and `python -m nepnb server`
    ("-m", "jupyterlab"),
    ("-m", "notebook"),
    ("-m", "jupyter_server"),
    ("jupyter", "lab"),
    ("jupyter", "server"),
    ("jupyter", "notebook"),
    ("jupyter-lab",),
    ("jupyter-server",),
    ("jupyter-notebook",),
}


def started_by(command: Sequence[str]) -> str | None:
    """The marker of what a command line starts (a kernel, PostgreSQL, Playwright's driver
    of Chromium, a server), or None."""
    words = [os.path.basename(word) for word in command]
    if "ipykernel_launcher" in words or ("-m", "ipykernel") in itertools.pairwise(words):
        return "kernel"
    if {"initdb", "pg_ctl"} & set(words) and "stop" not in words:
        return "postgres"
    if "run-driver" in words:
        return "browser"
    for start in range(len(words)):
        for length in (1, 2):
            after = words[start + length : start + length + 1]
            if tuple(words[start : start + length]) in SERVER_COMMANDS and (
                not after or after[0].startswith("-")
            ):
                return "server"
    return None


class Guard:
    """Records, for the test running now, what it starts that its markers do not allow."""

    def __init__(self) -> None:
        self.item: pytest.Item | None = None
        self.allowed: set[str] = set()
        self.found: list[tuple[str, str]] = []

    def begin(self, item: pytest.Item) -> None:
        self.item = item
        self.allowed = {mark.name for mark in item.iter_markers()}
        self.found = []

    def end(self) -> None:
        self.item = None

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if event != "subprocess.Popen" or self.item is None:
            return
        command = args[1]
        if isinstance(command, (str, bytes, os.PathLike)):
            words = os.fsdecode(command).split()
        else:
            words = [os.fsdecode(word) for word in command]
        marker = started_by(words)
        if marker is not None and marker not in self.allowed:
            self.found.append((marker, " ".join(words)[:200]))


GUARD = Guard()


def pytest_configure(config: pytest.Config) -> None:
    if not getattr(sys, "_nepnb_marker_guard", False):
        sys.addaudithook(GUARD.audit)  # hooks cannot be removed: install one per process
        sys._nepnb_marker_guard = True  # type: ignore[attr-defined]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    GUARD.begin(item)
    try:
        yield
    finally:
        GUARD.end()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if call.when != "call" or not report.passed or not GUARD.found:
        return
    marker, command = GUARD.found[0]
    report.outcome = "failed"
    report.longrepr = (
        f"{item.nodeid} starts {command!r} but is not marked {marker!r}: add "
        f"@pytest.mark.{marker} (or pytestmark in its module), or use a fixture that marks "
        f"it (tests/helpers/markers.py), so that `./dev test --fast` leaves it out"
    )
