"""The HTTP store: the Store interface over a nepnb tracking server.

It only serializes (nepnb.store.wire, the module the server uses too) and retries:
- one ``httpx.Client`` per store keeps connections open between requests (a new one in a
  forked child);
- a batch is one request, gzip-compressed when large;
- requests that failed on the way (connection refused or reset, timeouts, 502/503/504)
  are retried with exponential back-off and jitter for up to ``retry_for`` seconds, then
  raise :class:`~nepnb.exceptions.ServerUnavailable`. Retrying is safe: a batch carries
  its id (the server stores it once), a new object its uid (chosen here), blobs and parts
  their digest; a checkpoint, which has none, is retried only if it was never sent;
- errors the server answers come back as the class of their code
  (:func:`nepnb.exceptions.error_from_payload`).
"""

from __future__ import annotations

import base64
import json
import os
import random
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

from nepnb.exceptions import InvalidToken, MissingField, ServerUnavailable, error_from_payload
from nepnb.store import wire
from nepnb.store.applier import new_uid
from nepnb.store.base import (
    ApplyResult,
    CheckpointInfo,
    FieldInfo,
    NotebookInfo,
    ObjectInfo,
    ObjectKind,
    ProjectInfo,
    SeriesData,
    Store,
    TrashUsage,
    object_ids,
    validate_project_name,
)
from nepnb.store.blobs import file_digest
from nepnb.store.downsample import SeriesBuckets
from nepnb.store.operations import Batch

#: How long requests are retried while the server does not answer (seconds).
RETRY_ENV = "NEPNB_HTTP_RETRY_SECONDS"
DEFAULT_RETRY_FOR = 20.0
_RETRY_STATUSES = {502, 503, 504}


def encode_token(api_url: str, api_key: str) -> str:
    """The API token users set as NEPTUNE_API_TOKEN."""
    data = {"api_address": api_url, "api_url": api_url, "api_key": api_key}
    return base64.b64encode(json.dumps(data).encode()).decode()


def decode_token(token: str) -> tuple[str, str]:
    """(server URL, key) of an API token; InvalidToken if it is not one."""
    try:
        data = json.loads(base64.b64decode(token.strip() + "=" * (-len(token.strip()) % 4)))
        url = str(data.get("api_url") or data.get("api_address") or "")
        key = str(data.get("api_key") or "")
    except (ValueError, TypeError, AttributeError):
        url = key = ""
    if not url or not key:
        raise InvalidToken(
            "the API token is not a nepnb token (base64 JSON with api_address and api_key). "
            "Copy it again from `nepnb admin token create`, or unset NEPTUNE_API_TOKEN to use "
            "the local store."
        )
    return url.rstrip("/"), key


class HTTPStore(Store):
    """The store of the tracking server at ``api_url``, reached with ``api_key``."""

    kind = "http"
    remote = True

    def __init__(
        self,
        api_url: str,
        api_key: str,
        *,
        timeout: float = 60.0,
        retry_for: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout
        configured = os.environ.get(RETRY_ENV)
        self.retry_for = (
            retry_for
            if retry_for is not None
            else float(configured)
            if configured
            else DEFAULT_RETRY_FOR
        )
        self._transport = transport
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._pid = os.getpid()

    @property
    def location(self) -> str:
        return self.api_url

    def __repr__(self) -> str:
        return f"HTTPStore({self.api_url!r})"

    # requests --------------------------------------------------------------------------
    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                from nepnb import __version__

                self._pid = os.getpid()
                self._client = httpx.Client(
                    base_url=f"{self.api_url}/api/v1",
                    headers={
                        "Authorization": f"Bearer {self._api_key}",
                        "User-Agent": f"nepnb/{__version__}",
                    },
                    timeout=httpx.Timeout(self._timeout, connect=5.0),
                    limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
                    transport=self._transport,
                )
            return self._client

    def _request(
        self,
        method: str,
        path: str,
        *,
        data: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """The server's answer to a request, retried while the server does not answer.
        ``data``: JSON, compressed when large; ``content``: bytes sent as they are, with
        ``headers``."""
        if data is not None:
            content, headers = wire.compress(wire.dumps(data))
            headers["Content-Type"] = "application/json"
        if params:
            params = {k: v for k, v in params.items() if v is not None}
        deadline = time.monotonic() + self.retry_for
        delay = 0.1
        while True:
            try:
                response = self._http().request(
                    method, path, content=content, params=params, headers=headers
                )
            except httpx.TransportError as error:
                sent = not isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
                if sent and not idempotent:
                    raise self._unavailable(error) from None
                problem: Any = error
            else:
                if response.status_code not in _RETRY_STATUSES:
                    if response.status_code >= 400:
                        raise _error(response)
                    return response
                problem = response
                if not idempotent:
                    raise _error(response)
            if time.monotonic() + delay > deadline:
                raise self._unavailable(problem)
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 5.0)

    def _unavailable(self, problem: Any) -> ServerUnavailable:
        if isinstance(problem, httpx.Response):
            said = _error(problem)
            if isinstance(said, ServerUnavailable):  # it answered why: say that
                return type(said)(f"{self.api_url}: {said}")
            problem = f"HTTP {problem.status_code}"
        return ServerUnavailable(
            f"the tracking server {self.api_url} did not answer ({problem}). Is it running and "
            "reachable? Writes in async and offline mode stay queued on disk; `nepnb sync` "
            "uploads them later."
        )

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return wire.loads(self._request(method, path, **kwargs).content)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # projects ------------------------------------------------------------------------
    def whoami(self) -> dict[str, Any]:
        """The token's account and the projects it can reach."""
        return self._json("GET", "/whoami")

    def get_project(self, name: str, *, create: bool = False) -> ProjectInfo:
        validate_project_name(name)
        found = self._json("GET", f"/projects/{name}", params={"create": create or None})
        return ProjectInfo(found["name"], found["key"])

    def list_projects(self) -> list[ProjectInfo]:
        return [ProjectInfo(p["name"], p["key"]) for p in self._json("GET", "/projects")]

    def create_project(self, name: str, *, key: str | None = None) -> ProjectInfo:
        return self.create_project_with(name, key=key)

    def create_project_with(
        self,
        name: str,
        *,
        key: str | None = None,
        visibility: str = "private",
        description: str | None = None,
    ) -> ProjectInfo:
        """A new project on the server (its admins only), with a visibility and description."""
        validate_project_name(name)
        spec = {"name": name, "key": key, "visibility": visibility, "description": description}
        found = self._json("POST", "/projects", data=spec, idempotent=False)
        return ProjectInfo(found["name"], found["key"])

    def delete_project(self, name: str) -> None:
        validate_project_name(name)
        self._request("DELETE", f"/projects/{name}", idempotent=False)

    def project_members(self, project: str, *, kind: str = "user") -> dict[str, str]:
        """The users (``kind="service"``: service accounts) of ``project`` and their roles."""
        validate_project_name(project)
        return dict(self._json("GET", f"/projects/{project}/members", params={"kind": kind}))

    def add_project_member(
        self, project: str, account: str, role: str, *, kind: str = "user"
    ) -> None:
        validate_project_name(project)
        spec = {"role": role, "kind": kind}
        self._request("PUT", f"/projects/{project}/members/{account}", data=spec)

    def remove_project_member(self, project: str, account: str, *, kind: str = "user") -> None:
        validate_project_name(project)
        self._request("DELETE", f"/projects/{project}/members/{account}", params={"kind": kind})

    def workspace_members(self, workspace: str) -> dict[str, str]:
        """The users of ``workspace``: name -> "admin" or "member"."""
        return dict(self._json("GET", f"/workspaces/{workspace}/members"))

    # objects -------------------------------------------------------------------------
    def create_object(
        self,
        project: str,
        kind: ObjectKind,
        *,
        custom_run_id: str | None = None,
        model_key: str | None = None,
        model_id: str | None = None,
        initial: Batch | None = None,
        uid: str | None = None,
    ) -> ObjectInfo:
        """See ``Store.create_object``; ``uid`` (chosen here when not given) makes a retried
        creation return the object the first attempt made."""
        validate_project_name(project)
        spec = {
            "kind": kind.value,
            "custom_run_id": custom_run_id,
            "model_key": model_key,
            "model_id": model_id,
            "uid": uid or new_uid(),
            "initial": None if initial is None else wire.encode_batch(initial),
        }
        return wire.decode_object(self._json("POST", f"/projects/{project}/objects", data=spec))

    def find_object(
        self, project: str, *, sys_id: str | None = None, custom_run_id: str | None = None
    ) -> ObjectInfo:
        validate_project_name(project)
        if sys_id is None and custom_run_id is None:
            raise ValueError("find_object needs sys_id or custom_run_id")
        params = {"sys_id": sys_id, "custom_run_id": None if sys_id else custom_run_id}
        return wire.decode_object(self._json("GET", f"/projects/{project}/find", params=params))

    def get_object(self, uid: str) -> ObjectInfo:
        return wire.decode_object(self._json("GET", f"/objects/{uid}"))

    def list_objects(
        self, project: str, kind: ObjectKind, *, model_id: str | None = None
    ) -> list[ObjectInfo]:
        validate_project_name(project)
        params = {"kind": kind.value, "model_id": model_id}
        found = self._json("GET", f"/projects/{project}/objects", params=params)
        return [wire.decode_object(item) for item in found]

    # trash ---------------------------------------------------------------------------
    def _trash_call(self, method: str, project: str, action: str, ids: Any = None) -> Any:
        validate_project_name(project)
        data = None if ids is None else {"ids": object_ids(ids)}
        # A deletion sent and lost is not sent again: its retry would report the objects
        # as unknown, having deleted them.
        idempotent = action != "/delete" and method != "DELETE"
        found = self._json(
            method, f"/projects/{project}/trash{action}", data=data, idempotent=idempotent
        )
        return [wire.decode_object(item) for item in found]

    def list_trash(self, project: str) -> list[ObjectInfo]:
        return self._trash_call("GET", project, "")  # type: ignore[no-any-return]

    def trash_usage(self, project: str) -> TrashUsage | None:
        validate_project_name(project)
        found = self._json("GET", f"/projects/{project}/trash/usage")
        return TrashUsage(dict(found["each"]), int(found["total"]))

    def trash_objects(self, project: str, ids: str | Iterable[str]) -> list[ObjectInfo]:
        return self._trash_call("POST", project, "", ids)  # type: ignore[no-any-return]

    def restore_objects(self, project: str, ids: str | Iterable[str]) -> list[ObjectInfo]:
        return self._trash_call("POST", project, "/restore", ids)  # type: ignore[no-any-return]

    def delete_objects_from_trash(self, project: str, ids: str | Iterable[str]) -> list[ObjectInfo]:
        return self._trash_call("POST", project, "/delete", ids)  # type: ignore[no-any-return]

    def clear_trash(self, project: str) -> list[ObjectInfo]:
        return self._trash_call("DELETE", project, "")  # type: ignore[no-any-return]

    # fields --------------------------------------------------------------------------
    def apply(self, uid: str, batch: Batch) -> ApplyResult:
        body, headers = wire.encode_batch_body(batch)
        answer = self._json("POST", f"/objects/{uid}/batches", content=body, headers=headers)
        return wire.decode_apply_result(answer)

    def get_fields_of(
        self,
        uids: Iterable[str],
        paths: Iterable[str] | None = None,
        *,
        prefix: str | None = None,
        sizes: bool = True,
    ) -> Mapping[str, dict[str, FieldInfo]]:
        spec = {
            "uids": list(uids),
            "paths": None if paths is None else list(paths),
            "prefix": prefix,
            "sizes": sizes,
        }
        found = self._json("POST", "/fields", data=spec)
        return {uid: wire.decode_fields(fields) for uid, fields in found.items()}

    def read_series(self, uid: str, path: str) -> SeriesData:
        response = self._request("GET", f"/objects/{uid}/series", params={"path": path})
        return wire.decode_series(response.content)

    def read_series_buckets(
        self,
        uid: str,
        path: str,
        *,
        buckets: int,
        x_axis: str = "step",
        start: float | None = None,
        end: float | None = None,
    ) -> SeriesBuckets:
        params = {"path": path, "buckets": buckets, "x_axis": x_axis, "start": start, "end": end}
        return wire.decode_buckets(self._json("GET", f"/objects/{uid}/buckets", params=params))

    def series_extent(self, uid: str, path: str) -> tuple[float, float] | None:
        found = self._json("GET", f"/objects/{uid}/extent", params={"path": path})
        if found is None:
            return None
        return float(found[0]), float(found[1])

    # blobs ---------------------------------------------------------------------------
    def put_blob(self, data: bytes, *, project: str | None = None) -> str:
        return str(self._json("POST", f"{_scope(project)}/blobs", content=data)["digest"])

    def put_blob_file(self, source: Path, *, project: str | None = None) -> tuple[str, int]:
        digest, size = file_digest(source)
        stored = self._json("POST", f"{_scope(project)}/blobs", content=Path(source).read_bytes())
        if stored["digest"] != digest:  # the file changed while it was read
            return str(stored["digest"]), int(stored["size"])
        return digest, size

    def read_blob(self, digest: str) -> bytes:
        return self._request("GET", f"/blobs/{digest}").content

    def copy_blob_to(self, digest: str, destination: Path) -> None:
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(self.read_blob(digest))

    # notebook checkpoints -------------------------------------------------------------
    def put_parts(self, parts: Mapping[str, bytes], *, project: str | None = None) -> int:
        if not parts:
            return 0
        missing = self.missing_parts(parts, project=project)
        if not missing:
            return 0
        encoded = {d: base64.b64encode(parts[d]).decode() for d in missing}
        answer = self._json("POST", f"{_scope(project)}/parts", data={"parts": encoded})
        return int(answer["stored"])

    def missing_parts(self, digests: Iterable[str], *, project: str | None = None) -> set[str]:
        found = self._json(
            "POST", f"{_scope(project)}/parts/missing", data={"digests": sorted(set(digests))}
        )
        return set(found["missing"])

    def get_parts(self, digests: Iterable[str], *, project: str | None = None) -> dict[str, bytes]:
        found = self._json(
            "POST", f"{_scope(project)}/parts/get", data={"digests": sorted(set(digests))}
        )
        return {d: base64.b64decode(data) for d, data in found["parts"].items()}

    def add_checkpoint(
        self,
        project: str,
        notebook_id: str,
        *,
        path: str,
        summary: str,
        body: str,
        author: str,
        manifest: str,
        runs: Iterable[str] = (),
        stats: Mapping[str, Any] | None = None,
    ) -> CheckpointInfo:
        validate_project_name(project)
        spec = {
            "notebook_id": notebook_id,
            "path": path,
            "summary": summary,
            "body": body,
            "author": author,
            "manifest": manifest,
            "runs": list(runs),
            "stats": dict(stats or {}),
        }
        answer = self._json("POST", f"/projects/{project}/checkpoints", data=spec, idempotent=False)
        return wire.decode_checkpoint(answer)

    def list_checkpoints(self, project: str, notebook_id: str) -> list[CheckpointInfo]:
        validate_project_name(project)
        found = self._json("GET", f"/projects/{project}/notebooks/{notebook_id}/checkpoints")
        return [wire.decode_checkpoint(item) for item in found]

    def get_checkpoint(self, project: str, checkpoint_id: str) -> CheckpointInfo:
        validate_project_name(project)
        found = self._json("GET", f"/projects/{project}/checkpoints/{checkpoint_id}")
        return wire.decode_checkpoint(found)

    def list_notebooks(self, project: str) -> list[NotebookInfo]:
        validate_project_name(project)
        found = self._json("GET", f"/projects/{project}/notebooks")
        return [wire.decode_notebook(item) for item in found]

    def get_notebook(self, project: str, notebook_id: str) -> NotebookInfo | None:
        validate_project_name(project)
        found = self._json("GET", f"/projects/{project}/notebooks/{notebook_id}")
        return None if found is None else wire.decode_notebook(found)


def _scope(project: str | None) -> str:
    """The path of the project that blobs and parts are stored for (the server keeps them
    per project: it checks the token's access and counts them against the storage limit)."""
    if project is None:
        raise ValueError("the tracking server stores files for a project: pass project=")
    return f"/projects/{validate_project_name(project)}"


def _error(response: httpx.Response) -> Exception:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    error = error_from_payload(response.status_code, payload)
    if isinstance(error, MissingField):
        error.path = str(response.request.url.params.get("path", ""))
    return error
