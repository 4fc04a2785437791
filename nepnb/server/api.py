"""What every route of the tracking server shares: the API prefix, the wire response, who
is asking (``Who``), the request bodies and the services the routes call (``Svc``: the SQL
store, the identity service, and the access checks over them).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from nepnb.exceptions import (
    InvalidValue,
    ObjectNotFound,
    PermissionDenied,
)
from nepnb.server.auth import Identity, Principal
from nepnb.server.sql import SQLStore
from nepnb.store import wire
from nepnb.store.base import ObjectKind

log = logging.getLogger("nepnb.server")
T = TypeVar("T")
API = "/api/v1"
#: The largest request body accepted (after decompression), in bytes.
MAX_BODY = 256 * 1024 * 1024


async def principal(request: Request, authorization: str | None = Header(None)) -> Principal:
    """Who the request comes from (``Authorization: Bearer <api key>``); Unauthenticated else."""
    key = None
    if authorization and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    return await run_in_threadpool(request.app.state.identity.authenticate, key)


Who = Annotated[Principal, Depends(principal)]


class WireResponse(Response):
    """JSON written by nepnb.store.wire (NaN and Infinity allowed)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return wire.dumps(content)


class ObjectRequest(BaseModel):
    """A new object (or the existing one a custom run id or model key names)."""

    kind: ObjectKind
    custom_run_id: str | None = None
    model_key: str | None = None
    model_id: str | None = None
    uid: str | None = Field(None, pattern=r"^[0-9a-f]{32}$")
    initial: dict[str, Any] | None = None


class FieldsRequest(BaseModel):
    """Fields of several objects: all of them, those at ``paths``, or under ``prefix``."""

    uids: list[str] = Field(max_length=10_000)
    paths: list[str] | None = None
    prefix: str | None = None
    sizes: bool = True  # False: without sys/size, computed when read


class ProjectRequest(BaseModel):
    """A new project (Neptune's ``management.create_project``)."""

    name: str = Field(min_length=3, max_length=200)
    key: str | None = Field(None, max_length=10)
    visibility: str = "private"
    description: str | None = Field(None, max_length=16_384)


class MemberRequest(BaseModel):
    """A role on a project for a user or a service account."""

    role: str
    kind: str = Field("user", pattern="^(user|service)$")


class IdsRequest(BaseModel):
    """Objects of a project, by ``sys/id``."""

    ids: list[str] = Field(max_length=10_000)


class DigestsRequest(BaseModel):
    digests: list[str] = Field(max_length=100_000)


class PartsRequest(BaseModel):
    """Parts of notebook checkpoints: digest -> base64 of the bytes."""

    parts: dict[str, str]


class CheckpointRequest(BaseModel):
    notebook_id: str = Field(min_length=1, max_length=64)
    path: str
    summary: str
    body: str = ""
    author: str = ""
    manifest: str
    runs: list[str] = []
    stats: dict[str, Any] = {}


BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-nepnb-batch": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["batch_id", "operations"],
                    "properties": {
                        "batch_id": {"type": "string", "minLength": 8, "maxLength": 64},
                        "operations": {"type": "array", "items": {"type": "object"}},
                    },
                }
            },
        },
    }
}


def check_digest(digest: str) -> None:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InvalidValue(f"{digest!r} is not a SHA-256 hex digest")


class Services:
    """The store and identity service of one app, with the checks the routes share; a route
    gets them as a dependency (``s: Svc``), so routes are plain functions of routers."""

    def __init__(self, store: SQLStore, identity: Identity) -> None:
        self.store = store
        self.identity = identity
        self._project_of = functools.lru_cache(maxsize=65_536)(self._object_project)

    def _object_project(self, uid: str) -> str:
        return self.store.get_object(uid).project

    def project_of(self, uid: str) -> str:
        """The project of the object ``uid``, remembered: an object never moves to another
        project, so it is safe to remember in each process."""
        return self._project_of(uid)

    def forget_objects(self) -> None:
        """Forget the remembered projects of objects (some were deleted)."""
        self._project_of.cache_clear()

    @staticmethod
    async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in a worker thread (store calls touch the database)."""
        return await run_in_threadpool(functools.partial(fn, *args, **kwargs))

    def object_access(self, who: Principal, uid: str, need: str) -> None:
        try:
            project = self.project_of(uid)
        except ObjectNotFound:
            raise ObjectNotFound(f"no object {uid} on this server") from None
        self.identity.check(who, project, need)

    def writable_project(self, who: Principal, project: str) -> None:
        """Check that ``who`` may write to ``project``; an admin's first write creates it
        (as the local store does for everyone)."""
        if who.admin and not who.read_only:
            self.store.get_project(project, create=True)
        self.identity.check(who, project, "write")

    def managing(self, who: Principal, project: str) -> None:
        """Check that ``who`` may manage ``project`` (its owners and the server's admins;
        never a service account, as in Neptune)."""
        self.identity.check(who, project, "manage")
        if who.kind == "service":
            raise PermissionDenied(
                f"{who.name} is a service account: service accounts cannot manage projects "
                "or their members"
            )

    def readable_digest(self, who: Principal, digest: str) -> bool:
        if who.admin:
            return True
        holders = self.store.holders(digest)  # (a common file may have many: two queries, not N)
        return bool(holders) and not set(holders).isdisjoint(self.identity.visible_projects(who))

    @staticmethod
    def objects_answer(found: list[Any]) -> Response:
        return WireResponse([wire.encode_object(info) for info in found])

    @staticmethod
    async def raw_body(request: Request) -> bytes:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise InvalidValue(f"the request body is larger than {MAX_BODY} bytes")
        data = wire.decompress(raw, request.headers.get("content-encoding"))
        if len(data) > MAX_BODY:
            raise InvalidValue(f"the request body is larger than {MAX_BODY} bytes")
        return data

    async def body_of(self, request: Request) -> Any:
        return wire.loads(await self.raw_body(request))


def services(request: Request) -> Services:
    """The services of the app serving ``request``."""
    return request.app.state.services


Svc = Annotated[Services, Depends(services)]
