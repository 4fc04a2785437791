"""The process that started this kernel, and what its command line says.

jupyter_client starts a kernel as a child of the process that asks for it and tells the kernel
its id (``JPY_PARENT_PID``). For a kernel of a Jupyter server that is the server; for a
headless run it is the executor: ``papermill``, ``jupyter nbconvert --execute``, ``jupyter
execute``, or a program running nbclient or papermill's API. Its command line names the
notebooks it runs, and its environment tells which variables it had itself.
"""

from __future__ import annotations

import glob
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "JUPYTER_EXECUTE",
    "NBCONVERT",
    "PAPERMILL",
    "Launcher",
    "absolute_path",
    "is_notebook_file",
    "launcher",
]

PAPERMILL = "papermill"
NBCONVERT = "nbconvert"
JUPYTER_EXECUTE = "jupyter execute"


@dataclass(frozen=True)
class Launcher:
    """The process that started this kernel (jupyter_client's ``JPY_PARENT_PID``)."""

    argv: tuple[str, ...]
    cwd: Path | None
    environ: Mapping[str, str] | None
    """Its environment as it started (None: not readable)."""
    started: float | None
    """When it started (seconds since the epoch)."""

    @property
    def program(self) -> str:
        """What it runs: ``papermill``, ``jupyter-nbconvert``, a script's name …"""
        return _program(self.argv)[0]

    @property
    def is_jupyter_server(self) -> bool:
        """Whether it is a Jupyter server (JupyterLab, Notebook, a hub's single-user server,
        Voilà): the kernel is not headless."""
        program = self.program
        if program in _SERVERS:
            return True
        return program.startswith("jupyter-") and self.tool is None  # jupyter-lab …

    @property
    def tool(self) -> str | None:
        """:data:`PAPERMILL`, :data:`NBCONVERT` or :data:`JUPYTER_EXECUTE`; None for another
        program (a script running nbclient or papermill's API)."""
        return _TOOLS.get(self.program)

    def folders(self) -> list[Path]:
        """Where the paths on its command line are relative to: its working folder, and the
        folder its shell was in (``PWD``; papermill ``--cwd`` moves the working folder)."""
        folders = [self.cwd] if self.cwd is not None else []
        pwd = (self.environ or {}).get("PWD", "")
        if pwd and os.path.isabs(pwd):
            folders.append(Path(pwd))
        return list(dict.fromkeys(folders))

    def named_notebooks(self) -> list[Path]:
        """The existing ``.ipynb`` files its command line names as notebooks to run (for
        papermill: input and output alike; its metadata tells them apart)."""
        tool = self.tool
        if tool is None:
            return []
        _, args = _program(self.argv)
        names: list[str] = []
        value_of_option = False
        for arg in args:
            if value_of_option:
                value_of_option = False
                continue
            if arg.startswith("-"):
                # `--output ex.ipynb` (nbconvert, jupyter execute) names the output
                value_of_option = tool != PAPERMILL and "=" not in arg and "output" in arg
                continue
            if tool == JUPYTER_EXECUTE:
                arg = str(Path(arg).with_suffix(".ipynb"))  # as jupyter execute reads it
            names.append(arg)
        found: list[Path] = []
        for folder in self.folders():
            for name in names:
                pattern = os.path.join(folder, os.path.expanduser(name))
                matches = glob.glob(pattern) if glob.has_magic(name) else [pattern]
                found += [absolute_path(path) for path in sorted(matches) if is_notebook_file(path)]
        return list(dict.fromkeys(found))

    def output_of(self, notebook: Path) -> str | None:
        """Where nbconvert or ``jupyter execute`` writes ``notebook`` executed, when that is
        another notebook file (their ``--output``, ``--output-dir`` and default names)."""
        tool = self.tool
        if tool not in (NBCONVERT, JUPYTER_EXECUTE):
            return None
        options = _options(_program(self.argv)[1])
        base = options.get("output")
        if "inplace" in options or "stdout" in options:
            return None
        if tool == JUPYTER_EXECUTE:
            if base is None:
                return None  # it writes nothing
            target = (notebook.parent / base.format(notebook_name=notebook.stem)).with_suffix(
                ".ipynb"
            )
        else:
            if options.get("to") not in ("notebook", "ipynb") or "nbformat" in options:
                return None
            folder = options.get("output-dir")
            if base is not None:
                name = base.removesuffix(".ipynb")
            else:  # nbconvert's own name, next to the notebook unless --output-dir is given
                name = notebook.stem if folder else f"{notebook.stem}.nbconvert"
            target = Path(folder or notebook.parent) / f"{name}.ipynb"
            if not target.is_absolute() and self.cwd is not None:
                target = self.cwd / target
        target = absolute_path(target)
        return None if target == notebook else str(target)


_SERVERS = frozenset({"jupyterlab", "notebook", "jupyter_server", "jupyterhub-singleuser", "voila"})
_TOOLS = {
    "papermill": PAPERMILL,
    "jupyter-nbconvert": NBCONVERT,
    "nbconvert": NBCONVERT,
    "jupyter-execute": JUPYTER_EXECUTE,
    "nbclient": JUPYTER_EXECUTE,
}


def launcher() -> Launcher | None:
    """The process that started this kernel, as far as it can be read; None when this
    process was not started by jupyter_client."""
    value = os.environ.get("JPY_PARENT_PID", "")
    if not value.isdigit():
        return None
    # On Windows jupyter_client passes a handle, not a process id: the parent it is.
    pid = os.getppid() if sys.platform == "win32" else int(value)
    try:
        import psutil

        process = psutil.Process(pid)
        with process.oneshot():
            argv = tuple(_read(process.cmdline) or ())
            cwd = _read(process.cwd)
            environ = _read(process.environ)
            started = _read(process.create_time)
    except (ImportError, OSError, psutil.Error):
        return None
    return Launcher(argv, Path(cwd) if cwd else None, environ, started)


def _read(method: Any) -> Any:
    """One piece of another process's description; None when the system will not tell."""
    import psutil

    try:
        return method()
    except (OSError, psutil.Error):
        return None


def _program(argv: Sequence[str]) -> tuple[str, list[str]]:
    """The program a command line runs (``papermill``, ``jupyter-nbconvert``, ``train.py`` …)
    and its arguments, through ``python [options] script|-m module`` and ``jupyter SUB``."""
    args = list(argv)
    if not args:
        return "", []
    name = _basename(args.pop(0))
    if re.fullmatch(r"(python|pypy)[\d.]*(\.exe)?", name, re.IGNORECASE):
        while args and args[0].startswith("-") and args[0] not in ("-m", "-c"):
            option = args.pop(0)
            if option in ("-X", "-W", "-Q") and args:
                args.pop(0)
        if not args:
            return "python", []
        first = args.pop(0)
        if first in ("-m", "-c") and args:
            name = args.pop(0) if first == "-m" else "python -c"
        else:
            name = _basename(first)
    name = re.sub(r"(-script\.pyw?|\.exe)$", "", name, flags=re.IGNORECASE)
    if name == "jupyter" and args and not args[0].startswith("-"):
        name = f"jupyter-{args.pop(0)}"
    return name, args


def _basename(path: str) -> str:
    """The last part of a path, with either separator (a Windows command line)."""
    return re.split(r"[\\/]", path)[-1]


def _options(args: Sequence[str]) -> dict[str, str]:
    """``--name value`` and ``--name=value`` options of a traitlets command line (flags map
    to ``""``), by name without dashes; a class-qualified name counts by its last part."""
    options: dict[str, str] = {}
    pending: str | None = None
    for arg in args:
        if arg.startswith("-"):
            name, has_value, value = arg.lstrip("-").partition("=")
            name = {"output_base": "output", "build_directory": "output-dir"}.get(
                name.rsplit(".", 1)[-1], name
            )
            options[name] = value
            pending = None if has_value else name
        elif pending is not None:
            options[pending] = arg
            pending = None
    return options


def is_notebook_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an existing ``.ipynb`` file."""
    return str(path).lower().endswith(".ipynb") and os.path.isfile(path)


def absolute_path(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute and normalized, symlinks kept as the user named them."""
    return Path(os.path.abspath(path))
