"""Find the notebook file a kernel is running, from inside the kernel.

A kernel is not told which notebook it runs. :func:`find_notebook` asks, in this order, and
the first answer naming an existing ``.ipynb`` file wins:

1. ``JPY_SESSION_NAME``: jupyter_server sets it for each kernel it starts for a session
   (``SessionManager.get_kernel_env``); a kernel also inherits it from a launcher that had it
   itself (papermill run from a notebook's cell), and then it names the launcher's notebook,
   not this one: only a value the launcher did not have counts. When the client names the session (JupyterLab and
   Notebook 7 send the file's basename as ``name``) it is absolute: the kernel's folder joined
   with that name. Without a name it is the session's API path, relative to the server's root
   and ``/``-separated; it is resolved against the root of the server that started this kernel
   (the parent process), else the root implied by the kernel's folder, else the folder. It
   keeps the path the session started with: after a rename the file is gone and the next
   strategy answers.
2. VS Code: the ``__vsc_ipynb_file__`` variable it sets in the user namespace.
3. The server's sessions API: the kernel id from the connection file name
   (``kernel-<id>.json``), the running servers from their info files in the Jupyter runtime
   folder, ``GET api/sessions`` with each server's token, the session of this kernel, its path
   joined to the server's root.
4. The cells this kernel executed, for headless runs (papermill, ``jupyter nbconvert
   --execute``, ``jupyter execute``, nbclient): the notebook whose first cells they are, among
   those the launcher names and those in the kernel's folder, never a guess
   (:mod:`nepnb.kernel.headless`).

Nothing here raises: each strategy treats the failures its environment can cause (missing
files, unreachable servers, malformed JSON) as "not found"; anything else is a bug, reported
as a :class:`~nepnb.exceptions.NepnbWarning` instead of breaking the user's cell.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from nepnb.kernel.launcher import absolute_path, is_notebook_file, launcher

if TYPE_CHECKING:
    from nepnb.kernel.headless import Execution

__all__ = ["NotebookLocation", "executed_sources", "find_notebook"]

# What the outside world can throw at a strategy: files that vanish or cannot be read, servers
# that are gone or answer garbage, JSON that is not JSON. Anything else is a bug of ours.
_NOT_FOUND_ERRORS = (OSError, ValueError, http.client.HTTPException)


@dataclass(frozen=True)
class NotebookLocation:
    """Where the notebook of this kernel is, and how it was found."""

    path: Path
    """Absolute path of the ``.ipynb`` file on disk."""
    found_by: str
    """``"jpy_session_name"``, ``"vscode"``, ``"server_sessions"`` or ``"executed_cells"``."""
    server_path: str | None = None
    """The path relative to the Jupyter server's root (``/``-separated), when known."""
    execution: Execution | None = None
    """For ``"executed_cells"``: the headless run, with the notebook as it executes."""


def find_notebook(
    user_ns: Mapping[str, Any] | None = None,
    executed: Sequence[str] | None = None,
    *,
    timeout: float = 2.0,
    notes: list[str] | None = None,
) -> NotebookLocation | None:
    """The notebook file this kernel runs, or None when no strategy finds one.

    ``user_ns`` is the kernel's user namespace and ``executed`` the sources of the cells it
    executed, the running one last (default: the running IPython shell's); ``timeout`` bounds,
    in seconds, the requests to Jupyter servers and, separately, the reading of notebooks.
    A choice made between files, or why none could be chosen, is appended to ``notes``.
    """
    try:
        if user_ns is None:
            user_ns = _shell_namespace()
        if executed is None:
            executed = _shell_history()
        return (
            _from_session_name()
            or _from_vscode(user_ns)
            or _from_server_sessions(timeout)
            or _from_executed_cells(executed, timeout, notes)
        )
    except Exception as error:  # a locator bug must never break the user's cell
        from nepnb.exceptions import NepnbWarning
        from nepnb.warn import warn_user

        warn_user(
            f"nepnb could not look for the notebook this kernel runs "
            f"({type(error).__name__}: {error}); please report this bug",
            NepnbWarning,
        )
        return None


# -- 1. JPY_SESSION_NAME ------------------------------------------------------------------


def _from_session_name() -> NotebookLocation | None:
    """The notebook named by ``JPY_SESSION_NAME`` (absolute, or relative to the server root)."""
    value = os.environ.get("JPY_SESSION_NAME", "")
    if not value or _inherited_session_name(value):
        return None
    try:
        if os.path.isabs(value):
            path = absolute_path(value)
            if not is_notebook_file(path):
                return None
            root = _parent_server_root()
            return NotebookLocation(path, "jpy_session_name", _server_path(path, root))
        api_path = value.strip("/")
        for root in _roots_for(api_path):
            path = absolute_path(_join_api_path(root, api_path))
            if is_notebook_file(path):
                return NotebookLocation(path, "jpy_session_name", api_path)
    except _NOT_FOUND_ERRORS:
        pass
    return None


def _inherited_session_name(value: str) -> bool:
    """Whether this kernel's ``JPY_SESSION_NAME`` is its launcher's own (a kernel started by
    papermill or nbclient run from a notebook inherits the notebook's), not one set for it."""
    started_by = launcher()
    environ = started_by.environ if started_by is not None else None
    return environ is not None and environ.get("JPY_SESSION_NAME") == value


def _roots_for(api_path: str) -> list[Path]:
    """Where the server root may be, best first: the parent server's root, the folder the
    kernel's folder is inside of if it ends with the notebook's folders, the kernel's folder."""
    roots: list[Path] = []
    parent_root = _parent_server_root()
    if parent_root is not None:
        roots.append(parent_root)
    cwd = Path.cwd()
    folders = PurePosixPath(api_path).parent.parts
    if folders and cwd.parts[-len(folders) :] == folders:
        roots.append(cwd.parents[len(folders) - 1])
    roots.append(cwd)
    return list(dict.fromkeys(roots))


def _parent_server_root() -> Path | None:
    """The root folder of the Jupyter server that started this process, if it is one."""
    parent = os.getppid()
    for server in _running_servers():
        if server.get("pid") == parent:
            root = _root_dir(server)
            if root is not None:
                return root
    return None


def _server_path(path: Path, root: Path | None) -> str | None:
    """``path`` relative to ``root`` as an API path, or None if it is not inside it."""
    if root is None:
        return None
    try:
        return path.relative_to(absolute_path(root)).as_posix()
    except ValueError:
        return None


# -- 2. VS Code ----------------------------------------------------------------------------


def _from_vscode(user_ns: Mapping[str, Any] | None) -> NotebookLocation | None:
    """The notebook VS Code names in ``__vsc_ipynb_file__``."""
    if user_ns is None:
        return None
    value = user_ns.get("__vsc_ipynb_file__")
    if not isinstance(value, str) or not value:
        return None
    try:
        path = absolute_path(value)
        return NotebookLocation(path, "vscode") if is_notebook_file(path) else None
    except _NOT_FOUND_ERRORS:
        return None


# -- 3. The server's sessions API ----------------------------------------------------------


def _from_server_sessions(timeout: float) -> NotebookLocation | None:
    """The notebook of this kernel's session on a running Jupyter server."""
    kernel_id = _kernel_id()
    if kernel_id is None:
        return None
    deadline = time.monotonic() + timeout
    parent = os.getppid()
    # The server that started this kernel first; a kernel may also belong to another one.
    servers = sorted(_running_servers(), key=lambda server: server.get("pid") != parent)
    for server in servers:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        root = _root_dir(server)
        if root is None:
            continue
        for session in _sessions(server, remaining):
            kernel = session.get("kernel")
            api_path = session.get("path")
            if not (isinstance(kernel, dict) and kernel.get("id") == kernel_id):
                continue
            if not isinstance(api_path, str):
                continue
            try:
                path = absolute_path(_join_api_path(root, api_path))
                if is_notebook_file(path):
                    return NotebookLocation(path, "server_sessions", api_path.strip("/"))
            except _NOT_FOUND_ERRORS:
                continue
    return None


def _kernel_id() -> str | None:
    """This kernel's id, from its connection file ``kernel-<id>.json``; None outside a
    kernel started by a Jupyter server."""
    if "ipykernel" not in sys.modules:  # not in a kernel: spare the import
        return None
    try:
        from ipykernel.connect import get_connection_file

        name = Path(get_connection_file()).name
    except (ImportError, RuntimeError, OSError):  # RuntimeError: not in a running kernel
        return None
    if not (name.startswith("kernel-") and name.endswith(".json")):
        return None
    return name[len("kernel-") : -len(".json")] or None


def _running_servers() -> Iterator[dict[str, Any]]:
    """The info files of Jupyter servers in the runtime folder (jupyter_server's and the
    classic Notebook's).

    These are the files ``jupyter_server.serverapp.list_running_servers`` reads; reading them
    here spares a kernel importing jupyter_server (over a second), which may not even be
    installed in the kernel's environment. A server that is gone stays listed; its requests
    fail fast.
    """
    try:
        from jupyter_core.paths import jupyter_runtime_dir

        folder = Path(jupyter_runtime_dir())
        names = sorted(os.listdir(folder))
    except (ImportError, OSError):
        return
    for name in names:
        if not (name.startswith(("jpserver-", "nbserver-")) and name.endswith(".json")):
            continue
        try:
            info = json.loads((folder / name).read_text(encoding="utf-8"))
        except _NOT_FOUND_ERRORS:  # gone, or being written
            continue
        if isinstance(info, dict):
            yield info


def _root_dir(server: Mapping[str, Any]) -> Path | None:
    """A server's root folder (``notebook_dir`` for the classic Notebook)."""
    root = server.get("root_dir", server.get("notebook_dir"))
    return Path(root) if isinstance(root, str) and root else None


def _sessions(server: Mapping[str, Any], timeout: float) -> list[dict[str, Any]]:
    """The sessions a server lists, or [] if it cannot be asked."""
    url, token = server.get("url"), server.get("token")
    if not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        return []  # e.g. a server on a Unix socket
    request = urllib.request.Request(url.rstrip("/") + "/api/sessions")
    if isinstance(token, str) and token:
        request.add_header("Authorization", f"token {token}")
    # The server is local (its info file is): never go through a proxy.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            sessions = json.loads(response.read())
    except _NOT_FOUND_ERRORS:  # refused, timed out, 403, not JSON …
        return []
    if not isinstance(sessions, list):
        return []
    return [session for session in sessions if isinstance(session, dict)]


# -- 4. The cells this kernel executed -----------------------------------------------------


def _from_executed_cells(
    executed: Sequence[str] | None, timeout: float, notes: list[str] | None
) -> NotebookLocation | None:
    """The notebook of a headless run, found from the cells this kernel executed."""
    if not executed:
        return None
    from nepnb.kernel.headless import find_execution

    execution = find_execution(executed, timeout=timeout, notes=notes)
    if execution is None:
        return None
    return NotebookLocation(execution.path, "executed_cells", execution=execution)


# -- Helpers -------------------------------------------------------------------------------


def _shell_namespace() -> Mapping[str, Any] | None:
    """The user namespace of the running IPython shell, if IPython is in use."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    return shell.user_ns if shell is not None else None


def executed_sources(shell: Any) -> list[str]:
    """The sources of the cells an IPython shell executed, as they were sent to it: its raw
    input history, where IPython stores each cell before it runs."""
    history = getattr(shell, "history_manager", None)
    raw = getattr(history, "input_hist_raw", None)
    return [str(source) for source in raw[1:]] if isinstance(raw, list) else []


def _shell_history() -> list[str] | None:
    """The cells the running IPython shell executed, if IPython is in use."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return executed_sources(get_ipython())


def _join_api_path(root: Path, api_path: str) -> Path:
    """A server API path (``/``-separated, relative to ``root``) as a path on disk."""
    return root.joinpath(*[part for part in api_path.split("/") if part])
