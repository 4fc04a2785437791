"""The runs open in an IPython kernel, and the cell hooks that log into them.

One :class:`KernelSession` per shell (``KernelSession.of(shell)``). A run joins it when it is
opened in the kernel, by ``%neptune init_run`` or by a plain ``nepnb.init_run()``; from then
on, every executed cell is logged to it (see :func:`log_cell`), and the session watches for
hanging runs: another run opened over it, no activity for a while, its variable re-bound,
the kernel shutting down.

Nothing here may break a user's cell: every hook runs under :meth:`KernelSession.guard`, which
turns an error into one warning line.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from nepnb.kernel.capture import OutputCapture
from nepnb.store.field_types import FieldType

if TYPE_CHECKING:
    from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult, InteractiveShell

    from nepnb.client.run import Run

CELLS = "notebook/cells"  # where each executed cell is logged (see the README)
IDLE_MINUTES = 30.0
IDLE_MINUTES_ENV = "NEPNB_IDLE_MINUTES"


def default_idle_minutes() -> float:
    try:
        return float(os.environ.get(IDLE_MINUTES_ENV, IDLE_MINUTES))
    except ValueError:
        return IDLE_MINUTES


@dataclass
class OpenRun:
    """A run open in this kernel, as the session sees it."""

    run: Run
    opened: float
    capture: bool
    variables: set[str] = field(default_factory=set)
    last_activity: float = 0.0
    writes: int = 0
    idle_warned: bool = False
    checkpoint_id: str | None = None
    scanned: bool = False  # the namespace was searched for its variables
    step_offset: float = 0.0  # cells are logged at step = offset + execution count
    # the cell in which it was said to be still open while another run opened: losing its
    # variable in that same cell is the same situation, not told twice
    told_open_in: CellStart | None = None

    @property
    def label(self) -> str:
        return self.run.sys_id or f"({self.run.mode} run)"

    @property
    def is_open(self) -> bool:
        return self.run.get_state() != "stopped"

    def describe(self) -> str:
        names = ", ".join(f"`{name}`" for name in sorted(self.variables))
        return f"{self.label} (variable {names})" if names else self.label

    def stop_hint(self, rebinding: str | None = None, *, any_rebound: bool = False) -> str:
        """How to stop this run. ``rebinding``: a variable about to refer to another run
        (``any_rebound``: any of them may be), so not one to name."""
        names = [] if any_rebound else sorted(self.variables - {rebinding})
        if not names and self.run.sys_id is None:
            names = sorted(self.variables)  # no id to name it by
        if names:
            return f"`%neptune stop {names[0]}` or `{names[0]}.stop()`"
        return f"`%neptune stop {self.label}`"


@dataclass
class CellStart:
    source: str
    cell_id: str | None
    started: float


class KernelSession:
    """Open runs of one IPython shell and the hooks that capture cells into them."""

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self.runs: list[OpenRun] = []
        self.idle_minutes = default_idle_minutes()
        self.output = OutputCapture()
        self._cell: CellStart | None = None
        # the cells running, outermost first, with the request that runs them: more than one
        # while a cell runs code through run_cell (%%capture, %rerun …), part of that cell
        self._running: list[tuple[ExecutionInfo, Any]] = []
        self.capture = True  # the default for runs opened in a cell (NeptuneMagics.capture)
        self._warned: set[str] = set()
        self._now: Callable[[], float] = time.time
        self._opening: dict[str, Any] = {}
        from nepnb.kernel.notebook import Frontend

        self.frontend = Frontend(self)
        self.frontend.register()
        shell.events.register("pre_run_cell", self._pre_run_cell)
        shell.events.register("post_run_cell", self._post_run_cell)
        # The client stops every open run at exit too (registered when nepnb.client.objects is
        # imported, which `import nepnb` now leaves to the first run). atexit calls the last
        # registered first: import it before registering, so that the kernel stops its runs
        # first and says so in its log.
        import nepnb.client.objects  # noqa: F401

        atexit.register(self.close_all, "the kernel is shutting down")

    @classmethod
    def of(cls, shell: InteractiveShell) -> KernelSession:
        session = getattr(shell, "_nepnb_session", None)
        if session is None:
            session = cls(shell)
            shell._nepnb_session = session  # type: ignore[attr-defined]
        return session

    # messages ----------------------------------------------------------------------
    def warn(self, message: str) -> None:
        """One line on the cell's stderr (where the user looks, unlike Python's warnings,
        which show once per place)."""
        stream = self.output.stderr.original if self.output.stderr is not None else sys.stderr
        print(f"nepnb warning: {message}", file=stream)

    @contextmanager
    def guard(self, what: str) -> Iterator[None]:
        """Errors inside nepnb become one warning (once per distinct error), never an
        exception in the user's cell."""
        try:
            yield
        except Exception as error:
            key = f"{what}: {type(error).__name__}: {error}"
            if key not in self._warned:
                self._warned.add(key)
                self.warn(
                    f"{what} failed ({type(error).__name__}: {error}); your code ran normally. "
                    "Later failures like this one are not repeated."
                )

    # runs ----------------------------------------------------------------------------
    def open_runs(self) -> list[OpenRun]:
        self.runs = [entry for entry in self.runs if entry.is_open]
        if not any(entry.capture for entry in self.runs):
            self.output.uninstall()
        return self.runs

    def find(self, run: Any) -> OpenRun | None:
        return next((entry for entry in self.runs if entry.run is run), None)

    def attach(self, run: Run, *, variable: str | None = None, capture: bool = True) -> OpenRun:
        """Make ``run`` one of this kernel's open runs (again: only updates the variable)."""
        entry = self.find(run)
        if entry is None:
            others = [other for other in self.open_runs() if other.run is not run]
            now = self._now()
            entry = OpenRun(run, opened=now, capture=capture, last_activity=now)
            entry.writes = run.user_writes()
            with self.guard("reading the cells the run logged before"):
                entry.step_offset = self._step_offset(run)
            self.runs.append(entry)
            for other in others:
                other.told_open_in = self._cell
                # the magic re-binds `variable`; a plain init_run may re-bind any name
                hint = other.stop_hint(variable, any_rebound=variable is None)
                self.warn(
                    f"run {other.describe()} is still open in this kernel while {entry.label} "
                    f"opens. Stop it with {hint} if you are done with it."
                )
            if capture and not self.output.installed:
                self.output.install()
                self.output.start()  # the rest of this cell's output is the run's too
        if variable is not None:
            entry.variables.add(variable)
        return entry

    def _step_offset(self, run: Run) -> float:
        """0, or for a run resumed in a new kernel (execution counts start again at 1) the
        last step its cells were logged at: steps must increase."""
        info = run.info
        if run.store is None or info is None:
            return 0.0
        path = f"{CELLS}/source"
        stored = run.store.get_fields(info.uid, [path]).get(path)
        last = stored.value.get("last_step") if stored and isinstance(stored.value, dict) else None
        current = self.shell.execution_count - 1  # IPython counts the running cell first
        if isinstance(last, (int, float)) and last >= current:
            return float(last)
        return 0.0

    @contextmanager
    def opening(self, **options: Any) -> Iterator[None]:
        """Options for the run opened inside the block (the magic's --var, --no-capture …)."""
        self._opening = options
        try:
            yield
        finally:
            self._opening = {}

    def run_opened(self, run: Run) -> None:
        """A run was opened in this kernel: capture cells into it, and checkpoint the
        notebook linked to it."""
        options = self._opening
        if self._cell is None:  # the session started in this cell: it began about now
            self._cell = CellStart(self.current_source(), None, self._now())
        entry = self.attach(
            run, variable=options.get("variable"), capture=options.get("capture", self.capture)
        )
        if options.get("checkpoint", True) and run.store is not None:
            from nepnb.kernel.notebook import checkpoint

            with self.guard("checkpointing the notebook"):
                notes: list[str] = []
                info = checkpoint(
                    self, [entry], message=None, cell_source=self.current_source(), notes=notes
                )
                if info is None and notes:
                    self.warn(f"the run is not linked to a checkpoint: {'; '.join(notes)}")
                elif info is None:
                    self.warn(
                        "could not find this notebook's file, so the run is not linked to a "
                        "checkpoint. Save the notebook, or link one later with "
                        "`%neptune checkpoint -m MESSAGE`."
                    )
                else:
                    for note in notes:
                        print(f"nepnb: {note}")
                    if "variable" not in options:  # the magic says it with its own line
                        name = Path(info.path).name
                        print(f"nepnb: checkpoint {info.id} of {name} linked to run {entry.label}")
        if run.store is not None:
            with self.guard("looking for crashed runs"):
                self._report_crashed(run)
        self.frontend.send_runs()

    def _report_crashed(self, run: Run) -> None:
        """Runs of the project left open by a process that died (a kernel that crashed) are
        marked now, and said so."""
        from nepnb.client.table import mark_abandoned

        assert run.store is not None
        marked = mark_abandoned(run.store, run.project)
        if marked:
            self.warn(
                f"{', '.join(marked)} {'was' if len(marked) == 1 else 'were'} left open by a "
                "process that ended without stopping it (a crashed or killed kernel?); marked "
                "inactive with sys/crashed = True. What it stored before is kept."
            )

    def current_source(self) -> str:
        """The source of the cell being executed, as the kernel received it."""
        if self._cell is not None:
            return self._cell.source
        executed = self.executed()
        return executed[-1] if executed else ""

    def executed(self, current: str | None = None) -> list[str]:
        """The sources of the cells this kernel executed, as it received them, the running
        one last (IPython stores each in its raw input history before it runs; ``current``
        is added when it is not there, as a cell run without history)."""
        from nepnb.kernel.locate import executed_sources

        sources = executed_sources(self.shell)
        if current and (not sources or sources[-1].rstrip("\n") != current.rstrip("\n")):
            sources.append(current)
        return sources

    def status(self) -> list[dict[str, Any]]:
        """The open runs, as ``%neptune status`` and the status bar show them."""
        now = self._now()
        rows = []
        for entry in self.open_runs():
            idle = now - entry.last_activity
            rows.append(
                {
                    "id": entry.label,
                    "name": entry.run.name,
                    "project": entry.run.project,
                    "variables": sorted(entry.variables),
                    "opened": entry.opened,
                    "age": now - entry.opened,
                    "last_activity": entry.last_activity,
                    "idle": idle,
                    "hanging": self.idle_minutes > 0 and idle >= self.idle_minutes * 60,
                    "idle_limit": self.idle_minutes * 60,
                    "queued": entry.run.queued_writes(),
                    "mode": entry.run.mode,
                    "checkpoint": entry.checkpoint_id,
                }
            )
        return rows

    def stop_by_label(self, label: str, reason: str | None = None) -> bool:
        """Stop the run ``label`` (each of its handles, if it was opened more than once)."""
        chosen = [entry for entry in self.open_runs() if entry.label == label]
        for entry in chosen:
            self.stop(entry, reason)
        return bool(chosen)

    def stop(self, entry: OpenRun, reason: str | None = None) -> bool:
        """Stop the run of ``entry``; False if that failed (a warning said why)."""
        stopped = False
        with self.guard(f"stopping run {entry.label}"):
            queued = entry.run.queued_writes()
            entry.run.stop()
            stopped = True
            if reason:
                print(
                    f"nepnb: stopped run {entry.label} ({reason}; {queued} queued writes flushed)",
                    file=sys.__stderr__,
                )
        self.open_runs()
        self.frontend.send_runs()
        return stopped

    def close_all(self, reason: str) -> None:
        for entry in list(self.runs):
            if entry.is_open:
                self.stop(entry, reason)

    # hooks ---------------------------------------------------------------------------
    def _pre_run_cell(self, info: ExecutionInfo) -> None:
        request = self._request()
        if self._running and self._running[-1][1] != request:
            self._running.clear()  # left over from another request: that cell has ended
        self._running.append((info, request))
        if len(self._running) > 1:
            return
        self._cell = CellStart(info.raw_cell or "", info.cell_id, self._now())
        if not self.runs:
            return
        with self.guard("capturing the cell"):
            runs = self.open_runs()
            self._warn_idle(runs)
            if self.output.installed:
                self.output.start()

    def _post_run_cell(self, result: ExecutionResult | None) -> None:
        info = result.info if result is not None else None
        if info is None:  # the kernel's cell failed before it had a result
            self._running.clear()
        elif any(running is info for running, _ in self._running):
            while self._running.pop()[0] is not info:
                pass  # (a run_cell_async awaited in the cell sends no post_run_cell)
            if self._running:
                return
        elif self._running and self._running[-1][1] == self._request():
            return  # a blank cell run from a cell (IPython sends no pre_run_cell for it)
        cell, self._cell = self._cell, None
        if not self.runs:
            if self.output.installed:
                self.output.finish()
            return
        with self.guard("logging the cell to the run"):
            stdout, stderr = self.output.finish() if self.output.installed else ("", "")
            runs = self.open_runs()
            now = self._now()
            for entry in runs:
                writes = entry.run.user_writes()
                if writes != entry.writes:
                    entry.writes, entry.last_activity, entry.idle_warned = writes, now, False
            # a cell without a history entry (store_history=False) has no count of its own
            history = info is None or info.store_history
            if cell is not None and result is not None and history and result.execution_count:
                seen: set[str] = set()  # a run opened twice here is logged to once
                for entry in runs:
                    if not entry.capture or entry.label in seen:
                        continue
                    if entry.run.sys_id is not None:
                        seen.add(entry.label)
                    step = entry.step_offset + result.execution_count
                    log_cell(entry.run, step, cell, result, stdout, stderr, now)
            self._check_variables(runs, cell)

    def _request(self) -> Any:
        """The id of the kernel request being executed (None outside a kernel)."""
        parent = getattr(self.shell, "parent_header", None)
        header = parent.get("header") if isinstance(parent, dict) else None
        return header.get("msg_id") if isinstance(header, dict) else None

    def _warn_idle(self, runs: list[OpenRun]) -> None:
        if self.idle_minutes <= 0:
            return
        now = self._now()
        for entry in runs:
            idle = now - entry.last_activity
            if not entry.idle_warned and idle >= self.idle_minutes * 60:
                entry.idle_warned = True
                self.warn(
                    f"run {entry.describe()} has had no activity for {_duration(idle)} and is "
                    f"still open. Stop it with {entry.stop_hint()} when you are done."
                )

    def _check_variables(self, runs: list[OpenRun], cell: CellStart | None) -> None:
        """Warn about open runs whose every variable was re-bound or deleted (in ``cell``;
        not when that cell already said the run is still open). The names a run is known by
        are checked each cell; the namespace is scanned only when that is not enough (a run
        with no known name yet, or all of them lost)."""
        user_ns = self.shell.user_ns
        for entry in runs:
            kept = {name for name in entry.variables if user_ns.get(name) is entry.run}
            if kept and kept == entry.variables and entry.scanned:
                continue
            lost = entry.variables - kept
            entry.variables = kept | self._names_of(entry.run)
            entry.scanned = True
            if lost and not entry.variables and (cell is None or entry.told_open_in is not cell):
                names = ", ".join(f"`{name}`" for name in sorted(lost))
                self.warn(
                    f"{names} no longer refers to run {entry.label}, which is still open. "
                    f"Stop it with `%neptune stop {entry.label}`."
                )

    def _names_of(self, run: Run) -> set[str]:
        return {
            name
            for name, value in list(self.shell.user_ns.items())
            if value is run and not name.startswith("_")
        }


def log_cell(
    run: Run,
    step: float,
    cell: CellStart,
    result: ExecutionResult,
    stdout: str,
    stderr: str,
    finished: float,
) -> None:
    """Log one executed cell to ``run`` under ``notebook/cells/``, at ``step`` (its execution
    count, after the cells of an earlier kernel for a resumed run): source, cell id, duration,
    status, stdout, stderr and the traceback if it failed."""
    step = float(step)
    error = result.error_in_exec or result.error_before_exec
    info = result.info
    source = info.raw_cell if info is not None and info.raw_cell is not None else cell.source
    cell_id = (info.cell_id if info is not None else None) or cell.cell_id
    entries: list[tuple[str, FieldType, Any]] = [
        ("source", FieldType.STRING_SERIES, source),
        ("duration", FieldType.FLOAT_SERIES, round(finished - cell.started, 6)),
        ("status", FieldType.STRING_SERIES, "error" if error is not None else "ok"),
    ]
    if cell_id:
        entries.append(("id", FieldType.STRING_SERIES, cell_id))
    if stdout:
        entries.append(("stdout", FieldType.STRING_SERIES, stdout))
    if stderr:
        entries.append(("stderr", FieldType.STRING_SERIES, stderr))
    if error is not None:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        entries.append(("traceback", FieldType.STRING_SERIES, text))
    for name, ftype, value in entries:
        run.log_internal(f"{CELLS}/{name}", ftype, value, step)


def _duration(seconds: float) -> str:
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} minutes"
    return f"{minutes / 60:.1f} hours"


def current_shell() -> InteractiveShell | None:
    """The IPython shell of this kernel, if nepnb runs in one (IPython is not imported)."""
    if "IPython" not in sys.modules:
        return None
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:
        return None
    if shell is None or not hasattr(shell, "events"):
        return None
    return shell  # type: ignore[no-any-return]


def run_opened(run: Run) -> None:
    """Called by ``init_run``: in an IPython shell, the run joins the kernel's session."""
    shell = current_shell()
    if shell is None:
        return
    session = KernelSession.of(shell)
    with session.guard("attaching the run to this notebook"):
        session.run_opened(run)


def announcement_stream() -> TextIO | None:
    """Where ``init_run`` says which run it opened: stdout in a notebook (stderr reads as an
    error there), nowhere when ``%neptune init_run`` says it itself, else stderr."""
    shell = current_shell()
    if shell is None:
        return sys.stderr
    session = getattr(shell, "_nepnb_session", None)
    if session is not None and "variable" in session._opening:
        return None
    return sys.stdout
