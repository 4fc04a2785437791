"""Project management on the tracking server, shared by the REST API (nepnb.management's
endpoints) and the ``nepnb admin`` commands: one function for each, no HTTP here."""

from __future__ import annotations

from collections.abc import Iterable

from nepnb.management import visibility_name
from nepnb.server.auth import Identity
from nepnb.server.sql import SQLStore
from nepnb.store.base import ObjectKind, ProjectInfo
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch, Operation, OpKind


def create_project(
    store: SQLStore,
    identity: Identity,
    name: str,
    *,
    key: str | None = None,
    visibility: str = "private",
    owners: Iterable[str] = (),
    storage_limit: int | None = None,
    description: str | None = None,
) -> ProjectInfo:
    """A new project (Conflict if it exists), with its visibility, owners, storage limit and
    description (the project object's ``sys/description``)."""
    visibility = visibility_name(visibility)
    info = store.create_project(name, key=key)
    identity.set_project(name, visibility=visibility, storage_limit=storage_limit)
    for owner in owners:
        identity.grant(name, owner, "owner")
    if description:
        about = Operation(OpKind.ASSIGN, "sys/description", FieldType.STRING, description)
        store.create_object(name, ObjectKind.PROJECT, initial=Batch([about]))
    return info
