"""The base of nepnb's HTTP handlers: authorization, JSON replies, errors to statuses.

Handlers only translate HTTP: the work is done by :mod:`nepnb.notebooks` and the store;
store calls run in a worker thread (they touch SQLite and the disk), and nepnb's errors become
JSON replies with the status their class gives (``http_status``, as on the tracking server).
"""

from __future__ import annotations

import asyncio
import json
import os
import posixpath
from collections.abc import Callable
from typing import Any, TypeVar

import nbformat
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import ensure_async
from tornado import web

from nepnb.exceptions import (
    InvalidValue,
    NepnbError,
    NotebookError,
    NotebookIdentityConflict,
    store_full_error,
)
from nepnb.jupyter.stores import (
    TokenRefused,
    TrackingServerUnreachable,
    active_store,
    tracking_server_error,
)
from nepnb.notebooks import (
    Checkpoints,
    normalize_notebook,
    notebook_id_of,
)
from nepnb.store.base import Store, validate_project_name

#: The URL prefix of every nepnb endpoint (after the server's base_url).
API_PREFIX = "nepnb/api"

T = TypeVar("T")


def status_of(error: NepnbError) -> int:
    """The HTTP status of ``error``: its class's ``http_status``, the same table the
    tracking server answers with (see :mod:`nepnb.exceptions`)."""
    return error.http_status


class NepnbAPIHandler(APIHandler):
    """Base of nepnb handlers: authorized against the ``nepnb`` resource, JSON replies."""

    auth_resource = "nepnb"

    @property
    def nepnb(self) -> dict[str, Any]:
        return self.settings["nepnb"]

    @property
    def store(self) -> Store:
        """The tracking server of the extension's settings, else the local store."""
        return active_store(self.nepnb)

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
        if isinstance(value, (TokenRefused, TrackingServerUnreachable)):
            self.log.warning("nepnb: %s", value)  # not a bug of nepnb: no traceback either
            return
        super().log_exception(typ, value, tb)

    def _handle_request_exception(self, e: BaseException) -> None:
        store = self.store
        e = tracking_server_error(e, store) or e
        full = store_full_error(e, store.location)
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
        return Checkpoints(self.store, name)

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except json.JSONDecodeError as error:
            raise InvalidValue(f"the request body is not JSON: {error.msg}") from None
        if not isinstance(data, dict):
            raise InvalidValue("the request body must be a JSON object")
        return data

    def author(self) -> str:
        """Who signs a checkpoint: the same identity as the kernel's (nepnb's settings, else
        git's user.name, else the login), never the Jupyter server's random anonymous name."""
        from nepnb.notebooks import default_author

        return default_author(self.nepnb["home"])

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

    def disk_paths(self, path: str) -> list[str]:
        """The other spelling of a server path: the absolute path the CLI and the kernel
        record for the same file (empty when the contents manager has no folder)."""
        root = getattr(self.contents_manager, "root_dir", None)
        if not root:
            return []
        return [os.path.realpath(os.path.join(root, *path.split("/")))]

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


Routes = list[tuple[str, type[NepnbAPIHandler]]]
