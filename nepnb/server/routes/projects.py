"""The tracking server's projects routes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from nepnb.exceptions import (
    PermissionDenied,
)
from nepnb.server.api import (
    API,
    MemberRequest,
    ProjectRequest,
    Svc,
    Who,
    WireResponse,
)

router = APIRouter(prefix=API)


@router.get("/projects", tags=["projects"])
async def list_projects(s: Svc, who: Who) -> Response:
    """The projects the token can reach."""
    names = set(await s.call(s.identity.visible_projects, who))
    projects = await s.call(s.store.list_projects)
    return WireResponse([{"name": p.name, "key": p.key} for p in projects if p.name in names])


@router.post("/projects", tags=["projects"])
async def create_project(s: Svc, who: Who, spec: ProjectRequest) -> Response:
    """Create a project (admins only; Conflict if it exists)."""
    from nepnb.server.manage import create_project as create

    if not who.admin or who.read_only:
        raise PermissionDenied(
            f"only the server's admins create projects ({who.name} is not one, or the "
            "token is read-only); ask an admin"
        )
    info = await s.call(
        create,
        s.store,
        s.identity,
        spec.name,
        key=spec.key,
        visibility=spec.visibility,
        description=spec.description,
    )
    return WireResponse({"name": info.name, "key": info.key})


@router.delete("/projects/{workspace}/{name}", tags=["projects"])
async def delete_project(s: Svc, who: Who, workspace: str, name: str) -> Response:
    """Delete a project with everything in it (its owners and admins)."""
    project = f"{workspace}/{name}"
    await s.call(s.managing, who, project)
    await s.call(s.store.delete_project, project)
    s.forget_objects()
    return WireResponse({"deleted": project})


@router.get("/projects/{workspace}/{name}/members", tags=["projects"])
async def list_members(s: Svc, who: Who, workspace: str, name: str, kind: str = "user") -> Response:
    """The project's users (``kind=service``: service accounts) and their roles."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "read")
    return WireResponse(await s.call(s.identity.members, project, kind=kind))


@router.put("/projects/{workspace}/{name}/members/{account}", tags=["projects"])
async def add_member(
    s: Svc, who: Who, workspace: str, name: str, account: str, spec: MemberRequest
) -> Response:
    """Give an account a role on the project (owners and admins)."""
    project = f"{workspace}/{name}"
    await s.call(s.managing, who, project)
    await s.call(s.identity.add_member, project, account, spec.role, kind=spec.kind)
    return WireResponse({"account": account, "role": spec.role})


@router.delete("/projects/{workspace}/{name}/members/{account}", tags=["projects"])
async def remove_member(
    s: Svc, who: Who, workspace: str, name: str, account: str, kind: str = "user"
) -> Response:
    """Take an account's role on the project away (owners and admins)."""
    project = f"{workspace}/{name}"
    await s.call(s.managing, who, project)
    await s.call(s.identity.remove_member, project, account, kind=kind)
    return WireResponse({"account": account, "role": None})


@router.get("/workspaces/{workspace}/members", tags=["projects"])
async def workspace_members(s: Svc, who: Who, workspace: str) -> Response:
    """The users of a workspace (to its members and the server's admins)."""
    if not await s.call(s.identity.in_workspace, who, workspace):
        raise PermissionDenied(f"{who.name} is not a member of the workspace {workspace!r}")
    return WireResponse(await s.call(s.identity.workspace_members, workspace))


@router.get("/projects/{workspace}/{name}", tags=["projects"])
async def get_project(
    s: Svc, who: Who, workspace: str, name: str, create: bool = False
) -> Response:
    """A project; ``create``: make it first when missing (admins only)."""
    project = f"{workspace}/{name}"
    if create and who.admin and not who.read_only:
        info = await s.call(s.store.get_project, project, create=True)
    else:
        await s.call(s.identity.check, who, project, "read")
        info = await s.call(s.store.get_project, project)
    return WireResponse({"name": info.name, "key": info.key})
