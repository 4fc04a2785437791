"""How store data travels between the HTTP store and the tracking server.

One module for both ends, so that what one writes the other reads. Batches and most
replies are JSON (NaN and ±Infinity included, as Python writes them); the float64 arrays of
series points are base64 of their raw bytes, so that a million points cost one copy, not a
million numbers. A whole series travels as binary (``encode_series``): a length-prefixed
JSON header, then the arrays.
"""

from __future__ import annotations

import base64
import gzip
import json
import struct
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np

from nepnb.exceptions import InvalidValue, RejectedOperation
from nepnb.store.base import (
    ApplyResult,
    CheckpointInfo,
    FieldInfo,
    NotebookInfo,
    ObjectInfo,
    ObjectKind,
    SeriesData,
)
from nepnb.store.downsample import SeriesBuckets
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints

#: Bodies larger than this are sent gzip-compressed.
COMPRESS_OVER = 16_384
SERIES_MEDIA_TYPE = "application/x-nepnb-series"
BATCH_MEDIA_TYPE = "application/x-nepnb-batch"
_HEADER = struct.Struct("<I")


def dumps(data: Any) -> bytes:
    """JSON bytes (NaN and Infinity allowed: both ends are nepnb)."""
    return json.dumps(data, separators=(",", ":"), allow_nan=True).encode()


def loads(raw: bytes | str) -> Any:
    """Parsed JSON; InvalidValue when it is not JSON."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidValue(f"the request body is not JSON: {error}") from None


def compress(body: bytes) -> tuple[bytes, dict[str, str]]:
    """``body`` gzip-compressed when large, and the headers that say so."""
    if len(body) < COMPRESS_OVER:
        return body, {}
    return gzip.compress(body, compresslevel=1), {"Content-Encoding": "gzip"}


def decompress(body: bytes, encoding: str | None) -> bytes:
    """The body as sent before compression."""
    if not encoding or encoding == "identity":
        return body
    if encoding != "gzip":
        raise InvalidValue(f"unsupported Content-Encoding {encoding!r}: send gzip or nothing")
    try:
        return gzip.decompress(body)
    except (OSError, EOFError) as error:
        raise InvalidValue(f"the gzip body could not be read: {error}") from None


def _array(values: Any) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype=np.float64).tobytes()).decode()


def unbase64(text: Any) -> bytes:
    """The bytes of base64 ``text``; InvalidValue if it is not base64."""
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise InvalidValue(f"not base64: {str(text)[:40]!r}") from None


def _unarray(text: Any) -> np.ndarray:
    raw = unbase64(text)
    if len(raw) % 8:
        raise InvalidValue("malformed batch: an array's length is not a multiple of 8 bytes")
    return np.frombuffer(raw, dtype=np.float64)


# batches ----------------------------------------------------------------------------------
def encode_batch(batch: Batch) -> dict[str, Any]:
    """A batch as JSON data (arrays as base64): for a batch inside a JSON request."""
    return {
        "batch_id": batch.batch_id,
        "operations": [_encode_op(op, _array) for op in batch.operations],
    }


def encode_batch_body(batch: Batch) -> tuple[bytes, dict[str, str]]:
    """A batch as a request body of its own (``BATCH_MEDIA_TYPE``): header length, a JSON
    header whose arrays are ``[offset, count]`` of float64s in the binary part that follows.
    Raw floats hardly compress: the body is gzipped only when its JSON is large."""
    parts: list[bytes] = []
    offset = 0

    def put(values: Any) -> list[int]:
        nonlocal offset
        raw = np.ascontiguousarray(values, dtype=np.float64).tobytes()
        parts.append(raw)
        offset += len(raw)
        return [offset - len(raw), len(raw) // 8]

    header = dumps(
        {
            "batch_id": batch.batch_id,
            "operations": [_encode_op(op, put) for op in batch.operations],
        }
    )
    body = b"".join((_HEADER.pack(len(header)), header, *parts))
    headers = {"Content-Type": BATCH_MEDIA_TYPE}
    if len(header) >= COMPRESS_OVER:
        body, compressed = compress(body)
        headers.update(compressed)
    return body, headers


def decode_batch_body(raw: bytes) -> Batch:
    """The batch of ``encode_batch_body``; InvalidValue if it is malformed."""
    try:
        (length,) = _HEADER.unpack_from(raw)
        header = loads(raw[_HEADER.size : _HEADER.size + length])
        binary = memoryview(raw)[_HEADER.size + length :]
    except struct.error:
        raise InvalidValue("malformed batch: the body is too short") from None

    def take(ref: Any) -> np.ndarray:
        start, count = int(ref[0]), int(ref[1])
        if start < 0 or count < 0 or start + 8 * count > len(binary):
            raise InvalidValue("malformed batch: an array lies outside the body")
        return np.frombuffer(binary, dtype=np.float64, count=count, offset=start)

    return _decode_batch(header, take)


def decode_batch(data: Any) -> Batch:
    """The batch of ``encode_batch``'s data; InvalidValue if it is malformed."""
    return _decode_batch(data, _unarray)


def _encode_op(op: Operation, array: Callable[[Any], Any]) -> dict[str, Any]:
    encoded: dict[str, Any] = {"kind": op.kind.value, "path": op.path}
    if op.type is not None:
        encoded["type"] = op.type.value
    value = op.value
    if isinstance(value, SeriesPoints):
        floats = op.type is FieldType.FLOAT_SERIES
        encoded["points"] = {
            "steps": array(value.steps),
            "timestamps": array(value.timestamps),
            "values": array(value.values) if floats else list(value.values),
        }
    elif value is not None:
        encoded["value"] = value
    return encoded


def _decode_batch(data: Any, array: Callable[[Any], np.ndarray]) -> Batch:
    try:
        operations = [_decode_op(op, array) for op in data["operations"]]
        batch_id = str(data["batch_id"])
    except InvalidValue:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InvalidValue(f"malformed batch: {error!r}") from None
    if not 8 <= len(batch_id) <= 64:
        raise InvalidValue("malformed batch: batch_id must have 8 to 64 characters")
    return Batch(operations, batch_id=batch_id)


def _decode_op(data: dict[str, Any], array: Callable[[Any], np.ndarray]) -> Operation:
    kind = OpKind(data["kind"])
    ftype = FieldType(data["type"]) if data.get("type") is not None else None
    path = data["path"]
    if not isinstance(path, str) or not path:
        raise InvalidValue("malformed batch: an operation has no path")
    points = data.get("points")
    if points is not None:
        floats = ftype is FieldType.FLOAT_SERIES
        values = array(points["values"]) if floats else list(points["values"])
        value: Any = SeriesPoints(array(points["steps"]), values, array(points["timestamps"]))
    else:
        value = data.get("value")
    if kind is OpKind.LOG and not isinstance(value, SeriesPoints):
        raise InvalidValue(f"malformed batch: the log operation at {path!r} has no points")
    return Operation(kind, path, ftype, value)


# replies ----------------------------------------------------------------------------------
def encode_apply_result(result: ApplyResult) -> dict[str, Any]:
    return {
        "duplicate": result.duplicate,
        "rejected": [
            {"path": r.path, "reason": r.reason, "dropped": r.dropped} for r in result.rejected
        ],
    }


def decode_apply_result(data: dict[str, Any]) -> ApplyResult:
    rejected = [RejectedOperation(r["path"], r["reason"], r["dropped"]) for r in data["rejected"]]
    return ApplyResult(rejected, duplicate=data["duplicate"])


def encode_object(info: ObjectInfo) -> dict[str, Any]:
    return {
        "uid": info.uid,
        "project": info.project,
        "kind": info.kind.value,
        "sys_id": info.sys_id,
        "custom_run_id": info.custom_run_id,
        "created": info.created,
    }


def decode_object(data: dict[str, Any]) -> ObjectInfo:
    return ObjectInfo(
        data["uid"],
        data["project"],
        ObjectKind(data["kind"]),
        data["sys_id"],
        data.get("custom_run_id"),
        created=bool(data.get("created")),
    )


def encode_fields(fields: dict[str, FieldInfo]) -> dict[str, Any]:
    """Fields as ``{path: [type, value]}``; datetimes as epoch seconds."""
    return {
        path: [
            info.type.value,
            info.value.timestamp() if isinstance(info.value, datetime) else info.value,
        ]
        for path, info in fields.items()
    }


def decode_fields(data: dict[str, Any]) -> dict[str, FieldInfo]:
    from nepnb.store.applier import decode_value

    fields = {}
    for path, (ftype, value) in data.items():
        kind = FieldType(ftype)
        fields[path] = FieldInfo(path, kind, decode_value(kind, json.dumps(value)))
    return fields


def encode_series(data: SeriesData, ftype: FieldType) -> bytes:
    """A whole series as bytes: header length, JSON header, steps, timestamps, values."""
    floats = ftype is FieldType.FLOAT_SERIES
    values = (
        np.ascontiguousarray(data.values, dtype=np.float64).tobytes()
        if floats
        else dumps(list(data.values))
    )
    header = dumps({"points": len(data), "floats": floats})
    return b"".join(
        (
            _HEADER.pack(len(header)),
            header,
            np.ascontiguousarray(data.steps, dtype=np.float64).tobytes(),
            np.ascontiguousarray(data.timestamps, dtype=np.float64).tobytes(),
            values,
        )
    )


def decode_series(raw: bytes) -> SeriesData:
    (length,) = _HEADER.unpack_from(raw)
    header = json.loads(raw[_HEADER.size : _HEADER.size + length])
    n = header["points"]
    offset = _HEADER.size + length
    steps = np.frombuffer(raw, dtype=np.float64, count=n, offset=offset)
    times = np.frombuffer(raw, dtype=np.float64, count=n, offset=offset + 8 * n)
    rest = raw[offset + 16 * n :]
    values: Any = (
        np.frombuffer(rest, dtype=np.float64, count=n) if header["floats"] else json.loads(rest)
    )
    return SeriesData(steps, values, times)


def encode_buckets(buckets: SeriesBuckets) -> dict[str, Any]:
    return {
        "x": _array(buckets.x),
        "min": _array(buckets.min),
        "max": _array(buckets.max),
        "last": _array(buckets.last),
        "count": _array(buckets.count),
        "in_range": buckets.in_range,
        "total": buckets.total,
        "extent": None if buckets.extent is None else list(buckets.extent),
        "exact": buckets.exact,
    }


def decode_buckets(data: dict[str, Any]) -> SeriesBuckets:
    extent = data["extent"]
    return SeriesBuckets(
        x=_unarray(data["x"]),
        min=_unarray(data["min"]),
        max=_unarray(data["max"]),
        last=_unarray(data["last"]),
        count=_unarray(data["count"]).astype(np.int64),
        in_range=data["in_range"],
        total=data["total"],
        extent=None if extent is None else (float(extent[0]), float(extent[1])),
        exact=data["exact"],
    )


def encode_checkpoint(info: CheckpointInfo) -> dict[str, Any]:
    return {**info.to_json(), "manifest": info.manifest}


def decode_checkpoint(data: dict[str, Any]) -> CheckpointInfo:
    return CheckpointInfo(
        data["id"], data["project"], data["notebook_id"], data["seq"], data["parent_id"],
        data["path"], data["summary"], data["body"], data["author"], data["created"],
        data["manifest"], tuple(data["runs"]), dict(data["stats"]),
    )  # fmt: skip


def encode_notebook(info: NotebookInfo) -> dict[str, Any]:
    return {
        "project": info.project,
        "notebook_id": info.notebook_id,
        "path": info.path,
        "created": info.created,
        "updated": info.updated,
        "checkpoints": info.checkpoints,
    }


def decode_notebook(data: dict[str, Any]) -> NotebookInfo:
    return NotebookInfo(**data)
