"""The tracking server's blobs and parts routes."""

from __future__ import annotations

import base64
import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from nepnb.exceptions import (
    ContentNotFound,
    InvalidValue,
)
from nepnb.server.api import (
    API,
    DigestsRequest,
    PartsRequest,
    Svc,
    Who,
    WireResponse,
    check_digest,
)
from nepnb.store import wire

router = APIRouter(prefix=API)


# Bytes are stored once by digest, but belong to the projects that uploaded them: a
# token reads a digest only if it can read one of those projects, and gets the answer
# of a missing digest otherwise (whether it exists elsewhere does not leak). Uploads
# count against the project's storage limit.


@router.post("/projects/{workspace}/{name}/blobs", tags=["blobs"])
async def put_blob(s: Svc, who: Who, workspace: str, name: str, request: Request) -> Response:
    """Store the body's bytes for the project; answers their SHA-256 digest."""
    project = f"{workspace}/{name}"
    await s.call(s.writable_project, who, project)
    data = wire.decompress(await request.body(), request.headers.get("content-encoding"))
    digest = await s.call(s.store.put_blob, data, project=project)
    return WireResponse({"digest": digest, "size": len(data)})


@router.get("/blobs/{digest}", tags=["blobs"])
async def read_blob(s: Svc, who: Who, digest: str) -> Response:
    """The bytes of a blob of a project the token can read (streamed from the blob store)."""
    check_digest(digest)
    if not await s.call(s.readable_digest, who, digest) or not await s.call(
        s.store.blobs.exists, digest
    ):
        raise ContentNotFound(f"the file {digest} is missing from the server")
    chunks = await s.call(s.store.blobs.chunks, digest)
    return StreamingResponse(chunks, media_type="application/octet-stream")


@router.post("/projects/{workspace}/{name}/parts", tags=["checkpoints"])
async def put_parts(s: Svc, who: Who, workspace: str, name: str, spec: PartsRequest) -> Response:
    """Store checkpoint parts for the project; answers how many it did not hold."""
    project = f"{workspace}/{name}"
    await s.call(s.writable_project, who, project)
    parts = {digest: wire.unbase64(data) for digest, data in spec.parts.items()}
    for digest, data in parts.items():  # content-addressed: a digest names its bytes
        if hashlib.sha256(data).hexdigest() != digest:
            raise InvalidValue(f"part {digest[:64]!r} is not the SHA-256 of its bytes")
    return WireResponse({"stored": await s.call(s.store.put_parts, parts, project=project)})


@router.post("/projects/{workspace}/{name}/parts/missing", tags=["checkpoints"])
async def missing_parts(
    s: Svc, who: Who, workspace: str, name: str, spec: DigestsRequest
) -> Response:
    """Which of the digests the project does not hold."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "read")
    missing = await s.call(s.store.missing_parts, spec.digests, project=project)
    return WireResponse({"missing": sorted(missing)})


@router.post("/projects/{workspace}/{name}/parts/get", tags=["checkpoints"])
async def get_parts(s: Svc, who: Who, workspace: str, name: str, spec: DigestsRequest) -> Response:
    """The project's parts with these digests (base64)."""
    project = f"{workspace}/{name}"
    await s.call(s.identity.check, who, project, "read")
    missing = await s.call(s.store.missing_parts, spec.digests, project=project)
    if missing:
        raise ContentNotFound(
            f"{len(missing)} part(s) are missing from the server, e.g. {sorted(missing)[0][:64]!r}"
        )
    found = await s.call(s.store.get_parts, spec.digests, project=project)
    return WireResponse(
        {"parts": {d: base64.b64encode(data).decode() for d, data in found.items()}}
    )
