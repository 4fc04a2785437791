"""Opening an object in a mode: find or create it in the store, and build its writer."""

from __future__ import annotations

import functools
import getpass
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nepnb.client.config import (
    DEFAULT_LAG_CALLBACK_ENV,
    DEFAULT_NO_PROGRESS_CALLBACK_ENV,
    Settings,
    store_for,
)
from nepnb.client.delivery import QueueWriter, SyncWriter, Writer
from nepnb.client.objects import Connection, NeptuneObject
from nepnb.client.queue import OperationQueue, new_queue_folder
from nepnb.exceptions import InvalidValue, NepnbWarning, ServerUnavailable
from nepnb.store.base import ObjectInfo, ObjectKind, Store
from nepnb.store.field_types import FieldType
from nepnb.store.liveness import AliveLock
from nepnb.store.local import new_uid
from nepnb.store.operations import Batch, Operation, OpKind
from nepnb.warn import warn_user


@dataclass
class OpenRequest:
    """What to open: a new object, or an existing one by id."""

    kind: ObjectKind
    settings: Settings
    with_id: str | None = None
    custom_run_id: str | None = None
    model_key: str | None = None
    model_id: str | None = None
    new_fields: list[Operation] = field(default_factory=list)  # written when created
    resume_fields: list[Operation] = field(default_factory=list)  # written when resumed
    flush_period: float = 5.0
    lag_callback: Callable[[], None] | None = None
    lag_threshold: float = 1800.0
    no_progress_callback: Callable[[], None] | None = None
    no_progress_threshold: float = 300.0


def assign(path: str, ftype: FieldType, value: Any) -> Operation:
    return Operation(OpKind.ASSIGN, path, ftype, value)


@functools.cache
def hostname() -> str:
    """This machine's name, asked once per process (queue folders, sys/hostname, monitoring)."""
    return socket.gethostname()


def owner() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name on some containers
        return "unknown"


def open_connection(request: OpenRequest) -> Connection:
    """Find or create the object of ``request`` according to its mode."""
    settings = request.settings
    mode = settings.mode
    shared = request.custom_run_id is not None
    if mode == "read-only":
        if request.kind is not ObjectKind.PROJECT and not (
            request.with_id or request.custom_run_id
        ):
            raise InvalidValue(
                f"read-only mode opens an existing {request.kind.value.replace('_', ' ')}: "
                "pass with_id='KEY-123'"
            )
        store = store_for(settings)
        if request.kind is ObjectKind.PROJECT:
            store.get_project(settings.project)  # read-only: a missing project is an error
            info = _project(request, store)
        else:
            info = _find(request, store)
        return Connection(mode, settings.project, request.kind, store, info, None, resumed=True)
    if mode == "debug":
        return Connection(
            mode, settings.project, request.kind, None, None, _debug_writer,
            initial_fields=list(request.new_fields),
        )  # fmt: skip
    if mode == "offline":
        return _offline(request, None)
    store = store_for(settings)
    if mode == "async" and store.remote:
        try:
            # A project the token cannot reach is an error at once (an admin's is made).
            store.get_project(settings.project, create=True)
        except ServerUnavailable as error:
            warn_user(
                f"the tracking server did not answer ({error}). The "
                f"{request.kind.value.replace('_', ' ')} opens anyway: its writes are queued on "
                "disk and uploaded as soon as the server answers (or by `nepnb sync`).",
                NepnbWarning,
            )
            return _offline(request, store)
    # While open for writing, the object's liveness lock is held (local store): it becomes
    # "running" only with the lock held, so a process that dies is told from a live one.
    alive: AliveLock | None = None
    try:
        if request.with_id:
            info = _find(request, store)
            alive = _hold(store, info.uid)
            store.apply(info.uid, Batch(list(request.resume_fields)))
            resumed = True
        elif request.kind is ObjectKind.PROJECT:
            info = _project(request, store)
            alive = _hold(store, info.uid)
            resumed = True
        else:
            uid = new_uid()  # chosen here: a retried creation finds the object it made
            alive = store.hold_alive(uid, new=True)
            info = store.create_object(
                settings.project,
                request.kind,
                custom_run_id=request.custom_run_id,
                model_key=request.model_key,
                model_id=request.model_id,
                initial=Batch(list(request.new_fields)),
                uid=uid,
            )
            resumed = not info.created
            if resumed:
                if alive is not None:
                    alive.release()  # of the uid chosen for a new object
                    alive = None
                if request.kind is ObjectKind.MODEL:
                    raise InvalidValue(
                        f"a model with key {request.model_key!r} exists already ({info.sys_id}); "
                        f"open it with init_model(with_id={info.sys_id!r}), or pick another key"
                    )
                alive = _hold(store, info.uid)
                store.apply(info.uid, Batch(list(request.resume_fields)))
    except BaseException:
        if alive is not None:
            alive.release()
        raise
    if mode == "sync":

        def make(obj: NeptuneObject) -> Writer:
            return SyncWriter(obj._pipeline, obj._label, store, info.uid, info.project)

        return Connection(
            mode, settings.project, request.kind, store, info, make, resumed=resumed,
            shared=shared, alive=alive,
        )  # fmt: skip
    folder = new_queue_folder(settings.data_dir, "async", info.sys_id, request.kind.value)
    queue = OperationQueue(
        folder,
        _queue_meta(
            request, "async", uid=info.uid, sys_id=info.sys_id, custom_run_id=info.custom_run_id
        ),
    )
    return Connection(
        mode, settings.project, request.kind, store, info,
        lambda obj: _queue_writer(obj, request, queue, store, info.uid), queue=queue, resumed=resumed,
        shared=shared, alive=alive,
    )  # fmt: skip


def _offline(request: OpenRequest, store: Store | None) -> Connection:
    """An object written to an offline queue folder. With ``store`` (a tracking server that
    did not answer when the object opened), the writer creates the object there as soon as
    the server answers and ships the queue; `nepnb sync` can upload it too."""
    settings = request.settings
    shared = request.custom_run_id is not None
    folder = new_queue_folder(settings.data_dir, "offline", request.with_id, request.kind.value)
    queue = OperationQueue(
        folder,
        _queue_meta(
            request,
            "offline",
            with_id=request.with_id,
            custom_run_id=request.custom_run_id,
            model_key=request.model_key,
            model_id=request.model_id,
            # the uid it gets on the server: a creation retried after a lost answer finds it
            new_uid=None if store is None else new_uid(),
        ),
    )
    fields = request.resume_fields if request.with_id else request.new_fields
    queue.push(Batch(list(fields)))
    return Connection(
        settings.mode, settings.project, request.kind, None, None,
        lambda obj: _queue_writer(obj, request, queue, store, None), queue=queue,
        resumed=request.with_id is not None, initial_fields=list(fields), shared=shared,
    )  # fmt: skip


def _hold(store: Store, uid: str) -> AliveLock | None:
    """Hold the existing object ``uid`` open; if its process died while it was running, it
    is marked crashed first (before it becomes running again here)."""
    return store.hold_alive(uid)


def _queue_meta(request: OpenRequest, mode: str, **ids: Any) -> dict[str, Any]:
    """What a queue folder's object.json says: which object, and which process writes it."""
    return {
        "project": request.settings.project,
        "kind": request.kind.value,
        **ids,
        "created_at": time.time(),
        "mode": mode,
        "pid": os.getpid(),
        "host": hostname(),
    }


def _find(request: OpenRequest, store: Any) -> ObjectInfo:
    info = store.find_object(
        request.settings.project,
        sys_id=request.with_id,
        custom_run_id=None if request.with_id else request.custom_run_id,
    )
    if info.kind is not request.kind:
        raise InvalidValue(
            f"{info.sys_id} is a {info.kind.value.replace('_', ' ')}, not a "
            f"{request.kind.value.replace('_', ' ')}; open it with the matching init_* function"
        )
    return info


def _project(request: OpenRequest, store: Any) -> ObjectInfo:
    return store.create_object(
        request.settings.project, ObjectKind.PROJECT, initial=Batch(list(request.new_fields))
    )


def _debug_writer(obj: NeptuneObject) -> Writer:
    return Writer(obj._pipeline, obj._label)


def _queue_writer(
    obj: NeptuneObject, request: OpenRequest, queue: OperationQueue, store: Any, uid: str | None
) -> Writer:
    def call(callback: Callable[..., None] | None, default_env: str) -> Callable[[], None] | None:
        if callback is None and os.environ.get(default_env, "").upper() == "TRUE":
            from nepnb.utils import stop_synchronization_callback

            callback = stop_synchronization_callback
        return None if callback is None else (lambda: callback(obj))

    register = None
    if store is not None and uid is None:

        def register() -> str:
            from nepnb.client.sync import register as register_queue

            meta = queue.read_meta()
            return register_queue(queue, meta, store, meta.get("project"), meta.get("new_uid"))[0]

    return QueueWriter(
        obj._pipeline,
        obj._label,
        queue,
        store=store,
        uid=uid,
        register=register,
        project=request.settings.project,
        flush_period=request.flush_period,
        lag_callback=call(request.lag_callback, DEFAULT_LAG_CALLBACK_ENV),
        lag_threshold=request.lag_threshold,
        no_progress_callback=call(request.no_progress_callback, DEFAULT_NO_PROGRESS_CALLBACK_ENV),
        no_progress_threshold=request.no_progress_threshold,
    )
