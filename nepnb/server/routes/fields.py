"""The tracking server's fields routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from nepnb.exceptions import (
    MissingField,
)
from nepnb.server.api import (
    API,
    BATCH_BODY,
    FieldsRequest,
    Svc,
    Who,
    WireResponse,
)
from nepnb.store import wire

router = APIRouter(prefix=API)


@router.post("/objects/{uid}/batches", tags=["fields"], openapi_extra=BATCH_BODY)
async def apply(s: Svc, who: Who, uid: str, request: Request) -> Response:
    """Apply a batch of operations; a batch id applied before is not applied again."""
    if request.headers.get("content-type", "").startswith(wire.BATCH_MEDIA_TYPE):
        batch = wire.decode_batch_body(await s.raw_body(request))
    else:
        batch = wire.decode_batch(await s.body_of(request))

    def checked_apply() -> Any:
        s.object_access(who, uid, "write")
        return s.store.apply(uid, batch)

    return WireResponse(wire.encode_apply_result(await s.call(checked_apply)))


@router.post("/fields", tags=["fields"])
async def get_fields(s: Svc, who: Who, spec: FieldsRequest) -> Response:
    """Fields of several objects."""
    for uid in set(spec.uids):
        await s.call(s.object_access, who, uid, "read")
    found = await s.call(
        s.store.get_fields_of, spec.uids, spec.paths, prefix=spec.prefix, sizes=spec.sizes
    )
    return WireResponse({uid: wire.encode_fields(fields) for uid, fields in found.items()})


@router.get("/objects/{uid}/series", tags=["fields"])
async def read_series(s: Svc, who: Who, uid: str, path: str = Query(min_length=1)) -> Response:
    """Every point of a series, as binary (see nepnb.store.wire.encode_series)."""
    await s.call(s.object_access, who, uid, "read")

    def read() -> bytes:
        data = s.store.read_series(uid, path)  # MissingField if there is no such series
        info = s.store.get_fields(uid, [path]).get(path)
        if info is None:  # deleted meanwhile
            raise MissingField(path)
        return wire.encode_series(data, info.type)

    return Response(await s.call(read), media_type=wire.SERIES_MEDIA_TYPE)


@router.get("/objects/{uid}/buckets", tags=["fields"])
async def read_buckets(
    s: Svc,
    who: Who,
    uid: str,
    path: str = Query(min_length=1),
    buckets: int = 1000,
    x_axis: str = "step",
    start: float | None = None,
    end: float | None = None,
) -> Response:
    """A float series downsampled to buckets (min, max, last per bucket)."""
    await s.call(s.object_access, who, uid, "read")
    found = await s.call(
        s.store.read_series_buckets,
        uid,
        path,
        buckets=buckets,
        x_axis=x_axis,
        start=start,
        end=end,
    )
    return WireResponse(wire.encode_buckets(found))


@router.get("/objects/{uid}/extent", tags=["fields"])
async def series_extent(s: Svc, who: Who, uid: str, path: str = Query(min_length=1)) -> Response:
    """The first and last step of a series (null when empty)."""
    await s.call(s.object_access, who, uid, "read")
    extent = await s.call(s.store.series_extent, uid, path)
    return WireResponse(None if extent is None else list(extent))
