"""The runs API of the server extension: the runs panel's table and details, chart data, and
the extension's settings (tracking server address and token).

The settings are stored by :mod:`nepnb.jupyter.settings`. The JSON shapes are those of ``labextension/src/tokens.ts`` (IRunsReply, IRunDetail,
ISeriesBuckets, IServerSettings). The work is done by the runs-table logic
(:func:`nepnb.client.table.fetch_table`, NQL queries included) and the store; the functions
at the top of this module are tornado-free, the handlers at the bottom only translate HTTP.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from nepnb.client.table import fetch_table, mark_abandoned, query_value
from nepnb.exceptions import InvalidValue, MissingField, NepnbError
from nepnb.identity import author
from nepnb.jupyter.base import API_PREFIX, NepnbAPIHandler, Routes
from nepnb.jupyter.settings import read_settings, update_settings
from nepnb.jupyter.stores import environment_token, tracking_server_error
from nepnb.sizes import human_size
from nepnb.store.base import FieldInfo, ObjectKind, Store, validate_project_name
from nepnb.store.field_types import FieldType

#: A JSON cell of the runs table (tokens.ts ``CellValue``).
CellValue = str | float | int | bool | None | list[str]

DEFAULT_LIMIT = 500
MAX_LIMIT = 10_000
DEFAULT_BUCKETS = 1_000


# -- values -------------------------------------------------------------------------------


def cell_value(info: FieldInfo | None) -> CellValue:
    """A field as the runs panel shows it: JSON scalars (non-finite floats as null),
    datetimes as ISO 8601, series as their last value, sets as sorted lists, files (and the
    files of a FileSet) as "name (size)"."""
    if info is None:
        return None
    ftype, value = query_value(info)
    if ftype is FieldType.FILE:
        return _file_label(_file_name(info.path, value), value)
    if ftype is FieldType.FILE_SET:
        return [_file_label(name, ref) for name, ref in sorted((value or {}).items())]
    if ftype is FieldType.FILE_SERIES:
        meta = info.value or {}
        step = meta.get("last_step")
        name = f"{int(step)}" if step is not None else info.path.rsplit("/", 1)[-1]
        return None if value is None else _file_label(_file_name(name, value), value)
    if ftype is FieldType.STRING_SET:
        return sorted(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _file_name(name: str, ref: Mapping[str, Any] | None) -> str:
    extension = (ref or {}).get("extension") or ""
    base = name.rsplit("/", 1)[-1]
    return f"{base}.{extension}" if extension else base


def _file_label(name: str, ref: Mapping[str, Any] | None) -> str:
    size = (ref or {}).get("size")
    return name if size is None else f"{name} ({human_size(int(size))})"


# -- the runs table and details --------------------------------------------------------------


def tags_query(query: str | None, tags: Sequence[str]) -> str | None:
    """``query`` AND "has each of ``tags``", as one NQL query (None if neither); ``query``
    as it is when there are no tags, so that a syntax error points into the user's text."""
    query = query if query and query.strip() else None
    if not tags:
        return query
    conditions = [f"(`sys/tags`:stringSet CONTAINS {_nql_string(tag)})" for tag in tags]
    return " AND ".join(([f"({query})"] if query else []) + conditions)


def _nql_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def list_runs(
    store: Store,
    project: str,
    *,
    query: str | None = None,
    columns: Sequence[str] = (),
    tags: Sequence[str] = (),
    limit: int = DEFAULT_LIMIT,
    sort_by: str = "sys/creation_time",
    ascending: bool = False,
) -> dict[str, Any]:
    """IRunsReply: the project's runs that match, sorted (newest first by default), cut to
    ``limit``; runs left running by a dead process are marked crashed first."""
    validate_project_name(project)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidValue(f"limit must be between 1 and {MAX_LIMIT:,}, not {limit}")
    table = fetch_table(
        store,
        project,
        ObjectKind.RUN,
        query=tags_query(query, tags),
        columns=["sys/id"],
        limit=limit + 1,
        sort_by=sort_by,
        ascending=ascending,
    )
    ids = [entry["sys/id"].get() for entry in table]
    uid_of = {o.sys_id: o.uid for o in store.list_objects(project, ObjectKind.RUN)}
    uids = [uid_of[sys_id] for sys_id in ids[:limit] if sys_id in uid_of]
    fields_of = store.get_fields_of(uids)
    rows = [fields_of.get(uid, {}) for uid in uids]
    paths = sorted({(path, info.type.value) for row in rows for path, info in row.items()})
    return {
        "project": project,
        "store": store.kind,
        "location": store.location,
        "runs": [run_row(row, columns) for row in rows],
        "paths": [{"path": path, "type": ftype} for path, ftype in paths],
        "truncated": len(ids) > limit,
    }


def run_row(fields: Mapping[str, FieldInfo], columns: Iterable[str]) -> dict[str, Any]:
    """IRunRow: a run's sys/ fields, and the ``columns`` asked for."""
    return {
        "id": cell_value(fields.get("sys/id")),
        "name": cell_value(fields.get("sys/name")) or "",
        "state": cell_value(fields.get("sys/state")) or "",
        "tags": cell_value(fields.get("sys/tags")) or [],
        "creation_time": cell_value(fields.get("sys/creation_time")) or "",
        "owner": cell_value(fields.get("sys/owner")) or "",
        "failed": bool(cell_value(fields.get("sys/failed"))),
        "crashed": bool(cell_value(fields.get("sys/crashed"))),
        "columns": {path: cell_value(fields.get(path)) for path in columns},
    }


def run_detail(store: Store, project: str, sys_id: str) -> dict[str, Any]:
    """IRunDetail: every field of a run with its type and value; series with their count and
    step range; files by name and size (never their content)."""
    validate_project_name(project)
    mark_abandoned(store, project)
    run = store.find_object(project, sys_id=sys_id)
    fields = store.get_fields(run.uid)
    entries = []
    for path in sorted(fields):
        info = fields[path]
        entry: dict[str, Any] = {
            "path": path,
            "type": info.type.value,
            "value": cell_value(info),
        }
        if info.type.is_series:
            meta = info.value or {}
            entry["count"] = int(meta.get("count") or 0)
            extent = store.series_extent(run.uid, path) if entry["count"] else None
            entry["first_step"] = None if extent is None else extent[0]
            entry["last_step"] = None if extent is None else extent[1]
        entries.append(entry)
    return {
        "project": project,
        "id": run.sys_id,
        "name": cell_value(fields.get("sys/name")) or "",
        "state": cell_value(fields.get("sys/state")) or "",
        "fields": entries,
    }


def series_buckets(
    store: Store,
    project: str,
    sys_id: str,
    path: str,
    *,
    buckets: int = DEFAULT_BUCKETS,
    x_axis: str = "step",
    start: float | None = None,
    end: float | None = None,
) -> dict[str, Any]:
    """ISeriesBuckets: the float series ``path`` of a run, downsampled for a chart."""
    validate_project_name(project)
    run = store.find_object(project, sys_id=sys_id)
    try:
        result = store.read_series_buckets(
            run.uid, path, buckets=buckets, x_axis=x_axis, start=start, end=end
        )
    except MissingField:
        raise MissingField(path, run.sys_id) from None
    return {"run": run.sys_id, "path": path, "x_axis": x_axis, **result.to_json()}


# -- settings -----------------------------------------------------------------------------


def public_settings(home: Path, project: str, store: Store) -> dict[str, Any]:
    """IServerSettings: what the extension uses; whether there is a token (in the settings, or
    else in the Jupyter server's environment), never the token.
    ``error``: why the store's projects could not be listed (a refused token, a server that
    does not answer), else null: the settings are stored and readable all the same."""
    settings = read_settings(home)
    try:
        projects, error = [p.name for p in store.list_projects()], None
    except NepnbError as failure:
        projects, error = [], str(tracking_server_error(failure, store) or failure)
    return {
        "project": project,
        "server_url": settings["server_url"],
        "has_token": settings["token"] is not None,
        "token_from_environment": settings["token"] is None and environment_token() is not None,
        "store": store.kind,
        "location": store.location,
        "author": author(home),
        "projects": projects,
        "error": error,
    }


# -- handlers -----------------------------------------------------------------------------

_RUN_ID = r"(?P<sys_id>[A-Za-z0-9][A-Za-z0-9_.-]{0,127})"


class _RunsAPIHandler(NepnbAPIHandler):
    """Query arguments of the runs API, checked: a wrong one is a 400 naming it."""

    def project(self) -> str:
        return self.get_query_argument("project", "") or self.nepnb["project"]

    def list_argument(self, name: str) -> list[str]:
        raw = ",".join(self.get_query_arguments(name))
        return [item.strip() for item in raw.split(",") if item.strip()]

    def int_argument(self, name: str, default: int) -> int:
        raw = self.get_query_argument(name, "").strip()
        if not raw:
            return default
        try:
            return int(raw)
        except ValueError:
            raise InvalidValue(f"?{name}= must be a whole number, not {raw!r}") from None

    def float_argument(self, name: str) -> float | None:
        raw = self.get_query_argument(name, "").strip()
        if not raw:
            return None
        try:
            return float(raw)
        except ValueError:
            raise InvalidValue(f"?{name}= must be a number, not {raw!r}") from None

    def bool_argument(self, name: str, default: bool) -> bool:
        raw = self.get_query_argument(name, "").strip().lower()
        if not raw:
            return default
        if raw not in ("1", "true", "0", "false"):
            raise InvalidValue(f"?{name}= must be true or false, not {raw!r}")
        return raw in ("1", "true")


class RunsHandler(_RunsAPIHandler):
    """``GET /runs?project=&query=&columns=a,b&tags=t1,t2&limit=500&sort=&ascending=``."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        work = partial(
            list_runs,
            self.store,
            self.project(),
            query=self.get_query_argument("query", "") or None,
            columns=self.list_argument("columns"),
            tags=self.list_argument("tags"),
            limit=self.int_argument("limit", DEFAULT_LIMIT),
            sort_by=self.get_query_argument("sort", "") or "sys/creation_time",
            ascending=self.bool_argument("ascending", False),
        )
        self.write_json(await self.in_thread(work))


class RunHandler(_RunsAPIHandler):
    """``GET /runs/<id>?project=``: every field of a run."""

    @web.authenticated
    @authorized
    async def get(self, sys_id: str) -> None:
        self.write_json(await self.in_thread(run_detail, self.store, self.project(), sys_id))


class SeriesHandler(_RunsAPIHandler):
    """``GET /runs/<id>/series?path=&buckets=1000&x=step|time&start=&end=``."""

    @web.authenticated
    @authorized
    async def get(self, sys_id: str) -> None:
        path = self.get_query_argument("path", "")
        if not path:
            raise InvalidValue("give the series to chart: ?path=metrics/loss")
        work = partial(
            series_buckets,
            self.store,
            self.project(),
            sys_id,
            path,
            buckets=self.int_argument("buckets", DEFAULT_BUCKETS),
            x_axis=self.get_query_argument("x", "") or "step",
            start=self.float_argument("start"),
            end=self.float_argument("end"),
        )
        self.write_json(await self.in_thread(work))


class SettingsHandler(_RunsAPIHandler):
    """``GET /settings``; ``PUT /settings`` with ``{"server_url"?: str, "token"?: str|null,
    "author"?: str|null}``."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(await self.in_thread(self._public))

    @web.authenticated
    @authorized
    async def put(self) -> None:
        changes = self.body()
        await self.in_thread(update_settings, self.nepnb["home"], changes)
        self.write_json(await self.in_thread(self._public))

    def _public(self) -> dict[str, Any]:
        return public_settings(self.nepnb["home"], self.nepnb["project"], self.store)


RUN_ROUTES: Routes = [
    (rf"/{API_PREFIX}/runs", RunsHandler),
    (rf"/{API_PREFIX}/runs/{_RUN_ID}", RunHandler),
    (rf"/{API_PREFIX}/runs/{_RUN_ID}/series", SeriesHandler),
    (rf"/{API_PREFIX}/settings", SettingsHandler),
]
