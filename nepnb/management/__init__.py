"""``neptune.management`` for nepnb: projects, their members and their trash.

The Neptune 1.x client's functions, with its names, arguments and return values, for what
nepnb can do. With an API token (``api_token=`` or ``NEPTUNE_API_TOKEN``) they ask the
tracking server, which checks the token's rights:

- trashing and restoring objects: contributors of the project (and owners, admins);
- deleting objects from the trash, clearing it, deleting a project, managing members and
  service accounts: owners of the project and the server's admins (never a service
  account, nor a read-only token);
- creating projects: the server's admins.

Without a token they work on the local store, where there are no accounts: the trash and
projects work; members and service accounts raise :class:`ServerRequired`.

Trashed objects keep their data and count toward the project's storage limit until they
are deleted from the trash (``delete_objects_from_trash``, ``clear_trash``). They are left
out of ``fetch_runs_table()`` and the like unless ``trashed=True`` (or None) is asked, can
still be opened, read and written, and stay in the trash when written to. Files they
uploaded stay in the blob store: blobs are content-addressed and may be shared with other
objects, so deleting an object does not delete them (on a tracking server, an admin's
``nepnb admin gc-blobs`` removes those no project holds any more).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from nepnb.exceptions import InvalidProjectName, ServerRequired
from nepnb.store.base import ObjectKind, Store, validate_project_name
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch, Operation, OpKind

if TYPE_CHECKING:  # (importing nepnb.management must not load httpx)
    from nepnb.store.http import HTTPStore

__all__ = [
    "add_project_member",
    "add_project_service_account",
    "clear_trash",
    "create_project",
    "delete_objects_from_trash",
    "delete_project",
    "get_project_list",
    "get_project_member_list",
    "get_project_service_account_list",
    "get_trash_list",
    "get_trash_usage",
    "get_workspace_member_list",
    "project_name",
    "remove_project_member",
    "remove_project_service_account",
    "restore_objects_from_trash",
    "trash_objects",
    "visibility_name",
]

#: nepnb's names of visibilities by Neptune's (``ProjectVisibility``) and by nepnb's own.
VISIBILITY_NAMES = {
    "priv": "private",
    "pub": "public",
    "workspace": "workspace",
    "private": "private",
    "public": "public",
}


def visibility_name(visibility: str) -> str:
    """nepnb's name of a visibility given by Neptune's name ("priv", "pub") or nepnb's;
    InvalidValue for another."""
    from nepnb.exceptions import InvalidValue

    if visibility not in VISIBILITY_NAMES:
        raise InvalidValue(f"visibility {visibility!r} is not one of 'priv', 'pub', 'workspace'")
    return VISIBILITY_NAMES[visibility]


def _store(api_token: str | None) -> Store:
    from nepnb.client.config import API_TOKEN_ENV, http_store, local_store, server_of_token

    server = server_of_token(api_token or os.environ.get(API_TOKEN_ENV))
    return local_store() if server is None else http_store(server)


def _server(api_token: str | None, what: str) -> HTTPStore:
    store = _store(api_token)
    if store.kind != "http":
        raise ServerRequired(
            f"{what} needs a tracking server: the local store has no accounts. Set "
            "NEPTUNE_API_TOKEN (or api_token=...) to a token of your team's server."
        )
    return cast("HTTPStore", store)


def project_name(project: str | None, workspace: str | None = None) -> str:
    """``workspace/project`` from Neptune's ``project`` and ``workspace`` arguments (default
    project: $NEPTUNE_PROJECT); InvalidProjectName saying how to fix a bad one."""
    from nepnb.client.config import PROJECT_ENV

    name = project or os.environ.get(PROJECT_ENV)
    if not name:
        raise InvalidProjectName(f"give the project: project='workspace/project' or ${PROJECT_ENV}")
    if "/" in name:
        if workspace is not None and name.split("/", 1)[0] != workspace:
            raise InvalidProjectName(
                f"the project {name!r} is not in the workspace {workspace!r}; give one of them"
            )
    elif workspace is not None:
        name = f"{workspace}/{name}"
    else:
        raise InvalidProjectName(
            f"the project {name!r} has no workspace: give 'workspace/{name}' or workspace=..."
        )
    return validate_project_name(name)


# projects ------------------------------------------------------------------------------
def get_project_list(*, api_token: str | None = None) -> list[str]:
    """The projects the token can reach (the local store: all of them), as
    ``workspace/project`` names."""
    return [p.name for p in _store(api_token).list_projects()]


def create_project(
    name: str,
    *,
    key: str | None = None,
    workspace: str | None = None,
    visibility: str = "priv",
    description: str | None = None,
    api_token: str | None = None,
) -> str:
    """Create a project; returns its ``workspace/project`` name. ``key``: its short key
    (1-10 letters or digits; default: made from the name). ``visibility``: "priv", "pub"
    or "workspace". On a server only its admins may; Conflict if it exists. The local
    store has no visibilities: there it is checked, not kept."""
    project = project_name(name, workspace)
    visibility = visibility_name(visibility)
    store = _store(api_token)
    if store.kind == "http":
        info = cast("HTTPStore", store).create_project_with(
            project, key=key, visibility=visibility_name(visibility), description=description
        )
        return str(info.name)
    info = store.create_project(project, key=key)
    if description:
        about = Operation(OpKind.ASSIGN, "sys/description", FieldType.STRING, description)
        store.create_object(project, ObjectKind.PROJECT, initial=Batch([about]))
    return info.name


def delete_project(
    project: str, *, workspace: str | None = None, api_token: str | None = None
) -> None:
    """Delete a project with all its objects, notebooks and checkpoints (owners, admins)."""
    _store(api_token).delete_project(project_name(project, workspace))


# members -------------------------------------------------------------------------------
def get_project_member_list(
    project: str, *, workspace: str | None = None, api_token: str | None = None
) -> dict[str, str]:
    """The users of a project and their roles: ``{"jackie": "owner", ...}``."""
    store = _server(api_token, "listing project members")
    return store.project_members(project_name(project, workspace))


def add_project_member(
    project: str,
    username: str,
    role: str,
    *,
    workspace: str | None = None,
    api_token: str | None = None,
) -> None:
    """Give a user a role ("viewer", "contributor", "owner") on a project (owners, admins)."""
    store = _server(api_token, "adding project members")
    store.add_project_member(project_name(project, workspace), username, role)


def remove_project_member(
    project: str, username: str, *, workspace: str | None = None, api_token: str | None = None
) -> None:
    """Take a user's role on a project away (owners, admins)."""
    store = _server(api_token, "removing project members")
    store.remove_project_member(project_name(project, workspace), username)


def get_project_service_account_list(
    project: str, *, workspace: str | None = None, api_token: str | None = None
) -> dict[str, str]:
    """The service accounts assigned to a project and their roles."""
    store = _server(api_token, "listing service accounts")
    return store.project_members(project_name(project, workspace), kind="service")


def add_project_service_account(
    project: str,
    service_account_name: str,
    role: str,
    *,
    workspace: str | None = None,
    api_token: str | None = None,
) -> None:
    """Assign a service account to a project with a role (owners, admins)."""
    store = _server(api_token, "assigning service accounts")
    store.add_project_member(
        project_name(project, workspace), service_account_name, role, kind="service"
    )


def remove_project_service_account(
    project: str,
    service_account_name: str,
    *,
    workspace: str | None = None,
    api_token: str | None = None,
) -> None:
    """Take a service account off a project (owners, admins)."""
    store = _server(api_token, "removing service accounts")
    store.remove_project_member(
        project_name(project, workspace), service_account_name, kind="service"
    )


def get_workspace_member_list(workspace: str, *, api_token: str | None = None) -> dict[str, str]:
    """The users of a workspace: ``{"jackie": "admin", "tom": "member"}`` (to its members)."""
    return _server(api_token, "listing workspace members").workspace_members(workspace)


# trash ---------------------------------------------------------------------------------
def trash_objects(
    project: str,
    ids: str | Iterable[str],
    *,
    workspace: str | None = None,
    api_token: str | None = None,
) -> None:
    """Move runs, models or model versions (by ``sys/id``, e.g. "CLS-12") to the project's
    trash. All or nothing: an unknown id raises ObjectNotFound naming it, and nothing moves."""
    _store(api_token).trash_objects(project_name(project, workspace), ids)


def restore_objects_from_trash(
    project: str,
    ids: str | Iterable[str],
    *,
    workspace: str | None = None,
    api_token: str | None = None,
) -> None:
    """Take objects out of the trash (nepnb's addition: Neptune did it in its web app)."""
    _store(api_token).restore_objects(project_name(project, workspace), ids)


def delete_objects_from_trash(
    project: str,
    ids: str | Iterable[str],
    *,
    workspace: str | None = None,
    api_token: str | None = None,
) -> None:
    """Delete objects in the trash for good; their bytes stop counting toward the project's
    storage limit. Objects not in the trash are refused (nothing is deleted)."""
    _store(api_token).delete_objects_from_trash(project_name(project, workspace), ids)


def clear_trash(
    project: str, *, workspace: str | None = None, api_token: str | None = None
) -> None:
    """Delete every object in the project's trash for good."""
    _store(api_token).clear_trash(project_name(project, workspace))


def get_trash_list(
    project: str, *, workspace: str | None = None, api_token: str | None = None
) -> list[dict[str, Any]]:
    """The objects in the project's trash (nepnb's addition): ``[{"id": "CLS-3", "kind":
    "run", "name": ..., "size": bytes, "frees": bytes}, ...]``, oldest first. ``size`` is
    ``sys/size``; ``frees``: what deleting the object alone from the trash gives back toward
    the project's storage limit (its batches, and the files nothing else names), None where
    the store has no storage limits (the local store)."""
    store = _store(api_token)
    name = project_name(project, workspace)
    found = store.list_trash(name)
    fields = store.get_fields_of([o.uid for o in found], ["sys/name", "sys/size"])
    usage = store.trash_usage(name) if found else None
    listed = []
    for info in found:
        values = fields.get(info.uid, {})
        title, size = values.get("sys/name"), values.get("sys/size")
        listed.append(
            {
                "id": info.sys_id,
                "kind": info.kind.value,
                "name": None if title is None else title.value,
                "size": 0 if size is None else int(size.value),
                "frees": None if usage is None else usage.each.get(info.uid, 0),
            }
        )
    return listed


def get_trash_usage(
    project: str, *, workspace: str | None = None, api_token: str | None = None
) -> int | None:
    """Bytes of the project's storage limit that deleting its whole trash gives back (nepnb's
    addition; a file named by several trashed objects comes back only with the last of
    them), None where the store has no storage limits (the local store)."""
    usage = _store(api_token).trash_usage(project_name(project, workspace))
    return None if usage is None else usage.total
