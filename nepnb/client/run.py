"""Run: one execution of training code, and ``init_run``."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from nepnb.client import hooks
from nepnb.client.config import CUSTOM_RUN_ID_ENV, MONITORING_NAMESPACE_ENV, resolve_settings
from nepnb.client.objects import Connection, NeptuneObject
from nepnb.client.opening import OpenRequest, assign, open_connection, owner
from nepnb.exceptions import InvalidValue
from nepnb.store.base import ObjectKind, Store
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Operation, OpKind

MAX_CUSTOM_RUN_ID_LENGTH = 128


class Run(NeptuneObject):
    """A tracked run: metrics, parameters, files and what nepnb captures on its own."""

    _kind_label = "run"

    def __init__(self, connection: Connection, autolog: dict[str, Any] | None = None) -> None:
        super().__init__(connection)
        self._started = time.monotonic()
        self._running_time_before = self._stored_running_time() if connection.resumed else 0.0
        self._autolog = None
        if autolog is not None and self._mode not in ("read-only",):
            from nepnb.client.autolog import AutoLogger

            self._autolog = AutoLogger(self, **autolog)
            self._autolog.start()

    @property
    def monitoring_namespace(self) -> str | None:
        """Where hardware metrics, stdout and stderr of this process go (``monitoring/<hash>``)."""
        return self._autolog.namespace if self._autolog is not None else None

    def _stored_running_time(self) -> float:
        """sys/running_time of a resumed run, so that it adds up over sessions."""
        if self._store is None or self._info is None:
            return 0.0
        info = self._store.get_fields(self._info.uid, ["sys/running_time"]).get("sys/running_time")
        value = info.value if info is not None else None
        return float(value) if isinstance(value, (int, float)) else 0.0

    def _on_exception(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._autolog is not None and self._autolog.traceback:
            self._autolog.log_exception(exc_type, exc, tb)

    def _before_stop(self) -> None:
        if self._mode == "read-only":
            return
        if self._autolog is not None:
            self._autolog.stop()
        running = self._running_time_before + time.monotonic() - self._started
        self._assign_internal("sys/state", FieldType.RUN_STATE, "inactive")
        self._assign_internal("sys/ping_time", FieldType.DATETIME, time.time())
        self._assign_internal("sys/running_time", FieldType.FLOAT, round(running, 3))


def _tags(tags: str | Iterable[str] | None) -> list[str]:
    if tags is None:
        return []
    items = [tags] if isinstance(tags, str) else list(tags)
    for tag in items:
        if not isinstance(tag, str):
            raise InvalidValue(f"tags are strings; {tag!r} is a {type(tag).__name__}")
    return sorted(set(items))


def init_run(
    with_id: str | None = None,
    *,
    project: str | None = None,
    api_token: str | None = None,
    custom_run_id: str | None = None,
    mode: str | None = None,
    name: str | None = None,
    description: str | None = None,
    tags: str | Iterable[str] | None = None,
    source_files: str | Iterable[str] | None = None,
    capture_stdout: bool | None = None,
    capture_stderr: bool | None = None,
    capture_hardware_metrics: bool | None = None,
    fail_on_exception: bool = True,
    monitoring_namespace: str | None = None,
    flush_period: float = 5,
    proxies: dict[str, str] | None = None,
    capture_traceback: bool = True,
    git_ref: Any = None,
    dependencies: str | os.PathLike[str] | None = None,
    async_lag_callback: Callable[[Run], None] | None = None,
    async_lag_threshold: float = 1800.0,
    async_no_progress_callback: Callable[[Run], None] | None = None,
    async_no_progress_threshold: float = 300.0,
    **kwargs: Any,
) -> Run:
    """Start a new run, or resume one with ``with_id`` (or an existing ``custom_run_id``).

    Everything goes to the embedded local store (``$NEPNB_HOME``) unless the mode says
    otherwise: ``async`` (default), ``sync``, ``offline``, ``debug`` or ``read-only``.
    """
    if kwargs:
        name_ = next(iter(kwargs))
        raise TypeError(f"init_run() got an unexpected keyword argument {name_!r}")
    settings = resolve_settings(project, api_token, mode)
    custom_run_id = custom_run_id or os.environ.get(CUSTOM_RUN_ID_ENV) or None
    if with_id is not None and custom_run_id is not None:
        raise InvalidValue(
            f"with_id={with_id!r} and custom_run_id={custom_run_id!r} (argument or "
            f"${CUSTOM_RUN_ID_ENV}) both name a run to resume; give only one"
        )
    if custom_run_id is not None and len(custom_run_id) > MAX_CUSTOM_RUN_ID_LENGTH:
        raise InvalidValue(
            f"custom_run_id has {len(custom_run_id)} characters; at most "
            f"{MAX_CUSTOM_RUN_ID_LENGTH} are allowed"
        )
    tag_list = _tags(tags)
    now = time.time()
    new_fields = [
        assign("sys/name", FieldType.STRING, name if name is not None else "Untitled"),
        assign("sys/description", FieldType.STRING, description or ""),
        assign("sys/tags", FieldType.STRING_SET, tag_list),
        assign("sys/group_tags", FieldType.STRING_SET, []),
        assign("sys/state", FieldType.RUN_STATE, "running"),
        assign("sys/failed", FieldType.BOOL, False),
        assign("sys/crashed", FieldType.BOOL, False),  # True: its process died while running
        assign("sys/trashed", FieldType.BOOL, False),
        assign("sys/owner", FieldType.STRING, owner()),
        assign("sys/ping_time", FieldType.DATETIME, now),
    ]
    if custom_run_id:
        new_fields.append(assign("sys/custom_run_id", FieldType.STRING, custom_run_id))
    resume_fields = [
        assign("sys/state", FieldType.RUN_STATE, "running"),
        assign("sys/ping_time", FieldType.DATETIME, now),
    ]
    if name is not None:
        resume_fields.append(assign("sys/name", FieldType.STRING, name))
    if description is not None:
        resume_fields.append(assign("sys/description", FieldType.STRING, description))
    if tag_list:
        resume_fields.append(Operation(OpKind.SET_ADD, "sys/tags", FieldType.STRING_SET, tag_list))
    request = OpenRequest(
        ObjectKind.RUN,
        settings,
        with_id=with_id,
        custom_run_id=custom_run_id,
        new_fields=new_fields,
        resume_fields=resume_fields,
        flush_period=flush_period,
        lag_callback=async_lag_callback,  # type: ignore[arg-type]
        lag_threshold=async_lag_threshold,
        no_progress_callback=async_no_progress_callback,  # type: ignore[arg-type]
        no_progress_threshold=async_no_progress_threshold,
    )
    connection = open_connection(request)
    autolog = None
    if settings.mode != "read-only":
        from nepnb.client.autolog import autolog_options

        autolog = autolog_options(
            resumed=connection.resumed,
            source_files=source_files,
            capture_stdout=capture_stdout,
            capture_stderr=capture_stderr,
            capture_hardware_metrics=capture_hardware_metrics,
            capture_traceback=capture_traceback,
            fail_on_exception=fail_on_exception,
            monitoring_namespace=monitoring_namespace or os.environ.get(MONITORING_NAMESPACE_ENV),
            git_ref=git_ref,
            dependencies=dependencies,
        )
    run = Run(connection, autolog)
    _announce(run)
    if settings.mode != "read-only":
        hooks.run_opened(run)  # in a notebook: cell capture and a linked checkpoint
    return run


def store_phrase(store: Store | None) -> str:
    """Where a run is stored, for its announcement: "local store PATH" or "tracking server URL"."""
    if store is None:
        return "?"
    kind = "tracking server" if store.remote else "local store"
    return f"{kind} {store.location}"


def _announce(obj: NeptuneObject) -> None:
    if obj._mode == "read-only":
        return
    where = {
        "offline": f"offline, queued in {obj._queue.folder if obj._queue else '?'}; upload it with `nepnb sync`",
        "debug": "debug mode: nothing is stored",
    }.get(obj._mode) or store_phrase(obj._store)
    ident = obj._sys_id or "(not synced)"
    stream = hooks.announcement_stream()
    if stream is not None:
        print(f"nepnb: {obj._kind_label} {ident} in project {obj._project} ({where})", file=stream)
