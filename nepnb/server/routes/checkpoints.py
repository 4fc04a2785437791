"""The tracking server's checkpoints routes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from nepnb.server.api import (
    API,
    CheckpointRequest,
    Svc,
    Who,
    WireResponse,
)
from nepnb.store import wire

router = APIRouter(prefix=API)


@router.post("/projects/{workspace}/{name}/checkpoints", tags=["checkpoints"])
async def add_checkpoint(
    s: Svc, who: Who, workspace: str, name: str, spec: CheckpointRequest
) -> Response:
    """Record a checkpoint whose parts are stored."""
    project = f"{workspace}/{name}"
    await s.call(s.writable_project, who, project)
    info = await s.call(
        s.store.add_checkpoint,
        project,
        spec.notebook_id,
        path=spec.path,
        summary=spec.summary,
        body=spec.body,
        author=spec.author,
        manifest=spec.manifest,
        runs=spec.runs,
        stats=spec.stats,
    )
    return WireResponse(wire.encode_checkpoint(info))


@router.get("/projects/{workspace}/{name}/checkpoints/{checkpoint_id}", tags=["checkpoints"])
async def get_checkpoint(
    s: Svc, who: Who, workspace: str, name: str, checkpoint_id: str
) -> Response:
    """A checkpoint by id or unique id prefix."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "read")
    return WireResponse(
        wire.encode_checkpoint(await s.call(s.store.get_checkpoint, project, checkpoint_id))
    )


@router.get("/projects/{workspace}/{name}/notebooks", tags=["checkpoints"])
async def list_notebooks(s: Svc, who: Who, workspace: str, name: str) -> Response:
    """The notebooks of the project that have checkpoints."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "read")
    return WireResponse(
        [wire.encode_notebook(n) for n in await s.call(s.store.list_notebooks, project)]
    )


@router.get("/projects/{workspace}/{name}/notebooks/{notebook_id}", tags=["checkpoints"])
async def get_notebook(s: Svc, who: Who, workspace: str, name: str, notebook_id: str) -> Response:
    """One notebook of the project (null when it has no checkpoint)."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "read")
    found = await s.call(s.store.get_notebook, project, notebook_id)
    return WireResponse(None if found is None else wire.encode_notebook(found))


@router.get(
    "/projects/{workspace}/{name}/notebooks/{notebook_id}/checkpoints",
    tags=["checkpoints"],
)
async def list_checkpoints(
    s: Svc, who: Who, workspace: str, name: str, notebook_id: str
) -> Response:
    """The checkpoints of a notebook, newest first."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "read")
    found = await s.call(s.store.list_checkpoints, project, notebook_id)
    return WireResponse([wire.encode_checkpoint(c) for c in found])
