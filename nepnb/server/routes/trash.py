"""The tracking server's trash routes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from nepnb.server.api import (
    API,
    IdsRequest,
    Svc,
    Who,
    WireResponse,
)

router = APIRouter(prefix=API)


# Trashing and restoring need the contributor role (they are undone as easily); deleting
# from the trash, which cannot be undone, needs the owner role.


@router.get("/projects/{workspace}/{name}/trash", tags=["trash"])
async def list_trash(s: Svc, who: Who, workspace: str, name: str) -> Response:
    """The objects in the project's trash."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "read")
    return s.objects_answer(await s.call(s.store.list_trash, project))


@router.get("/projects/{workspace}/{name}/trash/usage", tags=["trash"])
async def trash_usage(s: Svc, who: Who, workspace: str, name: str) -> Response:
    """Bytes of the storage limit that deleting the trash gives back: ``each`` trashed
    object's alone (by uid) and the ``total``."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "read")
    usage = await s.call(s.store.trash_usage, project)
    assert usage is not None  # (the server's store counts)
    return WireResponse({"each": usage.each, "total": usage.total})


@router.post("/projects/{workspace}/{name}/trash", tags=["trash"])
async def trash_objects(s: Svc, who: Who, workspace: str, name: str, spec: IdsRequest) -> Response:
    """Move objects to the trash (all or nothing; unknown ids are listed in the error)."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "write")
    return s.objects_answer(await s.call(s.store.trash_objects, project, spec.ids))


@router.post("/projects/{workspace}/{name}/trash/restore", tags=["trash"])
async def restore_objects(
    s: Svc, who: Who, workspace: str, name: str, spec: IdsRequest
) -> Response:
    """Take objects out of the trash."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "write")
    return s.objects_answer(await s.call(s.store.restore_objects, project, spec.ids))


@router.post("/projects/{workspace}/{name}/trash/delete", tags=["trash"])
async def delete_from_trash(
    s: Svc, who: Who, workspace: str, name: str, spec: IdsRequest
) -> Response:
    """Delete objects in the trash for good (owners); their bytes are freed."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "manage")
    found = await s.call(s.store.delete_objects_from_trash, project, spec.ids)
    s.forget_objects()
    return s.objects_answer(found)


@router.delete("/projects/{workspace}/{name}/trash", tags=["trash"])
async def clear_trash(s: Svc, who: Who, workspace: str, name: str) -> Response:
    """Delete every object in the trash for good (owners)."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "manage")
    found = await s.call(s.store.clear_trash, project)
    s.forget_objects()
    return s.objects_answer(found)
