"""The tracking server's objects routes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from nepnb.exceptions import (
    InvalidValue,
)
from nepnb.server.api import (
    API,
    ObjectRequest,
    Svc,
    Who,
    WireResponse,
)
from nepnb.store import wire
from nepnb.store.base import ObjectKind

router = APIRouter(prefix=API)


@router.post("/projects/{workspace}/{name}/objects", tags=["objects"])
async def create_object(
    s: Svc, who: Who, workspace: str, name: str, spec: ObjectRequest
) -> Response:
    """Create an object (a retried request with the same ``uid`` returns it again)."""
    project = f"{workspace}/{name}"
    await s.call(s.writable_project, who, project)
    initial = None if spec.initial is None else wire.decode_batch(spec.initial)
    info = await s.call(
        s.store.create_object,
        project,
        spec.kind,
        custom_run_id=spec.custom_run_id,
        model_key=spec.model_key,
        model_id=spec.model_id,
        initial=initial,
        uid=spec.uid,
    )
    return WireResponse(wire.encode_object(info))


@router.get("/projects/{workspace}/{name}/objects", tags=["objects"])
async def list_objects(
    s: Svc, who: Who, workspace: str, name: str, kind: ObjectKind, model_id: str | None = None
) -> Response:
    """The project's objects of a kind."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "read")
    found = await s.call(s.store.list_objects, project, kind, model_id=model_id)
    return WireResponse([wire.encode_object(info) for info in found])


@router.get("/projects/{workspace}/{name}/find", tags=["objects"])
async def find_object(
    s: Svc,
    who: Who,
    workspace: str,
    name: str,
    sys_id: str | None = None,
    custom_run_id: str | None = None,
) -> Response:
    """The object with this ``sys_id`` or ``custom_run_id``."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "read")
    if sys_id is None and custom_run_id is None:
        raise InvalidValue("give sys_id or custom_run_id")
    info = await s.call(s.store.find_object, project, sys_id=sys_id, custom_run_id=custom_run_id)
    return WireResponse(wire.encode_object(info))
