"""The checkpoint endpoints: upload, list, read, download, restore, compare (and health)."""

from __future__ import annotations

import os
import posixpath
from typing import Any
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import ensure_async
from tornado import web

from nepnb import __version__
from nepnb.exceptions import (
    InvalidValue,
    NotebookIdentityConflict,
)
from nepnb.jupyter.base import API_PREFIX, NepnbAPIHandler, Routes
from nepnb.notebooks import (
    Checkpoints,
    CompareOptions,
    notebook_id_of,
    restored_name,
    split_message,
)
from nepnb.notebooks.format import NBFORMAT, id_write_refusal, notebook_json

_ID = r"(?P<checkpoint_id>[0-9a-fA-F]{4,64})"


class HealthHandler(NepnbAPIHandler):
    """``GET /nepnb/api/health``: the version and where the store is."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        store = self.store
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
            copy_of_other = await self._other_file_holds_id(checkpoints, notebook, path)
            identity = await self.in_thread(
                lambda: checkpoints.identify(
                    notebook,
                    path=path,
                    also_at=self.disk_paths(path),
                    file_check=lambda _path, _id: copy_of_other,
                    new_id=flags["new_id"],
                    same_history=flags["same_history"],
                )
            )
            id_given = identity.assigned
            refusal = None
            if id_given and flags["write_id"]:
                refusal = await self._id_refusal(path)
            if id_given and flags["write_id"] and refusal is None:
                await self.save_notebook(identity.notebook, path)  # first: a failed save
                # stores nothing
            upload = await self.in_thread(
                lambda: checkpoints.upload(
                    identity.notebook,
                    path=path,
                    message=message,
                    body=body.get("body"),
                    author=self.author(),
                    runs=runs,
                    identity=identity,
                )
            )
        self.write_json(
            {
                "checkpoint": upload.checkpoint.to_json(),
                "notebook_id": upload.notebook_id,
                "id_assigned": id_given and refusal is None,
                "new_parts": upload.new_parts,
                # Why the id was not written into the file (its history then goes by its path).
                "id_not_written": refusal and f"notebook id not written to {path}: {refusal}",
            },
            status=201,
        )

    async def _id_refusal(self, path: str) -> str | None:
        """Why the id must not be written into the file at ``path``: read-only, or an older
        format the contents manager upgraded when it read it (saving would convert it)."""
        model = await ensure_async(self.contents_manager.get(path, content=True, type="notebook"))
        version = model["content"].get("metadata", {}).get("orig_nbformat", NBFORMAT)
        mode = None
        root = getattr(self.contents_manager, "root_dir", None)
        if root:
            try:
                mode = os.stat(os.path.join(root, *path.split("/"))).st_mode
            except OSError:
                mode = None
        return id_write_refusal(version=version, mode=mode, writable=model.get("writable", True))

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
            notebook = await self.read_notebook(path)
            found = await self.in_thread(
                checkpoints.history_id, notebook, path, *self.disk_paths(path)
            )
            notebook_id = found or ""
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
    """``GET /compare?a=<id>&b=<id>|current&path=…&outputs=1&context=3&viewer=0``
    (``viewer=1``: with unchanged cells' sources and changed images, for the compare view);
    ``POST /compare`` ``{"a": <id>, "notebook": <nbformat dict>}`` (same query options)
    compares a checkpoint with the notebook as the editor holds it, unsaved edits included."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        first = self.get_query_argument("a", "")
        second = self.get_query_argument("b", "current")
        if not first:
            raise InvalidValue("give the checkpoints to compare: ?a=<id>&b=<id or current>")
        newer: str | dict[str, Any] = second
        if second == "current":
            path = self.get_query_argument("path", "")
            if not path:
                raise InvalidValue("comparing with the current notebook needs its ?path=")
            newer = await self.read_notebook(self.notebook_path(path))
        await self._compare(first, newer)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body()
        first, notebook = body.get("a"), body.get("notebook")
        if not isinstance(first, str) or not first:
            raise InvalidValue('give the checkpoint to compare: {"a": <id>, "notebook": {...}}')
        if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
            raise InvalidValue('"notebook" must be the notebook as nbformat JSON (with "cells")')
        await self._compare(first, notebook)

    async def _compare(self, first: str, newer: str | dict[str, Any]) -> None:
        checkpoints = self.checkpoints()
        options = CompareOptions(
            outputs=self.get_query_argument("outputs", "1") not in ("0", "false"),
            context=_int_argument(self, "context", 3),
            for_viewer=self.get_query_argument("viewer", "0") in ("1", "true"),
        )
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


#: The routes of this module's handlers.
CHECKPOINT_ROUTES: Routes = [
    (rf"/{API_PREFIX}/health", HealthHandler),
    (rf"/{API_PREFIX}/checkpoints", CheckpointsHandler),
    (rf"/{API_PREFIX}/checkpoints/{_ID}", CheckpointHandler),
    (rf"/{API_PREFIX}/checkpoints/{_ID}/notebook", CheckpointNotebookHandler),
    (rf"/{API_PREFIX}/checkpoints/{_ID}/restore", RestoreHandler),
    (rf"/{API_PREFIX}/compare", CompareHandler),
    (rf"/{API_PREFIX}/notebooks", NotebooksHandler),
]
