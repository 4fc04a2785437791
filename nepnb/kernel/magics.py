"""The ``%neptune`` line magic: a thin layer over :mod:`nepnb.kernel.session`."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from typing import Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_magic, magics_class
from traitlets import Bool, Float, observe

from nepnb import __version__
from nepnb.kernel.session import CELLS, KernelSession, OpenRun

HELP = f"""\
%neptune: track runs and notebook checkpoints with nepnb {__version__}.

Usage:
  %neptune init_run [--project P] [--name N] [--description D] [--tags T ...]
                    [--with-id ID] [--custom-run-id C] [--mode M] [--var NAME]
                    [--no-capture] [--no-checkpoint]
                           open a run and bind it to NAME (default: run)
  %neptune stop [NAME_OR_ID ...] [--all]
                           stop runs (default: the one in `run`, or the only open one)
  %neptune status          the runs open in this kernel
  %neptune checkpoint -m MESSAGE [--body TEXT]
                           checkpoint this notebook, linked to the open runs
  %neptune chart PATH ... [--runs ID ...] [--x step|time] [--log] [--smoothing S]
                           chart float series inline, live while the runs are written
                           (default: the open run, as for stop)
  %neptune version         the nepnb version
  %neptune help            this help (also `%neptune` alone and `%neptune?`)

While a run is open, every executed cell is logged to it under {CELLS}/
(source, id, duration, status, stdout, stderr, traceback; step = execution count),
unless it was opened with --no-capture. A plain nepnb.init_run() in a cell does the same.

Hanging runs: opening a run while another is open, a run idle for
NeptuneMagics.idle_minutes (default 30; 0 turns it off; or $NEPNB_IDLE_MINUTES), and a
variable re-bound away from an open run all print a warning. Open runs are stopped
(everything flushed) when the kernel shuts down or restarts.

Load the magic with `%load_ext nepnb`, or for every kernel with
c.InteractiveShellApp.extensions = ["nepnb"] in ipython_config.py. Settings:
%config NeptuneMagics.idle_minutes = 10
"""


class _SubcommandParser(argparse.ArgumentParser):
    """A sub-command's parser: a mistake is a UsageError that lists the valid options and
    points to the help (``%neptune?``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options: list[str] = []

    def add_argument(self, *names: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*names, **kwargs)
        if action.option_strings:
            self.options.append("/".join(action.option_strings))
        return action

    def error(self, message: str) -> NoReturn:
        valid = f"; valid options: {', '.join(self.options)}" if self.options else ""
        raise UsageError(f"{self.prog}: {message}{valid} (see `%neptune?`)")


def _parser(name: str, description: str) -> _SubcommandParser:
    return _SubcommandParser(prog=f"%neptune {name}", description=description, add_help=False)


def _init_run_parser() -> _SubcommandParser:
    parser = _parser("init_run", "Open a run and bind it to a variable.")
    parser.add_argument("--project", help="workspace/project (default: $NEPTUNE_PROJECT)")
    parser.add_argument("--name")
    parser.add_argument("--description")
    parser.add_argument("--tags", nargs="+", default=None)
    parser.add_argument("--with-id", dest="with_id", help="resume this run (its sys/id)")
    parser.add_argument("--custom-run-id", dest="custom_run_id")
    parser.add_argument("--mode", choices=["async", "sync", "offline", "debug"], default=None)
    parser.add_argument("--var", default="run", help="the variable to bind (default: run)")
    parser.add_argument("--no-capture", dest="capture", action="store_false")
    parser.add_argument("--no-checkpoint", dest="checkpoint", action="store_false")
    return parser


def _stop_parser() -> _SubcommandParser:
    parser = _parser("stop", "Stop runs open in this kernel.")
    parser.add_argument("targets", nargs="*", help="variable names or run ids")
    parser.add_argument("--all", action="store_true")
    return parser


def _checkpoint_parser() -> _SubcommandParser:
    parser = _parser("checkpoint", "Checkpoint this notebook, linked to the open runs.")
    parser.add_argument("-m", "--message", required=True)
    parser.add_argument("--body", default=None)
    return parser


def _chart_parser() -> _SubcommandParser:
    parser = _parser("chart", "Chart float series of runs inline, live while they are written.")
    parser.add_argument("paths", nargs="+", help="series paths, e.g. metrics/loss")
    parser.add_argument("--runs", nargs="+", default=None, help="run ids or variable names")
    parser.add_argument("--project", default=None, help="the project of the run ids")
    parser.add_argument("--x", dest="x_axis", choices=["step", "time"], default="step")
    parser.add_argument("--log", dest="log_scale", action="store_true", help="log scale y")
    parser.add_argument("--smoothing", type=float, default=0.0, help="EMA weight in [0, 0.99]")
    parser.add_argument("--title", default=None)
    return parser


@magics_class
class NeptuneMagics(Magics):
    """The ``%neptune`` magic: one line magic with sub-commands."""

    idle_minutes = Float(
        None,
        allow_none=True,
        help="Warn about a run with no activity for this many minutes (0: never).",
    ).tag(config=True)
    capture = Bool(True, help="Log each executed cell to the open runs.").tag(config=True)

    def __init__(self, shell: InteractiveShell | None = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._configure_session()

    @observe("idle_minutes", "capture")
    def _settings_changed(self, change: Any) -> None:
        """`%config NeptuneMagics.…` applies at once, to plain init_run() runs too."""
        self._configure_session()

    def _configure_session(self) -> None:
        if self.shell is not None:
            self.session  # noqa: B018 (applies the settings)

    @property
    def _shell(self) -> InteractiveShell:
        assert self.shell is not None  # set by IPython when it registers the magics
        return self.shell

    @property
    def session(self) -> KernelSession:
        session = KernelSession.of(self._shell)
        if self.idle_minutes is not None:
            session.idle_minutes = self.idle_minutes
        session.capture = self.capture
        return session

    def _subcommands(self) -> dict[str, Callable[[list[str]], None]]:
        return {
            "help": self._help,
            "version": self._version,
            "init_run": self._init_run,
            "stop": self._stop,
            "status": self._status,
            "checkpoint": self._checkpoint,
            "chart": self._chart,
        }

    @line_magic
    def neptune(self, line: str = "") -> Any:
        """Track runs and notebook checkpoints with nepnb. `%neptune help` lists sub-commands."""
        try:
            words = shlex.split(line)
        except ValueError as error:
            raise UsageError(f"%neptune: cannot parse {line!r}: {error}") from None
        if not words:
            self._help([])
            return None
        name, args = words[0], words[1:]
        subcommands = self._subcommands()
        if name not in subcommands:
            known = ", ".join(sorted(subcommands))
            raise UsageError(f"%neptune: unknown sub-command {name!r}; known: {known}")
        subcommands[name](args)
        return None

    # sub-commands --------------------------------------------------------------------
    def _help(self, args: list[str]) -> None:
        print(HELP, end="")

    def _version(self, args: list[str]) -> None:
        print(f"nepnb {__version__}")

    def _init_run(self, args: list[str]) -> None:
        import nepnb

        options = _init_run_parser().parse_args(args)
        if not options.var.isidentifier():
            raise UsageError(f"%neptune init_run: --var {options.var!r} is not a variable name")
        session = self.session
        with session.opening(
            variable=options.var,
            capture=options.capture and self.capture,
            checkpoint=options.checkpoint,
        ):
            try:
                run = nepnb.init_run(
                    with_id=options.with_id,
                    project=options.project,
                    custom_run_id=options.custom_run_id,
                    mode=options.mode,
                    name=options.name,
                    description=options.description,
                    tags=options.tags,
                )
            except nepnb.exceptions.NepnbError as error:
                raise UsageError(f"%neptune init_run: {error}") from None
        self._shell.user_ns[options.var] = run
        entry = session.attach(run, variable=options.var)
        if run.store is not None:
            from nepnb.client.run import store_phrase

            where = f"in project {run.project}, {store_phrase(run.store)}"
        elif run.mode == "offline":
            where = "offline: upload it later with `nepnb sync`"
        else:
            where = f"{run.mode} mode: nothing is stored"
        print(f"nepnb: run {entry.label} is open as `{options.var}` ({where})")
        if entry.checkpoint_id is not None:
            print(f"       linked to notebook checkpoint {entry.checkpoint_id}")

    def _stop(self, args: list[str]) -> None:
        options = _stop_parser().parse_args(args)
        session = self.session
        runs = session.open_runs()
        if options.all:
            chosen = list(runs)
        elif options.targets:
            chosen = [self._target(runs, target) for target in options.targets]
        else:
            chosen = self._default_targets(runs)
        if not chosen:
            print("nepnb: no run is open in this kernel")
            return
        for entry in chosen:
            queued = entry.run.queued_writes()
            if session.stop(entry):  # else a warning said what went wrong
                print(f"nepnb: stopped run {entry.label} ({queued} queued writes flushed)")

    def _target(self, runs: list[OpenRun], target: str) -> OpenRun:
        for entry in runs:
            if target == entry.label or target in entry.variables:
                return entry
        value = self._shell.user_ns.get(target)
        for entry in runs:
            if value is entry.run:
                return entry
        open_ = ", ".join(entry.describe() for entry in runs) or "none"
        raise UsageError(f"%neptune stop: no open run is {target!r} (open: {open_})")

    def _default_targets(self, runs: list[OpenRun]) -> list[OpenRun]:
        if len(runs) <= 1:
            return list(runs)
        named = [entry for entry in runs if "run" in entry.variables]
        if len(named) == 1:
            return named
        open_ = ", ".join(entry.describe() for entry in runs)
        raise UsageError(f"%neptune stop: several runs are open ({open_}); name one, or use --all")

    def _status(self, args: list[str]) -> None:
        if args:
            raise UsageError("%neptune status takes no arguments")
        rows = self.session.status()
        if not rows:
            print("nepnb: no run is open in this kernel")
            return
        header = ("run", "variable", "age", "last activity", "queued", "")
        table = [header]
        for row in rows:
            table.append(
                (
                    row["id"],
                    ", ".join(row["variables"]) or "-",
                    _ago(row["age"]),
                    _ago(row["idle"]) + " ago",
                    str(row["queued"]),
                    "hanging?" if row["hanging"] else "",
                )
            )
        widths = [max(len(line[i]) for line in table) for i in range(len(header))]
        for line in table:
            print(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(line, widths, strict=True)
                ).rstrip()
            )

    def _checkpoint(self, args: list[str]) -> None:
        from nepnb.kernel.notebook import checkpoint

        options = _checkpoint_parser().parse_args(args)
        session = self.session
        cell = session.current_source()
        notes: list[str] = []
        try:
            info = checkpoint(
                session,
                session.open_runs(),
                message=options.message,
                body=options.body,
                cell_source=cell,
                notes=notes,
            )
        except Exception as error:  # a notebook or store problem: say what, keep the kernel
            raise UsageError(f"%neptune checkpoint: {error}") from None
        if info is None:
            reason = "; ".join(notes) or "cannot find this notebook's file; save it first"
            raise UsageError(f"%neptune checkpoint: {reason}")
        for note in notes:
            print(f"nepnb: {note}")
        linked = f", linked to {', '.join(info.runs)}" if info.runs else ""
        print(f"nepnb: checkpoint {info.id} of {info.path}: {info.summary}{linked}")

    def _chart(self, args: list[str]) -> None:
        import nepnb

        options = _chart_parser().parse_args(args)
        if options.runs:
            runs = [self._chart_target(name) for name in options.runs]
        else:
            chosen = self._default_targets(self.session.open_runs())
            if not chosen:
                raise UsageError(
                    "%neptune chart: no run is open in this kernel; name runs with --runs ID ..."
                )
            runs = [entry.run for entry in chosen]
        try:
            nepnb.chart(
                runs,
                options.paths,
                project=options.project,
                title=options.title,
                x_axis=options.x_axis,
                log_scale=options.log_scale,
                smoothing=options.smoothing,
            )
        except nepnb.exceptions.NepnbError as error:
            raise UsageError(f"%neptune chart: {error}") from None

    def _chart_target(self, name: str) -> Any:
        """A run for --runs: an open run by id or variable, else the id of a stored run."""
        for entry in self.session.open_runs():
            if name == entry.label or name in entry.variables:
                return entry.run
        from nepnb.client.objects import NeptuneObject

        value = self._shell.user_ns.get(name)
        return value if isinstance(value, NeptuneObject) else name


def _ago(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


# `%neptune?` shows the docstring of the magic function: make it the full help.
NeptuneMagics.neptune.__doc__ = HELP
