"""What a run logs on its own: output streams, uncaught exceptions, hardware, sources, git.

Defaults follow the Neptune client: in interactive sessions (notebooks, the REPL) stdout,
stderr and hardware metrics are not captured unless asked; the traceback always is.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from nepnb.client.opening import hostname
from nepnb.store.field_types import FieldType

if TYPE_CHECKING:
    from nepnb.client.run import Run

HARDWARE_PERIOD = 10.0


def is_interactive() -> bool:
    """A REPL or a Jupyter kernel (not a script)."""
    if hasattr(sys, "ps1"):
        return True
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()  # type: ignore[attr-defined]
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def default_monitoring_namespace() -> str:
    seed = f"{hostname()}{os.getpid()}{threading.get_ident()}"
    return "monitoring/" + hashlib.sha256(seed.encode()).hexdigest()[-8:]


def autolog_options(
    *,
    resumed: bool,
    source_files: str | Iterable[str] | None,
    capture_stdout: bool | None,
    capture_stderr: bool | None,
    capture_hardware_metrics: bool | None,
    capture_traceback: bool,
    fail_on_exception: bool,
    monitoring_namespace: str | None,
    git_ref: Any,
    dependencies: str | os.PathLike[str] | None,
) -> dict[str, Any]:
    """The AutoLogger keyword arguments for ``init_run``'s arguments."""
    interactive = is_interactive()
    default = not interactive
    return {
        "resumed": resumed,
        "source_files": source_files,
        "stdout": default if capture_stdout is None else capture_stdout,
        "stderr": default if capture_stderr is None else capture_stderr,
        "hardware": default if capture_hardware_metrics is None else capture_hardware_metrics,
        "traceback": capture_traceback,
        "fail_on_exception": fail_on_exception,
        "namespace": monitoring_namespace or default_monitoring_namespace(),
        "git": _git_folder(git_ref),
        "dependencies": dependencies,
        "interactive": interactive,
    }


def _git_folder(git_ref: Any) -> Path | None:
    """The folder whose repository to record, or None when git tracking is off."""
    from nepnb.types.atoms import GitRef

    if git_ref is False or git_ref is GitRef.DISABLED:
        return None
    if isinstance(git_ref, GitRef):
        return git_ref.resolve_path()
    return GitRef().resolve_path()


class _LineSink:
    """Logs what a stream receives to a run's StringSeries, one value per line."""

    def __init__(self, run: Run, path: str) -> None:
        self._run, self._path = run, path
        self._partial = ""
        self._lock = threading.Lock()

    def capture(self, text: str) -> None:
        with self._lock:
            data = self._partial + text
            lines = data.split("\n")
            self._partial = lines.pop()
        if self._run._state == "stopped":
            return
        for line in lines:
            self._run[self._path].append(line)

    def flush_partial(self) -> None:
        if self._partial and self._run._state != "stopped":
            self._run[self._path].append(self._partial)
        self._partial = ""


class _SharedStream:
    """One wrapper of ``sys.stdout`` (or ``sys.stderr``) for every open run: it writes through
    to the stream it replaced and hands the text to each run's sink. Runs come and go in any
    order without wrapping each other (a chain kept stopped runs alive and printing through
    them); the stream it replaced comes back when the last run stops, unless someone has
    wrapped it meanwhile (then it stays, passing text through)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._original: TextIO = getattr(sys, name)
        self._installed = False
        self._sinks: list[_LineSink] = []
        self._lock = threading.Lock()

    def add(self, sink: _LineSink) -> None:
        with self._lock:
            if not self._installed:
                self._original = getattr(sys, self._name)
                setattr(sys, self._name, self)
                self._installed = True
            self._sinks.append(sink)

    def remove(self, sink: _LineSink) -> None:
        with self._lock:
            if sink in self._sinks:
                self._sinks.remove(sink)
            if not self._sinks and getattr(sys, self._name) is self:
                setattr(sys, self._name, self._original)
                self._installed = False

    def write(self, text: str) -> int:
        written = self._original.write(text)
        for sink in list(self._sinks):
            with contextlib.suppress(Exception):  # capture must never break the user's output
                sink.capture(text)
        return written

    def flush(self) -> None:
        self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class _ExceptionHook:
    """One ``sys.excepthook`` for every open run: an uncaught exception is logged to each of
    them, then handed to the hook that was there before. Runs come and go in any order
    without chaining hooks (a chain kept every stopped run alive)."""

    def __init__(self) -> None:
        self._loggers: list[AutoLogger] = []
        self._previous: Any = None
        self._lock = threading.Lock()

    def add(self, logger: AutoLogger) -> None:
        with self._lock:
            if not self._loggers and sys.excepthook is not self:
                self._previous = sys.excepthook
                sys.excepthook = self
            self._loggers.append(logger)

    def remove(self, logger: AutoLogger) -> None:
        with self._lock:
            if logger in self._loggers:
                self._loggers.remove(logger)
            if not self._loggers and sys.excepthook is self:
                sys.excepthook = self._previous or sys.__excepthook__
                self._previous = None

    def __call__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            for logger in list(self._loggers):
                with contextlib.suppress(Exception):
                    logger.log_exception(exc_type, exc, tb)
        finally:
            (self._previous or sys.__excepthook__)(exc_type, exc, tb)


class AutoLogger:
    """Starts and stops the automatic logging of one run."""

    def __init__(
        self,
        run: Run,
        *,
        resumed: bool,
        source_files: str | Iterable[str] | None,
        stdout: bool,
        stderr: bool,
        hardware: bool,
        traceback: bool,
        fail_on_exception: bool,
        namespace: str,
        git: Path | None,
        dependencies: str | os.PathLike[str] | None,
        interactive: bool,
    ) -> None:
        self.run = run
        self.resumed = resumed
        self.source_files = source_files
        self.capture = {"stdout": stdout, "stderr": stderr, "hardware": hardware}
        self.traceback = traceback
        self.fail_on_exception = fail_on_exception
        self.namespace = namespace
        self.git = git
        self.dependencies = dependencies
        self.interactive = interactive
        self._sinks: list[tuple[str, _LineSink]] = []
        self._stop = threading.Event()
        self._hardware: threading.Thread | None = None

    # start ---------------------------------------------------------------------------
    def start(self) -> None:
        run = self.run
        ns = self.namespace
        if any(self.capture.values()) or self.traceback:
            run[f"{ns}/hostname"] = hostname()
            run[f"{ns}/pid"] = str(os.getpid())
            run[f"{ns}/tid"] = str(threading.get_ident())
        if not self.resumed:
            run._assign_internal("sys/hostname", FieldType.STRING, hostname())
        for name in ("stdout", "stderr"):
            if self.capture[name]:
                sink = _LineSink(run, f"{ns}/{name}")
                _streams[name].add(sink)
                self._sinks.append((name, sink))
        if self.traceback:
            _exception_hook.add(self)
        if self.capture["hardware"]:
            self._start_hardware()
        if not self.resumed or self.source_files is not None:
            self._log_sources()
        if not self.resumed and self.git is not None:
            self._log_git(self.git)
        if self.dependencies is not None:
            self._log_dependencies()

    def _log_sources(self) -> None:
        run = self.run
        main = sys.modules.get("__main__")
        script = getattr(main, "__file__", None)
        if script and not self.interactive and Path(script).exists():
            run["source_code/entrypoint"] = Path(script).name
        patterns: list[str]
        if self.source_files is None:
            patterns = [script] if script and not self.interactive and Path(script).exists() else []
        elif isinstance(self.source_files, str):
            patterns = [self.source_files]
        else:
            patterns = list(self.source_files)
        if patterns:
            try:
                run["source_code/files"].upload_files(patterns)
            except Exception as error:
                print(f"nepnb: source files not uploaded: {error}", file=sys.__stderr__)

    def _log_git(self, folder: Path) -> None:
        info = git_info(folder)
        if info is not None:
            self.run._assign_internal("source_code/git", FieldType.GIT_REF, info)

    def _log_dependencies(self) -> None:
        import importlib.metadata  # here: 30 ms of imports that opening a run need not pay

        from nepnb.types.file import File

        if str(self.dependencies) == "infer":
            lines = sorted(
                {
                    f"{dist.metadata['Name']}=={dist.version}"
                    for dist in importlib.metadata.distributions()
                    if dist.metadata["Name"]
                },
                key=str.lower,
            )
            self.run["source_code/requirements"].upload(
                File.from_content("\n".join(lines), extension="txt")
            )
        elif Path(self.dependencies).is_file():  # type: ignore[arg-type]
            self.run["source_code/requirements"].upload(os.fspath(self.dependencies))  # type: ignore[arg-type]
        else:
            print(
                f"nepnb: dependency file {self.dependencies} does not exist; not uploaded",
                file=sys.__stderr__,
            )

    def _start_hardware(self) -> None:
        import psutil

        from nepnb.client.gpu import GpuMonitor

        ns = self.namespace
        total_gb = psutil.virtual_memory().total / 2**30
        self.run[f"{ns}/cpu"].configure(min=0, max=100, unit="%")
        self.run[f"{ns}/memory"].configure(min=0, max=round(total_gb, 2), unit="GB")
        psutil.cpu_percent()  # the first call only primes the counter
        gpus = GpuMonitor()
        configured: set[int] = set()

        def sample_gpus() -> None:
            # Neptune's fields: gpu_N (%), gpu_memory_N (GB), gpu_power_N (W) per card N.
            for card in gpus.read():
                n = card.index
                if n not in configured:
                    configured.add(n)
                    self.run[f"{ns}/gpu_{n}"].configure(min=0, max=100, unit="%")
                    self.run[f"{ns}/gpu_memory_{n}"].configure(
                        min=0, max=round(card.memory_total_gb, 2), unit="GB"
                    )
                    if card.power_limit_watts is not None:
                        self.run[f"{ns}/gpu_power_{n}"].configure(
                            min=0, max=card.power_limit_watts, unit="W"
                        )
                self.run[f"{ns}/gpu_{n}"].append(card.usage_percent)
                self.run[f"{ns}/gpu_memory_{n}"].append(round(card.memory_used_gb, 4))
                if card.power_watts is not None:
                    self.run[f"{ns}/gpu_power_{n}"].append(card.power_watts)

        def sample() -> None:
            while not self._stop.wait(HARDWARE_PERIOD):
                if self.run._state == "stopped":
                    return
                try:
                    self.run[f"{ns}/cpu"].append(psutil.cpu_percent())
                    used = psutil.virtual_memory().used / 2**30
                    self.run[f"{ns}/memory"].append(round(used, 4))
                    sample_gpus()
                except Exception:
                    return

        self._hardware = threading.Thread(target=sample, name="nepnb-hardware", daemon=True)
        self._hardware.start()

    # failures ------------------------------------------------------------------------
    def log_exception(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Log a traceback to ``<monitoring>/traceback`` and mark the run failed."""
        run = self.run
        if run._state == "stopped":
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        run[f"{self.namespace}/traceback"].append(text)
        if self.fail_on_exception:
            run._assign_internal("sys/failed", FieldType.BOOL, True)

    # stop ----------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()
        for name, sink in self._sinks:
            _streams[name].remove(sink)
            sink.flush_partial()
        self._sinks.clear()
        _exception_hook.remove(self)
        if self._hardware is not None:
            self._hardware.join(timeout=2)


_exception_hook = _ExceptionHook()
_streams = {name: _SharedStream(name) for name in ("stdout", "stderr")}


def git_info(folder: Path) -> dict[str, Any] | None:
    """Commit, branch, dirty flag and remotes of the repository holding ``folder`` (or the
    file ``folder`` names); None if there is none."""
    import subprocess  # here: opening a run without git info need not import it

    if folder.is_file():
        folder = folder.parent

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return None
    try:
        message, author, email, date = git("log", "-1", "--format=%s%x00%an%x00%ae%x00%aI").split(
            "\0"
        )
        branch = git("rev-parse", "--abbrev-ref", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
        remotes = [line for line in git("remote", "-v").splitlines() if line.endswith("(fetch)")]
    except (OSError, subprocess.SubprocessError, ValueError):
        return {"commit_id": commit}
    return {
        "commit_id": commit,
        "message": message,
        "author_name": author,
        "author_email": email,
        "commit_date": date,
        "branch": None if branch == "HEAD" else branch,
        "dirty": dirty,
        "remotes": [r.split()[1] for r in remotes],
        "repository_path": git("rev-parse", "--show-toplevel"),
    }
