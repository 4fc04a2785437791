"""Headless executions: the notebook a kernel runs when a program, not a Jupyter server,
started it (papermill, ``jupyter nbconvert --execute``, ``jupyter execute``, nbclient's
``NotebookClient``), found from what that program gives the kernel.

What the executors give their kernel (read in nbclient 0.10, nbconvert 7 and papermill 2):

- nbclient, which the others run on, starts the kernel through jupyter_client as a child of
  its own process (``JPY_PARENT_PID``), with that process's environment, in the folder
  ``resources["metadata"]["path"]`` when it is set (nbconvert and ``jupyter execute`` set the
  notebook's folder; papermill runs in its own working folder, or ``--cwd``). Then it sends the
  source of each code cell in turn, skipping blank cells and cells tagged ``skip-execution``.
  It sends no notebook path, name, cell id or metadata, and sets no ``JPY_SESSION_NAME``: one
  in the kernel's environment was its launcher's own (papermill started from a notebook).
- ``jupyter nbconvert --execute`` and ``jupyter execute`` name the notebook on their command
  line; papermill names its input and output notebooks there (its Python API names nothing).
- papermill writes its output notebook before each cell: the notebook it executes, with the
  parameters cell it injected (tagged ``injected-parameters``) and ``metadata.papermill``
  (``input_path``, ``output_path``, ``parameters``; the running cell's ``status``).

So :func:`find_execution` reads the cells this kernel executed (IPython's raw input history),
its launcher's command line and folder, and the notebooks these name or the kernel's folder
holds. A file is the notebook being run only if the cells executed so far are its first
executable cells, in order (for papermill's input: with papermill's parameters cell where
papermill puts it). Nothing is guessed: when two files fit, the launcher's command line or
papermill's metadata chooses, and says so; otherwise there is no answer, and a note says why.
"""

from __future__ import annotations

import ast
import json
import os
import re
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from nepnb.kernel.launcher import (
    JUPYTER_EXECUTE,
    NBCONVERT,
    PAPERMILL,
    Launcher,
    absolute_path,
    is_notebook_file,
    launcher,
)

__all__ = [
    "MAX_SEARCHED_BYTES",
    "MAX_SEARCHED_FILES",
    "Execution",
    "find_execution",
    "log_parameters",
]

MAX_SEARCHED_FILES = 50
"""The kernel's folder is read for at most this many notebooks, the most recently modified."""
MAX_SEARCHED_BYTES = 50 * 1024 * 1024
"""Notebooks larger than this are not read."""

SKIP_TAG = "skip-execution"  # nbclient's default skip_cells_with_tag
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
INJECTED_COMMENT = "# Parameters"  # how papermill's Python translator starts the cell

# How other programs that start a kernel are named in a checkpoint's message.
_PROGRAMS = {"ipykernel_launcher": "a notebook's kernel", "ipykernel": "a notebook's kernel"}

# Files that vanish or cannot be read, JSON that is not a notebook.
_UNREADABLE = (OSError, ValueError)


# -- What ran ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Execution:
    """A notebook run by a headless executor, as this kernel found it."""

    tool: str | None
    """:data:`PAPERMILL`, :data:`NBCONVERT`, :data:`JUPYTER_EXECUTE`, or None."""
    path: Path
    """The notebook file executed (papermill's input)."""
    notebook: dict[str, Any]
    """The notebook as executed (papermill's: its parameters cell included), normalized."""
    output: str | None = None
    """Where the executor writes the executed notebook, when that is another file."""
    parameters: dict[str, Any] | None = None
    """papermill's parameters."""
    notes: tuple[str, ...] = ()
    """How the file was told from others, or what the checkpoint is made of, for its body."""
    program: str | None = None
    """Another program that started the kernel (a script running nbclient); None when that
    was one of the tools, a Jupyter server, or unknown."""

    @property
    def how(self) -> str | None:
        """How it ran, for a checkpoint's message: "papermill run with lr=0.01"."""
        if self.tool == PAPERMILL:
            if not self.parameters:
                return "papermill run"
            shown = ", ".join(f"{name}={value!r}" for name, value in self.parameters.items())
            if len(shown) > 200:
                shown = f"{len(self.parameters)} parameters"
            return f"papermill run with {shown}"
        if self.tool == NBCONVERT:
            return "nbconvert --execute"
        if self.tool == JUPYTER_EXECUTE:
            return "jupyter execute"
        return "headless run" if self.program else None

    def details(self) -> str:
        """For a checkpoint's body: the output notebook, the parameters, how the file was
        chosen, what the checkpoint is made of."""
        lines = []
        if self.tool is None and self.program:
            lines.append(f"Kernel started by: {self.program}")
        if self.output is not None:
            lines.append(f"Output notebook: {self.output}")
        if self.parameters:
            lines.append(f"Parameters: {json.dumps(self.parameters, default=str)}")
        return "\n".join([*lines, *self.notes])


@dataclass
class _Candidate:
    path: Path
    notebook: dict[str, Any]
    named: bool  # the launcher names it
    parameters_at: int | None = None  # papermill's input: where its parameters cell ran
    papermill: dict[str, Any] = field(default_factory=dict)  # its metadata.papermill


def find_execution(
    executed: Sequence[str], *, timeout: float = 2.0, notes: list[str] | None = None
) -> Execution | None:
    """The notebook whose cells this kernel executed (``executed``: their sources in order,
    the running cell last), or None. A choice made among files, or why there is no answer, is
    appended to ``notes`` as one line."""
    notes = notes if notes is not None else []
    wanted = [_normalized(source) for source in executed if _normalized(source)]
    if not wanted:
        return None
    deadline = time.monotonic() + timeout
    started_by = launcher()
    named = started_by.named_notebooks() if started_by is not None else []
    try:
        in_folder = _notebooks_in(Path.cwd())
    except _UNREADABLE:
        in_folder = []
    needle = _raw_needle(wanted[-1])
    candidates: list[_Candidate] = []
    for path in dict.fromkeys([*named, *in_folder]):
        if time.monotonic() >= deadline:
            return None  # not every file read: one match would not prove the answer unique
        candidate = _read_candidate(path, path in named, wanted, needle)
        if candidate is not None:
            candidates.append(candidate)
    folders = [*(started_by.folders() if started_by is not None else []), Path.cwd()]

    documents = [c for c in candidates if _is_papermill_document(c, wanted, started_by)]
    if documents:
        return _papermill_execution(documents, folders, notes)
    tool = started_by.tool if started_by is not None else None
    program = None
    if started_by is not None and tool is None and not started_by.is_jupyter_server:
        program = _PROGRAMS.get(started_by.program, started_by.program) or None
    chosen, choice = _choose(candidates, folders, tool or program or "the launcher", notes)
    if chosen is None:
        if not candidates and (tool or program):
            notes.append(_not_found(named, tool or program or ""))
        return None
    if chosen.parameters_at is not None:
        return _rebuilt_papermill_execution(chosen, executed, wanted, choice)
    return Execution(
        tool=tool,
        path=chosen.path,
        notebook=chosen.notebook,
        output=started_by.output_of(chosen.path) if started_by is not None else None,
        notes=choice,
        program=program,
    )


def _not_found(named: list[Path], tool: str) -> str:
    """Why no notebook holds the cells a headless kernel ran."""
    where = f"in no notebook in {Path.cwd()}"
    if named:
        names = ", ".join(str(path) for path in named)
        where = f"in none of the notebooks {tool} names ({names}) nor {where}"
    return f"the cells this kernel ran are {where}: was the notebook changed after it started?"


def _read_candidate(path: Path, named: bool, wanted: list[str], needle: bytes) -> _Candidate | None:
    """``path`` as a candidate if the executed cells fit it, as they are or with papermill's
    parameters cell added."""
    from nepnb.exceptions import NotebookError
    from nepnb.notebooks.format import parse_notebook

    try:
        data = path.read_bytes()
        if needle and needle not in data:  # cheap rejection before parsing
            return None
        notebook = parse_notebook(data, str(path))
    except (OSError, NotebookError):
        return None
    cells = notebook["cells"]
    candidate = _Candidate(
        path, notebook, named, papermill=_dict(notebook["metadata"].get(PAPERMILL))
    )
    if _fits(_executable(cells), wanted):
        return candidate
    candidate.parameters_at = _parameters_position(cells, wanted)
    return candidate if candidate.parameters_at is not None else None


def _choose(
    candidates: list[_Candidate], folders: list[Path], launcher_name: str, notes: list[str]
) -> tuple[_Candidate | None, tuple[str, ...]]:
    """The candidate that is the notebook run, and how it was told from the others: the only
    one once notebooks papermill wrote from another candidate are left out, or the one the
    launcher names. None, with a note, when nothing tells them apart."""
    if len(candidates) <= 1:
        return (candidates[0] if candidates else None), ()
    paths = {c.path for c in candidates}
    outputs = [c for c in candidates if (set(_papermill_inputs(c, folders)) - {c.path}) & paths]
    pool = [c for c in candidates if c not in outputs]
    named = [c for c in pool if c.named]
    chosen = pool[0] if len(pool) == 1 else named[0] if len(named) == 1 else None
    if chosen is None:
        names = ", ".join(sorted(str(c.path) for c in (named or pool)))
        notes.append(
            f"the cells this kernel ran are in more than one notebook ({names}) and nothing "
            "tells which one it runs; give the kernel JPY_SESSION_NAME=<the notebook's path>"
        )
        return None, ()
    others = [c for c in candidates if c is not chosen]
    reason = (
        f"{launcher_name} names {chosen.path.name}"
        if len(pool) > 1
        else f"papermill wrote {'them' if len(others) > 1 else 'it'} from {chosen.path.name}"
    )
    listed = ", ".join(c.path.name for c in others)
    verb = "hold" if len(others) > 1 else "holds"
    note = f"chose {chosen.path.name} over {listed}, which {verb} the same cells: {reason}"
    notes.append(note)
    return chosen, (note,)


def _papermill_inputs(candidate: _Candidate, folders: list[Path]) -> list[Path]:
    """The input notebook a notebook papermill wrote names, if it is a file here."""
    value = candidate.papermill.get("input_path")
    if not isinstance(value, str):
        return []
    return _resolved(value, [*folders, candidate.path.parent])


# -- papermill -----------------------------------------------------------------------------


def _is_papermill_document(
    candidate: _Candidate, wanted: list[str], started_by: Launcher | None
) -> bool:
    """Whether ``candidate`` is the notebook a papermill run is executing in this kernel now:
    written by papermill as the running cell started, in a run that began after the launcher
    did (so not left behind by an earlier run that stopped at the same cell)."""
    state = candidate.papermill
    if not state or candidate.parameters_at is not None or state.get("end_time") is not None:
        return False
    executable = _executable(candidate.notebook["cells"])
    running = executable[len(wanted) - 1][0]
    cell_state = _dict(running.get("metadata", {}).get("papermill"))
    if cell_state.get("status") != "running":
        return False
    begun = _timestamp(state.get("start_time"))
    if begun is None:
        return False
    return started_by is None or started_by.started is None or begun >= started_by.started - 2


def _papermill_execution(
    documents: list[_Candidate], folders: list[Path], notes: list[str]
) -> Execution | None:
    """The papermill run whose output notebook is ``documents[0]`` (if it is the only one):
    recorded under its input notebook, with papermill's document as the checkpoint."""
    if len(documents) > 1:
        names = ", ".join(str(c.path) for c in documents)
        notes.append(
            f"more than one papermill run writes the cells this kernel ran ({names}); nothing "
            "tells which one it is"
        )
        return None
    document = documents[0]
    state = document.papermill
    input_path = state.get("input_path")
    inputs = _papermill_inputs(document, folders)
    if len(inputs) != 1:
        shown = input_path if isinstance(input_path, str) else "(none)"
        reason = "is not a file on this machine" if not inputs else "names more than one file"
        notes.append(
            f"papermill's input notebook {shown} {reason} (papermill writes {document.path})"
        )
        return None
    parameters = state.get("parameters")
    output = None if inputs[0] == document.path else str(document.path)
    return Execution(
        tool=PAPERMILL,
        path=inputs[0],
        notebook=document.notebook,
        output=output,
        parameters=dict(parameters) if isinstance(parameters, dict) else None,
    )


def _rebuilt_papermill_execution(
    candidate: _Candidate, executed: Sequence[str], wanted: list[str], choice: tuple[str, ...]
) -> Execution:
    """A papermill run whose output notebook is not readable here (another folder, ``-``, a
    bucket): its input with the parameters cell the kernel ran, where papermill puts it."""
    assert candidate.parameters_at is not None
    source = _original_source(executed, wanted[candidate.parameters_at])
    notebook = _with_parameters_cell(candidate.notebook, source)
    return Execution(
        tool=PAPERMILL,
        path=candidate.path,
        notebook=notebook,
        parameters=_parameters_in(source),
        notes=(
            *choice,
            "papermill's output notebook is not readable here: this checkpoint is the input "
            "notebook with the parameters cell as the kernel ran it.",
        ),
    )


def _parameters_position(cells: list[dict[str, Any]], wanted: list[str]) -> int | None:
    """Where, in the executed cells, papermill's parameters cell ran, if the executed cells
    are ``cells`` with that cell added as papermill adds it; else None."""
    at, replaces = _injection_point(cells)
    marker: dict[str, Any] = {"cell_type": "code", "source": "\0", "metadata": {}}
    parameterized = [*cells[:at], marker, *cells[at + 1 if replaces else at :]]
    executable = _executable(parameterized)
    position = next(i for i, (cell, _) in enumerate(executable) if cell is marker)
    if len(wanted) <= position or not wanted[position].startswith(INJECTED_COMMENT):
        return None
    rest = [source for i, source in enumerate(wanted) if i != position]
    others = [entry for entry in executable if entry[0] is not marker]
    return position if _fits(others, rest) else None


def _injection_point(cells: list[dict[str, Any]]) -> tuple[int, bool]:
    """Where papermill puts its parameters cell: in place of the cell tagged
    ``injected-parameters`` (True), else after the one tagged ``parameters``, else first."""
    injected = _first_tagged(cells, INJECTED_TAG)
    if injected is not None:
        return injected, True
    parameters = _first_tagged(cells, PARAMETERS_TAG)
    return (parameters + 1 if parameters is not None else 0), False


def _with_parameters_cell(notebook: dict[str, Any], source: str) -> dict[str, Any]:
    """``notebook`` with papermill's parameters cell of ``source``, where papermill puts it."""
    cells = notebook["cells"]
    at, replaces = _injection_point(cells)
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": [INJECTED_TAG]},
        "outputs": [],
        "source": source,
    }
    if (notebook["nbformat"], notebook.get("nbformat_minor", 0)) >= (4, 5):
        cell["id"] = uuid.uuid4().hex[:8]  # as nbformat makes them; papermill's is unknown
    rebuilt = dict(notebook)
    rebuilt["cells"] = [*cells[:at], cell, *cells[at + 1 if replaces else at :]]
    return rebuilt


def _original_source(executed: Sequence[str], normalized: str) -> str:
    """The executed source whose normalized form is ``normalized``, as papermill wrote it:
    IPython's history drops the line end papermill puts after each line."""
    source = next(s for s in executed if _normalized(s) == normalized)
    return source if source.endswith("\n") else source + "\n"


def _parameters_in(source: str) -> dict[str, Any] | None:
    """The parameters papermill's cell assigns (``name = literal`` lines), or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    parameters: dict[str, Any] = {}
    for statement in tree.body:
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            continue
        try:
            parameters[statement.targets[0].id] = ast.literal_eval(statement.value)
        except ValueError:  # not a literal (float('nan') …): its source, as papermill wrote it
            parameters[statement.targets[0].id] = ast.get_source_segment(source, statement.value)
    return parameters or None


# -- Parameters in the run -----------------------------------------------------------------

PARAMETERS_NAMESPACE = "parameters"
_LOGS_PARAMETERS = re.compile(r"""\[\s*[rRfFbBuU]{0,2}(['"])parameters(/[^'"]*)?\1""")


def log_parameters(run: Any, execution: Execution) -> list[str]:
    """Log papermill's parameters to ``run`` under ``parameters/`` (as Neptune's
    ``stringify_unsupported`` would), unless the notebook's own code logs there or the run
    has the field already (or another field in its way); the paths logged."""
    if not execution.parameters or _notebook_logs_parameters(execution.notebook):
        return []
    from nepnb.exceptions import NepnbError
    from nepnb.types.stringify import stringify_unsupported

    logged = []
    for name, value in execution.parameters.items():
        path = f"{PARAMETERS_NAMESPACE}/{name}"
        if run.exists(path):
            continue
        try:
            run[path] = stringify_unsupported(value)
        except NepnbError:  # `parameters` is a field of the run's own: leave it be
            continue
        logged.append(path)
    return logged


def _notebook_logs_parameters(notebook: dict[str, Any]) -> bool:
    """Whether a code cell of the notebook (papermill's own cell aside) writes to a path
    under ``parameters`` (``run["parameters"] = …``, ``run["parameters/lr"] = …``)."""
    return any(
        cell.get("cell_type") == "code"
        and INJECTED_TAG not in _tags(cell)
        and _LOGS_PARAMETERS.search(cell.get("source", ""))
        for cell in notebook["cells"]
    )


# -- Notebook files ------------------------------------------------------------------------


def _notebooks_in(folder: Path) -> list[Path]:
    """The ``.ipynb`` files directly in ``folder`` of at most :data:`MAX_SEARCHED_BYTES`,
    the :data:`MAX_SEARCHED_FILES` most recently modified. Not recursive, so checkpoint
    folders (``.ipynb_checkpoints``) are never read."""
    found: list[tuple[float, Path]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.name.lower().endswith(".ipynb"):
                continue
            try:
                if not entry.is_file():
                    continue
                stat = entry.stat()
            except OSError:
                continue
            if stat.st_size <= MAX_SEARCHED_BYTES:
                found.append((stat.st_mtime, absolute_path(entry.path)))
    found.sort(key=lambda item: (-item[0], item[1]))
    return [path for _, path in found[:MAX_SEARCHED_FILES]]


def _executable(cells: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """The cells an executor runs (code, not blank, not tagged ``skip-execution``), with
    their normalized sources."""
    return [
        (cell, _normalized(cell.get("source", "")))
        for cell in cells
        if cell.get("cell_type") == "code"
        and str(cell.get("source", "")).strip()
        and SKIP_TAG not in _tags(cell)
    ]


def _fits(executable: list[tuple[dict[str, Any], str]], wanted: list[str]) -> bool:
    """Whether the executed cells ``wanted`` are the first of ``executable``, in order."""
    return len(executable) >= len(wanted) and all(
        source == expected
        for (_, source), expected in zip(executable[: len(wanted)], wanted, strict=True)
    )


def _first_tagged(cells: list[dict[str, Any]], tag: str) -> int | None:
    return next((i for i, cell in enumerate(cells) if tag in _tags(cell)), None)


def _tags(cell: dict[str, Any]) -> list[Any]:
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    return tags if isinstance(tags, list) else []


def _resolved(path: str, folders: Iterable[Path]) -> list[Path]:
    """The existing notebook files ``path`` names, relative to each of ``folders``."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+://", path) or path == "-":
        return []  # a URL (s3://, https://) or a stream
    found = [absolute_path(os.path.join(folder, os.path.expanduser(path))) for folder in folders]
    return list(dict.fromkeys(p for p in found if is_notebook_file(p)))


def _timestamp(value: Any) -> float | None:
    """Seconds since the epoch of an ISO time with its zone (papermill's), or None."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment.timestamp() if moment is not None and moment.tzinfo is not None else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _normalized(source: str) -> str:
    """A cell source compared across writers and IPython's history (which drops the last
    line end): Unix line ends, no surrounding whitespace."""
    return source.replace("\r\n", "\n").strip()


def _raw_needle(wanted: str) -> bytes:
    """A piece of ``wanted`` that appears verbatim in any JSON file holding it: the longest
    run of printable ASCII without the characters some JSON writers escape (``"``, ``\\``,
    ``/``, ``<``, ``>``, ``&``)."""
    pieces: list[str] = []
    current: list[str] = []
    for char in wanted:
        if " " <= char <= "~" and char not in '"\\/<>&':
            current.append(char)
        else:
            pieces.append("".join(current))
            current = []
    pieces.append("".join(current))
    return max(pieces, key=len).encode("ascii")
