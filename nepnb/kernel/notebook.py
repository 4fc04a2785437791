"""The notebook a kernel runs: its live model from the frontend, or its saved file.

**The frontend comm** (target ``nepnb``, registered in the kernel when nepnb's session starts:
``%load_ext nepnb`` or the first run). Just before it executes a cell that opens a run or
takes a checkpoint, the JupyterLab extension opens the comm if it has none yet, and sends the
notebook as the user sees it (unsaved edits and outputs included); a kernel where nepnb is not
loaded yet refuses the comm, and the saved file is used instead. Comm messages travel on the shell channel ahead of the execute request, so the
model is here when the cell runs. Messages, all dicts with a ``type``:

- frontend → kernel: ``{"type": "model", "path": <server path>, "notebook": <nbformat dict>}``;
  ``{"type": "stop", "run": <sys/id>}`` (the stop button: stops the run, never the kernel);
  ``{"type": "status", "path": <server path>}`` (asks for a ``runs`` message; the comm opens
  with it too).
- kernel → frontend: ``{"type": "notebook_id", "path", "notebook_id"}`` (set it in the model's
  metadata when it has none, so the next save keeps the history together);
  ``{"type": "runs", "runs": [...]}`` (the open runs, for the status bar). Each JupyterLab
  window has its own comm: ``runs`` goes to all of them, ``notebook_id`` to the one that sent
  the model, and to any that later names the notebook's path in a ``status`` message.

The id the kernel gave a notebook that had none is remembered by the notebook's file: when
the cell that loads nepnb also opens the run (the README's first cell), the kernel refused
the comm just before that cell, so it checkpointed the saved file; the id reaches the open
notebook when JupyterLab opens the comm after the cell (or asks before an upload), and the
file's next save and upload continue the history the run's checkpoint began.

Without a frontend (VS Code, an old Lab) the saved file is used, found by
:func:`nepnb.kernel.locate.find_notebook`; in a headless run (papermill, nbconvert, nbclient)
the notebook as its executor runs it (papermill's, with its parameters cell). The kernel never
writes into the file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nepnb.kernel.headless import Execution
    from nepnb.kernel.session import KernelSession, OpenRun
    from nepnb.store.base import CheckpointInfo

COMM_TARGET = "nepnb"
LIVE_MODEL_FRESH_SECONDS = 30.0


@dataclass
class NotebookVersion:
    """The notebook to checkpoint: its content and where it lives."""

    content: dict[str, Any]
    path: str
    found_by: str
    execution: Execution | None = None  # a headless run: how it ran


class Frontend:
    """The comms to the JupyterLab extension: one per window showing this kernel's notebook."""

    def __init__(self, session: KernelSession) -> None:
        self.session = session
        self.comms: list[Any] = []
        self.model_comm: Any = None  # the comm that sent the model
        self.model: dict[str, Any] | None = None
        self.model_path: str | None = None
        self.model_time = 0.0
        # notebook file (absolute path) -> the id this kernel gave it when it had none
        self.given_ids: dict[str, str] = {}
        self._told: set[tuple[int, str]] = set()  # (comm, file) pairs sent their id

    def register(self) -> None:
        """Accept the extension's comm (quietly nothing outside a Jupyter kernel)."""
        with self.session.guard("listening for JupyterLab"):
            from comm import get_comm_manager

            manager = get_comm_manager()
            if manager is not None and hasattr(manager, "register_target"):
                manager.register_target(COMM_TARGET, self._opened)

    @property
    def comm(self) -> Any:
        """The comm opened last, if any."""
        return self.comms[-1] if self.comms else None

    def _opened(self, comm: Any, message: dict[str, Any]) -> None:
        self.comms.append(comm)
        comm.on_msg(lambda message: self._received(message, comm))
        comm.on_close(lambda _message: self._closed(comm))
        self._received(message, comm)  # the opening message may carry a model already

    def _closed(self, comm: Any) -> None:
        self.comms = [other for other in self.comms if other is not comm]
        if self.model_comm is comm:
            self.model_comm = None

    def _received(self, message: dict[str, Any], comm: Any = None) -> None:
        with self.session.guard("reading a message from JupyterLab"):
            data = message.get("content", {}).get("data", {}) or {}
            kind = data.get("type")
            if kind == "model" and isinstance(data.get("notebook"), dict):
                self.model = data["notebook"]
                self.model_path = data.get("path")
                self.model_time = time.monotonic()
                self.model_comm = comm
            elif kind == "stop":
                self.session.stop_by_label(str(data.get("run", "")), "stopped from JupyterLab")
            elif kind in ("status", None):
                if comm is not None and isinstance(data.get("path"), str):
                    self.send_given_id(data["path"], comm)
                self.send_runs()

    def live_model(self) -> tuple[dict[str, Any], str] | None:
        """The model the frontend sent just before this cell, if it is fresh."""
        if self.model is None or self.model_path is None:
            return None
        if time.monotonic() - self.model_time > LIVE_MODEL_FRESH_SECONDS:
            return None
        return self.model, self.model_path

    def send(self, data: dict[str, Any], comm: Any = None) -> None:
        """Send ``data`` on ``comm``, or on every open comm."""
        for target in [comm] if comm is not None else list(self.comms):
            with self.session.guard("talking to JupyterLab"):
                target.send(data)

    def gave_id(self, path: str, notebook_id: str) -> None:
        """The kernel gave the notebook at ``path`` (absolute) the id ``notebook_id``: tell
        the window that sent the model now, and any window that names the file later."""
        self.given_ids[str(Path(path).resolve())] = notebook_id
        if self.model_comm is not None and self.model_path is not None:
            self.send_given_id(self.model_path, self.model_comm)

    def send_given_id(self, server_path: str, comm: Any) -> None:
        """Send ``comm`` the id this kernel gave the notebook at ``server_path``, if any."""
        name = Path(server_path).name
        if not any(Path(path).name == name for path in self.given_ids):
            return  # the usual case, without looking for the file
        disk_path = str(Path(_disk_path(server_path)).resolve())
        notebook_id = self.given_ids.get(disk_path)
        told = (id(comm), f"{disk_path}\0{notebook_id}")
        if notebook_id is not None and told not in self._told:
            self._told.add(told)
            self.send(
                {"type": "notebook_id", "path": server_path, "notebook_id": notebook_id}, comm
            )

    def send_runs(self) -> None:
        if self.comms:
            self.send({"type": "runs", "runs": self.session.status()})


def current_notebook(
    session: KernelSession, cell_source: str, notes: list[str] | None = None
) -> NotebookVersion | None:
    """The live model if the frontend sent one, else the notebook as the kernel's executor
    runs it (the saved file, or papermill's), else None (``notes`` may say why)."""
    from nepnb.notebooks.format import read_notebook

    live = session.frontend.live_model()
    if live is not None:
        content, server_path = live
        return NotebookVersion(content, _disk_path(server_path), "frontend")
    from nepnb.kernel.locate import find_notebook

    found = find_notebook(session.shell.user_ns, session.executed(cell_source), notes=notes)
    if found is None:
        return None
    if found.execution is not None:
        execution = found.execution
        return NotebookVersion(execution.notebook, str(found.path), found.found_by, execution)
    return NotebookVersion(read_notebook(found.path), str(found.path), found.found_by)


def _disk_path(server_path: str) -> str:
    """An absolute path for the frontend's server path: the file the kernel's session names
    if it is that notebook, else the same name in the kernel's folder (where a kernel starts)."""
    from nepnb.kernel.locate import find_notebook

    found = find_notebook()
    name = Path(server_path).name
    if found is not None and (found.server_path == server_path or found.path.name == name):
        return str(found.path)
    candidate = Path.cwd() / name
    if candidate.is_file():
        return str(candidate.resolve())
    return str(found.path) if found is not None else server_path


def checkpoint(
    session: KernelSession,
    entries: list[OpenRun],
    *,
    message: str | None,
    body: str | None = None,
    cell_source: str = "",
    notes: list[str] | None = None,
) -> CheckpointInfo | None:
    """Checkpoint the notebook this kernel runs, linked to the runs of ``entries``; link each
    run to it (``source_code/notebook``), and give it papermill's parameters. ``message``
    None: "Run … opened", with how a headless run ran. None when no notebook or no store can
    be found (``notes`` may say why)."""
    from nepnb.client.config import default_store
    from nepnb.kernel.headless import log_parameters
    from nepnb.notebooks import Checkpoints, default_author, other_file_holds_id
    from nepnb.store.field_types import FieldType

    version = current_notebook(session, cell_source, notes)
    if version is None:
        return None
    message, body = _message(entries, version, message, body)
    stored = [entry for entry in entries if entry.run.store is not None]
    # With no open run, the store the environment names (a tracking server's token, else local).
    store = stored[0].run.store if stored else default_store()
    project = stored[0].run.project if stored else _default_project()
    assert store is not None
    checkpoints = Checkpoints(store, project)

    # The kernel never writes into the file and cannot ask: a copy of another notebook gets
    # its own history, the one kept at its path (nepnb.notebooks.identity has the rule).
    server_path = session.frontend.model_path if version.found_by == "frontend" else None
    identity = checkpoints.identify(
        version.content,
        path=version.path,
        also_at=[server_path] if server_path else [],
        file_check=other_file_holds_id(Path(version.path)),
        on_copy="own",
    )
    upload = checkpoints.upload(
        identity.notebook,
        path=version.path,
        message=message,
        body=body,
        author=default_author(),
        runs=[entry.label for entry in stored],
        identity=identity,
    )
    info = upload.checkpoint
    if upload.id_assigned:
        session.frontend.gave_id(version.path, upload.notebook_id)
    ref = {
        "notebook_id": upload.notebook_id,
        "checkpoint_id": info.id,
        "path": version.path,
        "notebook_name": Path(version.path).name,
    }
    for entry in stored:
        entry.run.assign_internal("source_code/notebook", FieldType.NOTEBOOK_REF, ref)
        entry.checkpoint_id = info.id
        if version.execution is not None:
            log_parameters(entry.run, version.execution)
    return info


def _message(
    entries: list[OpenRun], version: NotebookVersion, message: str | None, body: str | None
) -> tuple[str, str | None]:
    """A checkpoint's message: ``message``, or "Run … opened"; with how a headless run ran in
    the summary of the latter, in the body of the former."""
    execution = version.execution
    how = execution.how if execution is not None else None
    if message is None:
        labels = ", ".join(entry.label for entry in entries)
        message = f"Run {labels} opened" + (f": {how}" if how else "")
    elif how:
        body = "\n".join(part for part in (body, how) if part)
    if execution is not None:
        body = "\n".join(part for part in (body, execution.details()) if part)
    return message, body


def _default_project() -> str:
    import os

    from nepnb.client.config import DEFAULT_PROJECT, PROJECT_ENV

    return os.environ.get(PROJECT_ENV) or DEFAULT_PROJECT


def _version() -> str:
    from nepnb import __version__

    return __version__
