"""Queued data on disk: list it, upload it to the store, clear it (``nepnb status|sync|clear``)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nepnb.client.opening import hostname
from nepnb.client.queue import BATCHES, BLOBS, OBJECT_FILE, OperationQueue
from nepnb.exceptions import (
    NepnbError,
    ObjectNotFound,
    RejectedOperation,
    ServerUnavailable,
    SyncError,
)
from nepnb.store.base import ObjectKind, Store
from nepnb.store.field_types import FieldType
from nepnb.store.liveness import AliveLock
from nepnb.store.local import new_uid
from nepnb.store.operations import Batch, Operation, OpKind

MODES = ("offline", "async")


@dataclass
class QueuedObject:
    """One queue folder left on disk."""

    folder: Path
    mode: str
    meta: dict[str, Any]
    batches: int
    size: int
    writer_alive: bool

    @property
    def name(self) -> str:
        """How users refer to it: its id once known, else ``offline/<folder>``."""
        return self.meta.get("sys_id") or f"{self.mode}/{self.folder.name}"

    @property
    def project(self) -> str | None:
        return self.meta.get("project")


@dataclass
class SyncResult:
    """What syncing one queue did."""

    name: str
    batches: int = 0
    rejected: list[RejectedOperation] = field(default_factory=list)
    removed: bool = False
    damaged: list[str] = field(default_factory=list)


def find_queues(data_dir: Path) -> tuple[list[QueuedObject], list[tuple[Path, str]]]:
    """Queue folders under ``data_dir``, and the folders that could not be read (with why)."""
    found: list[QueuedObject] = []
    broken: list[tuple[Path, str]] = []
    for mode in MODES:
        base = Path(data_dir) / mode
        if not base.is_dir():
            continue
        for folder in sorted(p for p in base.iterdir() if p.is_dir()):
            try:
                meta = json.loads((folder / OBJECT_FILE).read_text())
            except (OSError, ValueError) as error:
                broken.append((folder, f"{OBJECT_FILE} unreadable: {error}"))
                continue
            batches = list((folder / BATCHES).glob("*.batch"))
            synced = mode == "async" or meta.get("uid") is not None
            if synced and not batches and not _alive(meta):
                shutil.rmtree(folder, ignore_errors=True)  # fully shipped leftovers
                continue
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            found.append(QueuedObject(folder, mode, meta, len(batches), size, _alive(meta)))
    return found, broken


def _alive(meta: dict[str, Any]) -> bool:
    """Whether the process that writes this queue is still running (on this host)."""
    pid = meta.get("pid")
    if meta.get("closed") or not pid or meta.get("host") not in (None, hostname()):
        return False
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


def sync_queue(
    queued: QueuedObject,
    store: Store,
    *,
    project: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SyncResult:
    """Upload one queue folder to ``store``; batches already stored are skipped, never doubled."""
    queue = OperationQueue(queued.folder)
    meta = queue.read_meta()
    uid = meta.get("uid")
    # Held open while uploading: a run replayed as "running" is not a crashed one.
    alive: AliveLock | None = None
    try:
        if uid is None:
            uid = new_uid()  # chosen here: creating it again after a lost answer finds it
            alive = store.hold_alive(uid, new=True)
            held = uid
            uid, meta = register(queue, meta, store, project, uid)
            if alive is not None and uid != held:  # an existing run (with_id, custom_run_id)
                alive.release()
                alive = store.hold_alive(uid, new=True)
        else:
            alive = store.hold_alive(uid, new=True)  # new: hold it, mark nothing
        return _upload(queue, queued, meta, uid, store, progress)
    finally:
        if alive is not None:
            alive.release()


def _upload(
    queue: OperationQueue,
    queued: QueuedObject,
    meta: dict[str, Any],
    uid: str,
    store: Store,
    progress: Callable[[int, int], None] | None,
) -> SyncResult:
    result = SyncResult(meta.get("sys_id") or queued.name)
    # Listed before the files are: every file these batches name is uploaded before them
    # (its writer may still be adding files and batches).
    pending = queue.pending()
    upload_blobs(queued.folder, store, project=meta.get("project"))
    for done, path in enumerate(pending, 1):
        try:
            batch = queue.load(path)
        except FileNotFoundError:  # shipped meanwhile by its own writer
            continue
        except Exception as error:
            damaged = path.with_suffix(".damaged")
            path.rename(damaged)
            result.damaged.append(f"{damaged} ({error})")
            continue
        result.rejected.extend(store.apply(uid, batch).rejected)
        queue.remove(path)
        result.batches += 1
        if progress is not None:
            progress(done, len(pending))
    if not _alive(meta) and not meta.get("closed") and not meta.get("custom_run_id"):
        # Its process died without stop(): say so in the run, as stop() would have.
        ended = [
            Operation(OpKind.ASSIGN, "sys/state", FieldType.RUN_STATE, "inactive"),
        ]
        if kind_of(meta) is ObjectKind.RUN:
            store.apply(uid, Batch(ended))
    if result.damaged:
        raise SyncError(
            f"{result.name}: {len(result.damaged)} damaged batch(es) could not be uploaded and "
            f"were kept as {', '.join(result.damaged)}; everything else was uploaded"
        )
    if not queue.pending() and not _alive(meta):
        shutil.rmtree(queued.folder, ignore_errors=True)
        result.removed = True
    return result


def upload_blobs(folder: Path, store: Store, *, project: str | None, remove: bool = False) -> None:
    """Upload the files queued in ``folder`` for ``project`` (``remove``: delete each once
    uploaded)."""
    blob_root = folder / BLOBS
    if blob_root.is_dir():
        for blob in blob_root.glob("*/*"):
            if not blob.name.startswith(".tmp-"):
                store.put_blob_file(blob, project=project)
                if remove:
                    blob.unlink(missing_ok=True)


def kind_of(meta: dict[str, Any]) -> ObjectKind:
    return ObjectKind(meta.get("kind", "run"))


def register(
    queue: OperationQueue,
    meta: dict[str, Any],
    store: Store,
    project: str | None,
    uid: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """Create (or find) the store object of an offline queue and remember it in its folder."""
    target = project or meta.get("project")
    if not target:
        raise SyncError(f"{queue.folder.name} names no project; pass --project workspace/project")
    kind = kind_of(meta)
    try:
        if meta.get("with_id"):
            info = store.find_object(target, sys_id=meta["with_id"])
        else:
            options: dict[str, Any] = {"uid": uid} if uid is not None else {}
            info = store.create_object(
                target,
                kind,
                custom_run_id=meta.get("custom_run_id"),
                model_key=meta.get("model_key"),
                model_id=meta.get("model_id"),
                **options,
            )
    except ServerUnavailable:
        raise  # not the queue's fault: it stays as it is, to be synced later
    except (ObjectNotFound, NepnbError) as error:
        raise SyncError(f"{queue.folder.name}: {error}") from error
    if info.created and meta.get("created_at"):
        # The run began when it was written offline, not when it was uploaded.
        created = Operation(
            OpKind.ASSIGN, "sys/creation_time", FieldType.DATETIME, meta["created_at"]
        )
        store.apply(info.uid, Batch([created]))
    meta = queue.update_meta(uid=info.uid, sys_id=info.sys_id, project=target)
    return info.uid, meta


def remove_queue(queued: QueuedObject) -> None:
    shutil.rmtree(queued.folder, ignore_errors=True)
