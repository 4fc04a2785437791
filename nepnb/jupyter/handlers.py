"""HTTP handlers of the server extension; each one only translates HTTP.

The work is done by :mod:`nepnb.notebooks` over the store; handlers read notebooks through
the server's contents manager (so any contents manager works), run store calls in a worker
thread (they touch SQLite and the disk), and turn nepnb's errors into JSON replies.
"""

from __future__ import annotations

import asyncio
import json
import os
import posixpath
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import nbformat
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import ensure_async
from tornado import web

from nepnb import __version__
from nepnb.exceptions import (
    CheckpointNotFound,
    InvalidProjectName,
    InvalidValue,
    MissingField,
    NepnbError,
    NotebookError,
    NotebookIdentityConflict,
    ObjectNotFound,
    ProjectNotFound,
    StoreFull,
    store_full_error,
)
from nepnb.notebooks import (
    Checkpoints,
    CompareOptions,
    ensure_notebook_id,
    normalize_notebook,
    notebook_id_of,
    restored_name,
    split_message,
)
from nepnb.notebooks.format import notebook_json
from nepnb.store.base import validate_project_name
from nepnb.store.query import QuerySyntaxError

#: The URL prefix of every nepnb endpoint (after the server's base_url).
API_PREFIX = "nepnb/api"
_ID = r"(?P<checkpoint_id>[0-9a-fA-F]{4,64})"

T = TypeVar("T")

_STATUS: list[tuple[type[Exception], int]] = [
    (StoreFull, 507),
    (NotebookIdentityConflict, 409),
    (CheckpointNotFound, 404),
    (ObjectNotFound, 404),
    (ProjectNotFound, 404),
    (MissingField, 404),
    (InvalidProjectName, 400),
    (QuerySyntaxError, 400),
    (InvalidValue, 400),
    (NotebookError, 400),
]


def status_of(error: NepnbError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


class NepnbAPIHandler(APIHandler):
    """Base of nepnb handlers: authorized against the ``nepnb`` resource, JSON replies."""

    auth_resource = "nepnb"

    @property
    def nepnb(self) -> dict[str, Any]:
        return self.settings["nepnb"]

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, NepnbError):
            body: dict[str, Any] = {"message": str(error), "reason": type(error).__name__}
            if isinstance(error, NotebookIdentityConflict):
                body.update(notebook_id=error.notebook_id, other_path=error.other_path)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(body))
            return
        super().write_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, NepnbError) and status_of(value) < 500:
            return  # a user mistake, answered with its message: no traceback in the log
        super().log_exception(typ, value, tb)

    def _handle_request_exception(self, e: BaseException) -> None:
        full = store_full_error(e, self.nepnb["store"].location)
        if full is not None:
            self.log.warning("nepnb: %s", full)
            self.send_error(507, exc_info=(type(full), full, e.__traceback__))
            return
        if isinstance(e, NepnbError):
            self.log_exception(type(e), e, e.__traceback__)
            self.send_error(status_of(e), exc_info=(type(e), e, e.__traceback__))
            return
        super()._handle_request_exception(e)  # type: ignore[arg-type]

    async def in_thread(self, work: Callable[..., T], *args: Any) -> T:
        """Run a store call off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(None, work, *args)

    def checkpoints(self, project: str | None = None) -> Checkpoints:
        name = project or self.get_query_argument("project", None) or self.nepnb["project"]
        validate_project_name(name)
        return Checkpoints(self.nepnb["store"], name)

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except json.JSONDecodeError as error:
            raise InvalidValue(f"the request body is not JSON: {error.msg}") from None
        if not isinstance(data, dict):
            raise InvalidValue("the request body must be a JSON object")
        return data

    def author(self) -> str:
        user = self.current_user
        for attribute in ("display_name", "name", "username"):
            value = getattr(user, attribute, None)
            if value:
                return str(value)
        return "anonymous"

    def notebook_path(self, path: Any) -> str:
        """A notebook path as the contents manager wants it: relative, normalized."""
        if not isinstance(path, str) or not path.strip():
            raise InvalidValue('give the notebook\'s path: "folder/analysis.ipynb"')
        normalized = posixpath.normpath(path.strip().lstrip("/"))
        if not normalized.endswith(".ipynb"):
            raise NotebookError(f"{path} is not a notebook (.ipynb) file")
        return normalized

    def server_path(self, recorded: str) -> str | None:
        """A path a checkpoint recorded, as a path of this server (None if outside its root).

        The CLI records absolute paths; the server, paths relative to its root."""
        if not os.path.isabs(recorded):
            return posixpath.normpath(recorded)
        root = getattr(self.contents_manager, "root_dir", None)
        if not root:
            return None
        relative = os.path.relpath(os.path.realpath(recorded), os.path.realpath(root))
        return None if relative.startswith("..") else relative.replace(os.sep, "/")

    async def read_notebook(self, path: str) -> dict[str, Any]:
        """The notebook at ``path`` through the contents manager (its errors pass through)."""
        if not path.endswith(".ipynb"):
            raise NotebookError(f"{path} is not a notebook (.ipynb) file")
        model = await ensure_async(self.contents_manager.get(path, content=True, type="notebook"))
        return normalize_notebook(json.loads(json.dumps(model["content"])), path)

    async def notebook_has_id(self, path: str, notebook_id: str) -> bool:
        try:
            if not await ensure_async(self.contents_manager.file_exists(path)):
                return False
            return notebook_id_of(await self.read_notebook(path)) == notebook_id
        except (web.HTTPError, NepnbError):
            return False

    async def save_notebook(self, notebook: dict[str, Any], path: str) -> None:
        model = {"type": "notebook", "format": "json", "content": nbformat.from_dict(notebook)}
        await ensure_async(self.contents_manager.save(model, path))

    async def free_path(self, wanted: str) -> str:
        """``wanted`` or ``name-1.ipynb``, ``name-2.ipynb`` …: a path where nothing exists."""
        stem, dot, suffix = wanted.rpartition(".")
        candidate, number = wanted, 0
        while await ensure_async(self.contents_manager.exists(candidate)):
            number += 1
            candidate = f"{stem}-{number}{dot}{suffix}"
        return candidate


class HealthHandler(NepnbAPIHandler):
    """``GET /nepnb/api/health``: the version and where the store is."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        store = self.nepnb["store"]
        self.write_json(
            {
                "version": __version__,
                "store": store.kind,
                "location": store.location,
                "project": self.nepnb["project"],
            }
        )


class CheckpointsHandler(NepnbAPIHandler):
    """``POST`` a checkpoint of a notebook; ``GET ?path=`` a notebook's checkpoints."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body()
        path = self.notebook_path(body.get("path"))
        message = body.get("message", "")
        if not isinstance(message, str):
            raise InvalidValue("the checkpoint message must be text")
        split_message(message, body.get("body"))  # refused before the file is touched
        runs = body.get("runs") or []
        if not isinstance(runs, list) or not all(isinstance(r, str) for r in runs):
            raise InvalidValue('runs must be a list of run ids, e.g. ["CLS-12"]')
        flags = {
            "new_id": body.get("new_id", False),
            "same_history": body.get("same_history", False),
            "write_id": body.get("write_id", True),
        }
        for key, value in flags.items():
            if not isinstance(value, bool):
                raise InvalidValue(f"{key} must be true or false, not {value!r}")
        checkpoints = self.checkpoints(body.get("project"))
        await self.in_thread(_check_runs, checkpoints, runs)
        # One upload of a notebook at a time: the first one gives it its id, and a second one
        # must see that id (and follow the first) rather than start another history.
        async with self.nepnb["path_locks"][path]:
            notebook = await self.read_notebook(path)
            notebook, id_given = ensure_notebook_id(notebook, new=flags["new_id"])
            if id_given and flags["write_id"]:
                await self.save_notebook(notebook, path)  # first: a failed save stores nothing
            copy_of_other = not id_given and await self._other_file_holds_id(
                checkpoints, notebook, path
            )
            upload = await self.in_thread(
                lambda: checkpoints.upload(
                    notebook,
                    path=path,
                    message=message,
                    body=body.get("body"),
                    author=self.author(),
                    runs=runs,
                    file_check=lambda _path, _id: copy_of_other,
                    same_history=flags["same_history"] or id_given,
                )
            )
        self.write_json(
            {
                "checkpoint": upload.checkpoint.to_json(),
                "notebook_id": upload.notebook_id,
                "id_assigned": id_given,
                "new_parts": upload.new_parts,
            },
            status=201,
        )

    async def _other_file_holds_id(
        self, checkpoints: Checkpoints, notebook: dict[str, Any], path: str
    ) -> bool:
        notebook_id = notebook_id_of(notebook)
        if notebook_id is None:
            return False
        known = await self.in_thread(
            checkpoints.store.get_notebook, checkpoints.project, notebook_id
        )
        if known is None:
            return False
        other = self.server_path(known.path)
        if other is None or other == path:
            return False
        return await self.notebook_has_id(other, notebook_id)

    @web.authenticated
    @authorized
    async def get(self) -> None:
        checkpoints = self.checkpoints()
        notebook_id = self.get_query_argument("notebook_id", "")
        path = ""
        if not notebook_id:  # by the file; ?notebook_id= finds the history of a deleted one
            path = self.notebook_path(self.get_query_argument("path", ""))
            notebook_id = notebook_id_of(await self.read_notebook(path)) or ""
        history = await self.in_thread(checkpoints.history, notebook_id) if notebook_id else []
        self.write_json(
            {
                "path": path,
                "notebook_id": notebook_id or None,
                "checkpoints": [c.to_json() for c in history],
            }
        )


class CheckpointHandler(NepnbAPIHandler):
    """``GET /checkpoints/<id>``: one checkpoint (``?content=1`` adds its notebook)."""

    @web.authenticated
    @authorized
    async def get(self, checkpoint_id: str) -> None:
        checkpoints = self.checkpoints()
        info = await self.in_thread(checkpoints.get, checkpoint_id)
        data = info.to_json()
        if self.get_query_argument("content", "0") in ("1", "true"):
            data["notebook"] = await self.in_thread(checkpoints.content, info)
        self.write_json(data)


class CheckpointNotebookHandler(NepnbAPIHandler):
    """``GET /checkpoints/<id>/notebook``: the checkpoint as an .ipynb download."""

    @web.authenticated
    @authorized
    async def get(self, checkpoint_id: str) -> None:
        checkpoints = self.checkpoints()
        info = await self.in_thread(checkpoints.get, checkpoint_id)
        notebook = await self.in_thread(checkpoints.restored_copy, info)
        name = restored_name(info.path.rsplit("/", 1)[-1], info.id)
        fallback = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
        self.set_header(
            "Content-Disposition",
            f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}",
        )
        self.finish(notebook_json(notebook), set_content_type="application/x-ipynb+json")


class RestoreHandler(NepnbAPIHandler):
    """``POST /checkpoints/<id>/restore``: write the checkpoint to a new notebook file."""

    @web.authenticated
    @authorized
    async def post(self, checkpoint_id: str) -> None:
        body = self.body()
        checkpoints = self.checkpoints(body.get("project"))
        info = await self.in_thread(checkpoints.get, checkpoint_id)
        original = self.notebook_path(
            body.get("path") or self.server_path(info.path) or posixpath.basename(info.path)
        )
        if body.get("to"):
            target = self.notebook_path(body["to"])
            folder = posixpath.dirname(target)
            if folder and not await ensure_async(self.contents_manager.dir_exists(folder)):
                raise InvalidValue(f"there is no folder {folder} to restore into")
            if await ensure_async(self.contents_manager.exists(target)):
                raise NotebookIdentityConflict(
                    f"{target} exists; nepnb never overwrites it. Choose another path.",
                    notebook_id=info.notebook_id,
                    other_path=target,
                )
        else:
            target = await self.free_path(restored_name(original, info.id))
        notebook = await self.in_thread(checkpoints.restored_copy, info)
        await self.save_notebook(notebook, target)
        self.write_json({"path": target, "checkpoint": info.to_json()}, status=201)


class CompareHandler(NepnbAPIHandler):
    """``GET /compare?a=<id>&b=<id>|current&path=…&outputs=1&context=3``."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        checkpoints = self.checkpoints()
        first = self.get_query_argument("a", "")
        second = self.get_query_argument("b", "current")
        if not first:
            raise InvalidValue("give the checkpoints to compare: ?a=<id>&b=<id or current>")
        options = CompareOptions(
            outputs=self.get_query_argument("outputs", "1") not in ("0", "false"),
            context=_int_argument(self, "context", 3),
        )
        newer: str | dict[str, Any] = second
        if second == "current":
            path = self.get_query_argument("path", "")
            if not path:
                raise InvalidValue("comparing with the current notebook needs its ?path=")
            newer = await self.read_notebook(self.notebook_path(path))
        diff = await self.in_thread(checkpoints.compare, first, newer, options)
        self.write_json(diff.to_json())


class NotebooksHandler(NepnbAPIHandler):
    """``GET /notebooks``: the project's notebooks that have checkpoints."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        checkpoints = self.checkpoints()
        notebooks = await self.in_thread(checkpoints.notebooks)
        self.write_json(
            {
                "project": checkpoints.project,
                "notebooks": [
                    {
                        "notebook_id": n.notebook_id,
                        "path": n.path,
                        "created": n.created,
                        "updated": n.updated,
                        "checkpoints": n.checkpoints,
                    }
                    for n in notebooks
                ],
            }
        )


def _check_runs(checkpoints: Checkpoints, runs: list[str]) -> None:
    """Every linked run must exist in the project."""
    for run in runs:
        checkpoints.store.find_object(checkpoints.project, sys_id=run)


def _int_argument(handler: NepnbAPIHandler, name: str, default: int) -> int:
    raw = handler.get_query_argument(name, str(default))
    try:
        return max(int(raw), 0)
    except ValueError:
        raise InvalidValue(f"?{name}= must be a whole number, not {raw!r}") from None


Routes = list[tuple[str, type[NepnbAPIHandler]]]

#: The routes of the handlers of this module (add new ones here); ROUTES, below, also has
#: those of the runs API.
_CHECKPOINT_ROUTES: Routes = [
    (rf"/{API_PREFIX}/health", HealthHandler),
    (rf"/{API_PREFIX}/checkpoints", CheckpointsHandler),
    (rf"/{API_PREFIX}/checkpoints/{_ID}", CheckpointHandler),
    (rf"/{API_PREFIX}/checkpoints/{_ID}/notebook", CheckpointNotebookHandler),
    (rf"/{API_PREFIX}/checkpoints/{_ID}/restore", RestoreHandler),
    (rf"/{API_PREFIX}/compare", CompareHandler),
    (rf"/{API_PREFIX}/notebooks", NotebooksHandler),
]


def __getattr__(name: str) -> Routes:
    """``ROUTES``: every route of the extension. The runs API (nepnb.jupyter.runs) builds on
    NepnbAPIHandler, so its routes are joined when asked for, whichever module loads first."""
    if name == "ROUTES":
        from nepnb.jupyter.runs import RUN_ROUTES

        return [*_CHECKPOINT_ROUTES, *RUN_ROUTES]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
