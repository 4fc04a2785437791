"""How an object's writes reach the store, by mode.

A :class:`Writer` drains the object's :class:`~nepnb.client.buffers.Pipeline` into a
:class:`~nepnb.store.operations.Batch`:

- ``sync``: after every call, straight to the store; rejections raise at once.
- ``async``: a background thread, every ``flush_period`` seconds, writes the batch to the
  disk queue and then ships the queue to the store. ``wait()`` does the same in the caller.
- ``offline``: like async, but only to the disk queue; ``nepnb sync`` ships it later.
- ``debug``: validated, then dropped.

Files: the local store takes them at once. For a remote store (and offline), the queue
writer copies them into the queue folder, content-addressed, so that the call never waits
on the network; the ship thread (or ``nepnb sync``) uploads them before the batches that
name them. Sync mode uploads them in the call.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from nepnb.client.buffers import Pipeline
from nepnb.client.queue import OperationQueue
from nepnb.exceptions import (
    NepnbWarning,
    ObjectNotFound,
    RejectedOperation,
    RejectedOperations,
    ServerUnavailable,
    StorageLimitExceeded,
    StoreError,
    ValueDropped,
)
from nepnb.store.base import Store
from nepnb.store.blobs import BlobStore, file_digest
from nepnb.store.operations import Batch
from nepnb.warn import warn_user

log = logging.getLogger("nepnb")

#: The longest the ship thread waits between attempts while the project is at its storage
#: limit (the wait doubles from two flush periods; wait() and stop() try at once).
LIMIT_BACKOFF_MAX_SECONDS = 300.0


class Writer:
    """Base writer: the debug mode's (validate, then drop)."""

    mode = "debug"

    def __init__(self, pipeline: Pipeline, object_id: Callable[[], str]) -> None:
        self.pipeline = pipeline
        self._object_id = object_id

    def after_call(self, wait: bool) -> None:
        """Called after every write call."""
        if wait:
            self.wait()

    def wait(self) -> None:
        """Block until everything written so far is stored; raise what the store rejected."""
        self.pipeline.drain()

    def close(self) -> None:
        """Flush and stop; the writer cannot be used afterwards."""
        self.wait()

    def put_blob(self, data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def put_blob_file(self, source: Path) -> tuple[str, int]:
        return file_digest(source)

    def queued(self) -> int:
        return self.pipeline.size()

    def in_transit(self) -> bool:
        """True while writes taken from the pipeline are not in the store yet: a reader of
        the store and the pipeline (a live chart) would miss them now."""
        return False

    def _report(self, rejected: list[RejectedOperation]) -> None:
        """Warn about dropped points, raise for writes the store refused."""
        refused = [r for r in rejected if not r.dropped]
        for dropped in (r for r in rejected if r.dropped):
            warn_user(f"'{dropped.path}': {dropped.reason}", ValueDropped)
        if refused:
            raise RejectedOperations(self._object_id(), refused)


class SyncWriter(Writer):
    """Every call returns after the store has its writes."""

    mode = "sync"

    def __init__(
        self,
        pipeline: Pipeline,
        object_id: Callable[[], str],
        store: Store,
        uid: str,
        project: str | None = None,
    ) -> None:
        super().__init__(pipeline, object_id)
        self.store = store
        self.uid = uid
        self.project = project
        self._lock = threading.Lock()
        self._unapplied: Batch | None = None  # drained, but applying it failed (or Ctrl-C)

    def after_call(self, wait: bool) -> None:
        self.wait()

    def wait(self) -> None:
        with self._lock:
            # First what the store did not take last time (its batch id makes applying it
            # again harmless if it did after all), then the rest.
            for _ in range(2):
                if self._unapplied is None:
                    self._unapplied = self.pipeline.drain()
                    if self._unapplied is None:
                        return
                result = self.store.apply(self.uid, self._unapplied)
                self._unapplied = None
                self._report(result.rejected)

    def put_blob(self, data: bytes) -> str:
        with self._uploading("a file"):
            return self.store.put_blob(data, project=self.project)

    def put_blob_file(self, source: Path) -> tuple[str, int]:
        with self._uploading(str(source)):
            return self.store.put_blob_file(source, project=self.project)

    @contextlib.contextmanager
    def _uploading(self, what: str) -> Iterator[None]:
        """A clear error when the server is away: in sync mode nothing queues the file."""
        try:
            yield
        except ServerUnavailable as error:
            raise ServerUnavailable(
                f"{what} was not uploaded to {self.store.location}: the tracking server did "
                "not answer. In sync mode a file is uploaded by the call that gives it: call "
                "again once the server answers, or open the object with mode='async', which "
                "queues files on disk while the server is away."
            ) from error


class QueueWriter(Writer):
    """async and offline: a background thread moves the pipeline to the disk queue every
    ``flush_period``; in async mode a second one ships the queue to the store, so a busy store
    never keeps writes in memory."""

    def __init__(
        self,
        pipeline: Pipeline,
        object_id: Callable[[], str],
        queue: OperationQueue,
        *,
        store: Store | None,
        uid: str | None,
        flush_period: float,
        lag_callback: Callable[[], None] | None = None,
        lag_threshold: float = 1800.0,
        no_progress_callback: Callable[[], None] | None = None,
        no_progress_threshold: float = 300.0,
        register: Callable[[], str] | None = None,
        project: str | None = None,
    ) -> None:
        """``register``: with a store but no ``uid`` yet (the server was down when the object
        opened), creates the object in the store and returns its uid; it is called before
        shipping, until it succeeds. ``project``: the object's (files are stored for it).

        Files wait in the queue folder (content-addressed) unless the store is the local
        one and the object is in it: the call that gives a file never waits on a network,
        and the ship thread uploads the files before the batches that name them."""
        super().__init__(pipeline, object_id)
        self.mode = "async" if store is not None else "offline"
        self.queue = queue
        self.store = store
        self.uid = uid
        self.flush_period = max(float(flush_period), 0.01)
        self.rejected: list[RejectedOperation] = []
        self.ship_error: BaseException | None = None
        self._unqueued: Batch | None = None  # drained, but writing it to the queue failed
        self._register = register
        self.project = project
        queued_blobs = store is None or uid is None or store.remote
        self._blobs = BlobStore(queue.blob_folder()) if queued_blobs else None
        self._push_lock = threading.Lock()
        self._ship_lock = threading.Lock()
        self._stopping = threading.Event()
        self._shippable = threading.Event()
        self._last_progress = time.monotonic()
        # At the storage limit, the ship thread waits longer and longer between attempts
        # (each sends the queued files again): until ``_retry_at`` (monotonic), doubling.
        self._limit_delay, self._retry_at = 0.0, 0.0
        self._fired: set[str] = set()  # callbacks called since the queue was last empty
        self._lag_callback, self._lag_threshold = lag_callback, lag_threshold
        self._no_progress_callback = no_progress_callback
        self._no_progress_threshold = no_progress_threshold
        self._threads = [threading.Thread(target=self._push_loop, name="nepnb-queue", daemon=True)]
        if store is not None:
            self._threads.append(
                threading.Thread(target=self._ship_loop, name="nepnb-ship", daemon=True)
            )
        for thread in self._threads:
            thread.start()

    # background ----------------------------------------------------------------------
    def _push_loop(self) -> None:
        while not self._stopping.wait(self.flush_period):
            try:
                self._push()
            except Exception as error:  # the disk is full …: keep the writes in memory
                log.warning("nepnb: could not queue writes on disk (will retry): %s", error)
            self._check_lag()

    def _ship_loop(self) -> None:
        while not self._stopping.is_set():
            self._shippable.wait(self.flush_period)
            self._shippable.clear()
            if self._stopping.is_set():
                break
            if time.monotonic() < self._retry_at:
                continue
            try:
                self._ship()
            except ObjectNotFound as error:  # deleted from the trash: retrying cannot help
                self.ship_error = error
                log.warning("nepnb: %s", error)
                break
            except StorageLimitExceeded as error:  # room comes from a person: back off
                self.ship_error = error
                delay = min(
                    max(2 * self._limit_delay, 2 * self.flush_period), LIMIT_BACKOFF_MAX_SECONDS
                )
                self._limit_delay, self._retry_at = delay, time.monotonic() + delay
                log.warning(
                    "nepnb: could not ship queued writes (will retry in %.0f s): %s", delay, error
                )
            except Exception as error:  # the store is down …: the queue keeps the writes
                self.ship_error = error
                log.warning("nepnb: could not ship queued writes (will retry): %s", error)

    def _push(self) -> None:
        with self._push_lock:
            # First what could not be queued last time (a full disk, a Ctrl-C), then the rest.
            for _ in range(2):
                if self._unqueued is None:
                    self._unqueued = self.pipeline.drain()
                    if self._unqueued is None:
                        return
                self.queue.push(self._unqueued)
                self._unqueued = None
                self._shippable.set()

    def _ship(self) -> None:
        if self.store is None:
            return
        with self._ship_lock:
            if self.uid is None:
                if self._register is None:
                    return
                self.uid = self._register()
                log.warning(
                    "nepnb: the tracking server answers again; uploading %s", self._object_id()
                )
            # Listed before the files are: every file these batches name is in the folder.
            pending = self.queue.pending()
            if self._blobs is not None:
                from nepnb.client.sync import upload_blobs

                upload_blobs(self.queue.folder, self.store, project=self.project, remove=True)
            for path in pending:
                try:
                    batch = self.queue.load(path)
                except FileNotFoundError:  # shipped meanwhile by `nepnb sync`
                    continue
                except Exception as error:
                    bad = path.with_suffix(".damaged")
                    path.rename(bad)
                    self.rejected.append(
                        RejectedOperation(
                            "(batch)", f"queued batch {bad} could not be read: {error}"
                        )
                    )
                    continue
                try:
                    result = self.store.apply(self.uid, batch)
                except ObjectNotFound:
                    raise self._deleted() from None
                self.rejected.extend(result.rejected)
                self.queue.remove(path)
                self._last_progress = time.monotonic()
            self.ship_error = None
            self._limit_delay, self._retry_at = 0.0, 0.0

    def _deleted(self) -> ObjectNotFound:
        """The error of writes to an object the store no longer has."""
        return ObjectNotFound(
            f"{self._object_id()} was deleted (from its project's trash, or with its project): "
            f"its {len(self.queue.pending())} queued write(s) cannot be stored. They are kept in "
            f"{self.queue.folder}; `nepnb clear` removes them."
        )

    def _check_lag(self) -> None:
        pending = self.queue.pending()
        if not pending:
            self._last_progress = time.monotonic()
            self._fired.clear()
            return
        if self._lag_callback is not None:
            oldest = pending[0].stat().st_mtime
            if time.time() - oldest > self._lag_threshold:
                self._fire("lag", self._lag_callback)
        stalled = time.monotonic() - self._last_progress > self._no_progress_threshold
        if self._no_progress_callback is not None and self.store is not None and stalled:
            self._fire("no_progress", self._no_progress_callback)

    def _fire(self, name: str, callback: Callable[[], None]) -> None:
        """Call a user's callback once per episode, in its own thread (it may stop the object,
        which waits for this writer's threads)."""
        if name in self._fired:
            return
        self._fired.add(name)
        threading.Thread(target=callback, name=f"nepnb-{name}-callback", daemon=True).start()

    # foreground ----------------------------------------------------------------------
    def wait(self) -> None:
        try:
            self._push()
            self._ship()
        except (StoreError, ObjectNotFound):
            raise
        except Exception as error:
            raise StoreError(
                f"the store did not take the writes of {self._object_id()} ({error}); they are "
                f"safe in {self.queue.folder} and `nepnb sync` will upload them"
            ) from error
        rejected, self.rejected = self.rejected, []
        self._report(rejected)

    def close(self) -> None:
        self._stopping.set()
        self._shippable.set()
        for thread in self._threads:
            thread.join()
        try:
            self.wait()
        except ObjectNotFound as error:  # deleted meanwhile: nothing to retry
            warn_user(str(error), NepnbWarning)
        except (ServerUnavailable, StorageLimitExceeded) as error:
            # Nothing is lost: the queue folder keeps the writes for `nepnb sync`.
            warn_user(
                f"{self._object_id()} closed with writes not uploaded: {error} They wait in "
                f"{self.queue.folder}; run `nepnb sync` once the server takes them.",
                NepnbWarning,
            )
        finally:
            if self.store is not None and not self.queue.pending():
                # Everything reached the store: the queue folder has nothing left to sync.
                shutil.rmtree(self.queue.folder, ignore_errors=True)
            else:
                # `nepnb sync` may take (and then remove) the folder once nobody writes to it.
                with contextlib.suppress(OSError):  # synced and removed meanwhile
                    self.queue.update_meta(closed=True)

    def put_blob(self, data: bytes) -> str:
        if self._blobs is not None:
            return self._blobs.put_bytes(data)
        assert self.store is not None
        return self.store.put_blob(data, project=self.project)

    def put_blob_file(self, source: Path) -> tuple[str, int]:
        if self._blobs is not None:
            return self._blobs.put_file(source)
        assert self.store is not None
        return self.store.put_blob_file(source, project=self.project)

    def queued(self) -> int:
        unqueued = 0 if self._unqueued is None else len(self._unqueued)
        return self.pipeline.size() + unqueued + len(self.queue.pending())

    def in_transit(self) -> bool:
        return self._unqueued is not None or bool(self.queue.pending())
