"""The tracking server's ASGI app: the Store interface over HTTP, every endpoint checked.

Handlers only translate: they authenticate the request (nepnb.server.auth), check the
caller's role on the project concerned, call the SQL store (nepnb.server.sql) in a worker
thread, and encode the answer with nepnb.store.wire (which the HTTP store decodes). Errors
are ``{"error": {"code", "message"}}`` with the status of the error's class. The OpenAPI
schema is at ``/openapi.json``; ``/api/v1/health`` needs no token.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, OperationalError

from nepnb import __version__
from nepnb.exceptions import (
    ContentNotFound,
    DatabaseUnavailable,
    InvalidValue,
    MissingField,
    NepnbError,
    ObjectNotFound,
    PermissionDenied,
    StorageLimitExceeded,
    error_payload,
)
from nepnb.server.auth import Identity, Principal
from nepnb.server.database import make_engine, migrate
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


def create_app(database: str, blobs: Path | str) -> FastAPI:
    """The app over the database at URL ``database`` (migrated first) and a blob store
    (a folder, or ``s3://BUCKET/PREFIX``)."""
    engine = make_engine(database)
    migrate(engine)
    store = SQLStore(engine, blobs)
    identity = Identity(engine)
    app = FastAPI(
        title="nepnb tracking server",
        version=__version__,
        description="The tracking server of nepnb: runs, models, series, files and notebook "
        "checkpoints of the projects a token can reach.",
        default_response_class=WireResponse,
    )
    app.state.store = store
    app.state.identity = identity

    @app.exception_handler(NepnbError)
    async def _nepnb_error(request: Request, error: NepnbError) -> Response:
        if isinstance(error, StorageLimitExceeded):  # (for the admin: who needs room)
            log.warning("nepnb: %s %s refused: %s", request.method, request.url.path, error)
        return WireResponse(error_payload(error), status_code=error.http_status)

    @app.exception_handler(DBAPIError)
    async def _database_failed(request: Request, error: DBAPIError) -> Response:
        if not (error.connection_invalidated or isinstance(error, OperationalError)):
            return await _unexpected(request, error)
        # The database restarted, failed over or is unreachable: the pool drops its
        # connections and a client's retry (503 is retried) gets fresh ones.
        log.warning("nepnb: %s %s: the database failed: %s", request.method, request.url.path,
                    error.orig)  # fmt: skip
        unavailable = DatabaseUnavailable(
            f"the tracking server cannot reach its database right now ({error.orig}); "
            "try again shortly"
        )
        return WireResponse(error_payload(unavailable), status_code=unavailable.http_status)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("nepnb: %s %s failed", request.method, request.url.path)
        payload = {"error": {"code": "INTERNAL_ERROR", "message": f"server error: {error!r}"}}
        return JSONResponse(payload, status_code=500)

    async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await run_in_threadpool(functools.partial(fn, *args, **kwargs))

    @functools.lru_cache(maxsize=65_536)
    def project_of(uid: str) -> str:
        # An object never moves to another project: safe to remember in each process.
        return store.get_object(uid).project

    def object_access(who: Principal, uid: str, need: str) -> None:
        try:
            project = project_of(uid)
        except ObjectNotFound:
            raise ObjectNotFound(f"no object {uid} on this server") from None
        identity.check(who, project, need)

    def writable_project(who: Principal, project: str) -> None:
        """Check that ``who`` may write to ``project``; an admin's first write creates it
        (as the local store does for everyone)."""
        if who.admin and not who.read_only:
            store.get_project(project, create=True)
        identity.check(who, project, "write")

    async def raw_body(request: Request) -> bytes:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise InvalidValue(f"the request body is larger than {MAX_BODY} bytes")
        data = wire.decompress(raw, request.headers.get("content-encoding"))
        if len(data) > MAX_BODY:
            raise InvalidValue(f"the request body is larger than {MAX_BODY} bytes")
        return data

    async def body_of(request: Request) -> Any:
        return wire.loads(await raw_body(request))

    # service ---------------------------------------------------------------------------
    @app.get(f"{API}/health", tags=["service"])
    async def health() -> Response:
        """Whether the server runs and reaches its database (no token needed). A load
        balancer reads the 503 it answers when the database is away as "not this one"."""
        await call(store.ping)
        return WireResponse({"status": "ok", "version": __version__})

    @app.get(f"{API}/whoami", tags=["service"])
    async def whoami(who: Who) -> Response:
        """The account of the token, and the projects it can reach."""
        projects = await call(identity.visible_projects, who)
        return WireResponse(
            {
                "name": who.name,
                "kind": who.kind,
                "admin": who.admin,
                "read_only": who.read_only,
                "projects": projects,
            }
        )

    # projects --------------------------------------------------------------------------
    @app.get(f"{API}/projects", tags=["projects"])
    async def list_projects(who: Who) -> Response:
        """The projects the token can reach."""
        names = set(await call(identity.visible_projects, who))
        projects = await call(store.list_projects)
        return WireResponse([{"name": p.name, "key": p.key} for p in projects if p.name in names])

    @app.post(f"{API}/projects", tags=["projects"])
    async def create_project(who: Who, spec: ProjectRequest) -> Response:
        """Create a project (admins only; Conflict if it exists)."""
        from nepnb.server.manage import create_project as create

        if not who.admin or who.read_only:
            raise PermissionDenied(
                f"only the server's admins create projects ({who.name} is not one, or the "
                "token is read-only); ask an admin"
            )
        info = await call(
            create,
            store,
            identity,
            spec.name,
            key=spec.key,
            visibility=spec.visibility,
            description=spec.description,
        )
        return WireResponse({"name": info.name, "key": info.key})

    def managing(who: Principal, project: str) -> None:
        """Check that ``who`` may manage ``project`` (its owners and the server's admins;
        never a service account, as in Neptune)."""
        identity.check(who, project, "manage")
        if who.kind == "service":
            raise PermissionDenied(
                f"{who.name} is a service account: service accounts cannot manage projects "
                "or their members"
            )

    @app.delete(API + "/projects/{workspace}/{name}", tags=["projects"])
    async def delete_project(who: Who, workspace: str, name: str) -> Response:
        """Delete a project with everything in it (its owners and admins)."""
        project = f"{workspace}/{name}"
        await call(managing, who, project)
        await call(store.delete_project, project)
        project_of.cache_clear()
        return WireResponse({"deleted": project})

    @app.get(API + "/projects/{workspace}/{name}/members", tags=["projects"])
    async def list_members(who: Who, workspace: str, name: str, kind: str = "user") -> Response:
        """The project's users (``kind=service``: service accounts) and their roles."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "read")
        return WireResponse(await call(identity.members, project, kind=kind))

    @app.put(API + "/projects/{workspace}/{name}/members/{account}", tags=["projects"])
    async def add_member(
        who: Who, workspace: str, name: str, account: str, spec: MemberRequest
    ) -> Response:
        """Give an account a role on the project (owners and admins)."""
        project = f"{workspace}/{name}"
        await call(managing, who, project)
        await call(identity.add_member, project, account, spec.role, kind=spec.kind)
        return WireResponse({"account": account, "role": spec.role})

    @app.delete(API + "/projects/{workspace}/{name}/members/{account}", tags=["projects"])
    async def remove_member(
        who: Who, workspace: str, name: str, account: str, kind: str = "user"
    ) -> Response:
        """Take an account's role on the project away (owners and admins)."""
        project = f"{workspace}/{name}"
        await call(managing, who, project)
        await call(identity.remove_member, project, account, kind=kind)
        return WireResponse({"account": account, "role": None})

    @app.get(API + "/workspaces/{workspace}/members", tags=["projects"])
    async def workspace_members(who: Who, workspace: str) -> Response:
        """The users of a workspace (to its members and the server's admins)."""
        if not await call(identity.in_workspace, who, workspace):
            raise PermissionDenied(f"{who.name} is not a member of the workspace {workspace!r}")
        return WireResponse(await call(identity.workspace_members, workspace))

    @app.get(API + "/projects/{workspace}/{name}", tags=["projects"])
    async def get_project(who: Who, workspace: str, name: str, create: bool = False) -> Response:
        """A project; ``create``: make it first when missing (admins only)."""
        project = f"{workspace}/{name}"
        if create and who.admin and not who.read_only:
            info = await call(store.get_project, project, create=True)
        else:
            await call(identity.check, who, project, "read")
            info = await call(store.get_project, project)
        return WireResponse({"name": info.name, "key": info.key})

    # objects ---------------------------------------------------------------------------
    @app.post(API + "/projects/{workspace}/{name}/objects", tags=["objects"])
    async def create_object(who: Who, workspace: str, name: str, spec: ObjectRequest) -> Response:
        """Create an object (a retried request with the same ``uid`` returns it again)."""
        project = f"{workspace}/{name}"
        await call(writable_project, who, project)
        initial = None if spec.initial is None else wire.decode_batch(spec.initial)
        info = await call(
            store.create_object,
            project,
            spec.kind,
            custom_run_id=spec.custom_run_id,
            model_key=spec.model_key,
            model_id=spec.model_id,
            initial=initial,
            uid=spec.uid,
        )
        return WireResponse(wire.encode_object(info))

    @app.get(API + "/projects/{workspace}/{name}/objects", tags=["objects"])
    async def list_objects(
        who: Who, workspace: str, name: str, kind: ObjectKind, model_id: str | None = None
    ) -> Response:
        """The project's objects of a kind."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "read")
        found = await call(store.list_objects, project, kind, model_id=model_id)
        return WireResponse([wire.encode_object(info) for info in found])

    @app.get(API + "/objects/{uid}", tags=["objects"])
    async def get_object(who: Who, uid: str) -> Response:
        """The object ``uid``: its project, kind and ids."""
        await call(object_access, who, uid, "read")
        return WireResponse(wire.encode_object(await call(store.get_object, uid)))

    @app.get(API + "/projects/{workspace}/{name}/find", tags=["objects"])
    async def find_object(
        who: Who,
        workspace: str,
        name: str,
        sys_id: str | None = None,
        custom_run_id: str | None = None,
    ) -> Response:
        """The object with this ``sys_id`` or ``custom_run_id``."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "read")
        if sys_id is None and custom_run_id is None:
            raise InvalidValue("give sys_id or custom_run_id")
        info = await call(store.find_object, project, sys_id=sys_id, custom_run_id=custom_run_id)
        return WireResponse(wire.encode_object(info))

    # trash -----------------------------------------------------------------------------
    # Trashing and restoring need the contributor role (they are undone as easily); deleting
    # from the trash, which cannot be undone, needs the owner role.
    def objects_answer(found: list[Any]) -> Response:
        return WireResponse([wire.encode_object(info) for info in found])

    @app.get(API + "/projects/{workspace}/{name}/trash", tags=["trash"])
    async def list_trash(who: Who, workspace: str, name: str) -> Response:
        """The objects in the project's trash."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "read")
        return objects_answer(await call(store.list_trash, project))

    @app.get(API + "/projects/{workspace}/{name}/trash/usage", tags=["trash"])
    async def trash_usage(who: Who, workspace: str, name: str) -> Response:
        """Bytes of the storage limit that deleting the trash gives back: ``each`` trashed
        object's alone (by uid) and the ``total``."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "read")
        usage = await call(store.trash_usage, project)
        assert usage is not None  # (the server's store counts)
        return WireResponse({"each": usage.each, "total": usage.total})

    @app.post(API + "/projects/{workspace}/{name}/trash", tags=["trash"])
    async def trash_objects(who: Who, workspace: str, name: str, spec: IdsRequest) -> Response:
        """Move objects to the trash (all or nothing; unknown ids are listed in the error)."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "write")
        return objects_answer(await call(store.trash_objects, project, spec.ids))

    @app.post(API + "/projects/{workspace}/{name}/trash/restore", tags=["trash"])
    async def restore_objects(who: Who, workspace: str, name: str, spec: IdsRequest) -> Response:
        """Take objects out of the trash."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "write")
        return objects_answer(await call(store.restore_objects, project, spec.ids))

    @app.post(API + "/projects/{workspace}/{name}/trash/delete", tags=["trash"])
    async def delete_from_trash(who: Who, workspace: str, name: str, spec: IdsRequest) -> Response:
        """Delete objects in the trash for good (owners); their bytes are freed."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "manage")
        found = await call(store.delete_objects_from_trash, project, spec.ids)
        project_of.cache_clear()
        return objects_answer(found)

    @app.delete(API + "/projects/{workspace}/{name}/trash", tags=["trash"])
    async def clear_trash(who: Who, workspace: str, name: str) -> Response:
        """Delete every object in the trash for good (owners)."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "manage")
        found = await call(store.clear_trash, project)
        project_of.cache_clear()
        return objects_answer(found)

    # fields ----------------------------------------------------------------------------
    @app.post(API + "/objects/{uid}/batches", tags=["fields"], openapi_extra=BATCH_BODY)
    async def apply(who: Who, uid: str, request: Request) -> Response:
        """Apply a batch of operations; a batch id applied before is not applied again."""
        if request.headers.get("content-type", "").startswith(wire.BATCH_MEDIA_TYPE):
            batch = wire.decode_batch_body(await raw_body(request))
        else:
            batch = wire.decode_batch(await body_of(request))

        def checked_apply() -> Any:
            object_access(who, uid, "write")
            return store.apply(uid, batch)

        return WireResponse(wire.encode_apply_result(await call(checked_apply)))

    @app.post(f"{API}/fields", tags=["fields"])
    async def get_fields(who: Who, spec: FieldsRequest) -> Response:
        """Fields of several objects."""
        for uid in set(spec.uids):
            await call(object_access, who, uid, "read")
        found = await call(store.get_fields_of, spec.uids, spec.paths, prefix=spec.prefix)
        return WireResponse({uid: wire.encode_fields(fields) for uid, fields in found.items()})

    @app.get(API + "/objects/{uid}/series", tags=["fields"])
    async def read_series(who: Who, uid: str, path: str = Query(min_length=1)) -> Response:
        """Every point of a series, as binary (see nepnb.store.wire.encode_series)."""
        await call(object_access, who, uid, "read")

        def read() -> bytes:
            data = store.read_series(uid, path)  # MissingField if there is no such series
            info = store.get_fields(uid, [path]).get(path)
            if info is None:  # deleted meanwhile
                raise MissingField(path)
            return wire.encode_series(data, info.type)

        return Response(await call(read), media_type=wire.SERIES_MEDIA_TYPE)

    @app.get(API + "/objects/{uid}/buckets", tags=["fields"])
    async def read_buckets(
        who: Who,
        uid: str,
        path: str = Query(min_length=1),
        buckets: int = 1000,
        x_axis: str = "step",
        start: float | None = None,
        end: float | None = None,
    ) -> Response:
        """A float series downsampled to buckets (min, max, last per bucket)."""
        await call(object_access, who, uid, "read")
        found = await call(
            store.read_series_buckets,
            uid,
            path,
            buckets=buckets,
            x_axis=x_axis,
            start=start,
            end=end,
        )
        return WireResponse(wire.encode_buckets(found))

    @app.get(API + "/objects/{uid}/extent", tags=["fields"])
    async def series_extent(who: Who, uid: str, path: str = Query(min_length=1)) -> Response:
        """The first and last step of a series (null when empty)."""
        await call(object_access, who, uid, "read")
        extent = await call(store.series_extent, uid, path)
        return WireResponse(None if extent is None else list(extent))

    # blobs and parts -------------------------------------------------------------------
    # Bytes are stored once by digest, but belong to the projects that uploaded them: a
    # token reads a digest only if it can read one of those projects, and gets the answer
    # of a missing digest otherwise (whether it exists elsewhere does not leak). Uploads
    # count against the project's storage limit.
    def readable_digest(who: Principal, digest: str) -> bool:
        if who.admin:
            return True
        holders = store.holders(digest)  # (a common file may have many: two queries, not N)
        return bool(holders) and not set(holders).isdisjoint(identity.visible_projects(who))

    @app.post(API + "/projects/{workspace}/{name}/blobs", tags=["blobs"])
    async def put_blob(who: Who, workspace: str, name: str, request: Request) -> Response:
        """Store the body's bytes for the project; answers their SHA-256 digest."""
        project = f"{workspace}/{name}"
        await call(writable_project, who, project)
        data = wire.decompress(await request.body(), request.headers.get("content-encoding"))
        digest = await call(store.put_blob, data, project=project)
        return WireResponse({"digest": digest, "size": len(data)})

    @app.get(API + "/blobs/{digest}", tags=["blobs"])
    async def read_blob(who: Who, digest: str) -> Response:
        """The bytes of a blob of a project the token can read (streamed from the blob store)."""
        check_digest(digest)
        if not await call(readable_digest, who, digest) or not await call(
            store.blobs.exists, digest
        ):
            raise ContentNotFound(f"the file {digest} is missing from the server")
        chunks = await call(store.blobs.chunks, digest)
        return StreamingResponse(chunks, media_type="application/octet-stream")

    @app.post(API + "/projects/{workspace}/{name}/parts", tags=["checkpoints"])
    async def put_parts(who: Who, workspace: str, name: str, spec: PartsRequest) -> Response:
        """Store checkpoint parts for the project; answers how many it did not hold."""
        project = f"{workspace}/{name}"
        await call(writable_project, who, project)
        parts = {digest: wire.unbase64(data) for digest, data in spec.parts.items()}
        for digest, data in parts.items():  # content-addressed: a digest names its bytes
            if hashlib.sha256(data).hexdigest() != digest:
                raise InvalidValue(f"part {digest[:64]!r} is not the SHA-256 of its bytes")
        return WireResponse({"stored": await call(store.put_parts, parts, project=project)})

    @app.post(API + "/projects/{workspace}/{name}/parts/missing", tags=["checkpoints"])
    async def missing_parts(who: Who, workspace: str, name: str, spec: DigestsRequest) -> Response:
        """Which of the digests the project does not hold."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "read")
        missing = await call(store.missing_parts, spec.digests, project=project)
        return WireResponse({"missing": sorted(missing)})

    @app.post(API + "/projects/{workspace}/{name}/parts/get", tags=["checkpoints"])
    async def get_parts(who: Who, workspace: str, name: str, spec: DigestsRequest) -> Response:
        """The project's parts with these digests (base64)."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "read")
        missing = await call(store.missing_parts, spec.digests, project=project)
        if missing:
            raise ContentNotFound(
                f"{len(missing)} part(s) are missing from the server, e.g. "
                f"{sorted(missing)[0][:64]!r}"
            )
        found = await call(store.get_parts, spec.digests, project=project)
        return WireResponse(
            {"parts": {d: base64.b64encode(data).decode() for d, data in found.items()}}
        )

    # checkpoints -----------------------------------------------------------------------
    @app.post(API + "/projects/{workspace}/{name}/checkpoints", tags=["checkpoints"])
    async def add_checkpoint(
        who: Who, workspace: str, name: str, spec: CheckpointRequest
    ) -> Response:
        """Record a checkpoint whose parts are stored."""
        project = f"{workspace}/{name}"
        await call(writable_project, who, project)
        info = await call(
            store.add_checkpoint,
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

    @app.get(API + "/projects/{workspace}/{name}/checkpoints/{checkpoint_id}", tags=["checkpoints"])
    async def get_checkpoint(who: Who, workspace: str, name: str, checkpoint_id: str) -> Response:
        """A checkpoint by id or unique id prefix."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "read")
        return WireResponse(
            wire.encode_checkpoint(await call(store.get_checkpoint, project, checkpoint_id))
        )

    @app.get(API + "/projects/{workspace}/{name}/notebooks", tags=["checkpoints"])
    async def list_notebooks(who: Who, workspace: str, name: str) -> Response:
        """The notebooks of the project that have checkpoints."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "read")
        return WireResponse(
            [wire.encode_notebook(n) for n in await call(store.list_notebooks, project)]
        )

    @app.get(API + "/projects/{workspace}/{name}/notebooks/{notebook_id}", tags=["checkpoints"])
    async def get_notebook(who: Who, workspace: str, name: str, notebook_id: str) -> Response:
        """One notebook of the project (null when it has no checkpoint)."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "read")
        found = await call(store.get_notebook, project, notebook_id)
        return WireResponse(None if found is None else wire.encode_notebook(found))

    @app.get(
        API + "/projects/{workspace}/{name}/notebooks/{notebook_id}/checkpoints",
        tags=["checkpoints"],
    )
    async def list_checkpoints(who: Who, workspace: str, name: str, notebook_id: str) -> Response:
        """The checkpoints of a notebook, newest first."""
        project = f"{workspace}/{name}"
        await call(identity.check, who, project, "read")
        found = await call(store.list_checkpoints, project, notebook_id)
        return WireResponse([wire.encode_checkpoint(c) for c in found])

    return app


def check_digest(digest: str) -> None:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InvalidValue(f"{digest!r} is not a SHA-256 hex digest")
