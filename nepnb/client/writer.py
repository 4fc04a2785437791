"""How an object's writes reach the store, by mode.

Every write call ends in the object's :class:`Pipeline`: plain operations in call order,
and series points in per-path buffers (``array('d')``: an append costs a few list-like
appends and no allocation of Python floats). A :class:`Writer` drains the pipeline into a
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
import sys
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

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
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints
from nepnb.warn import warn_user

log = logging.getLogger("nepnb")

_INF = float("inf")
_NAN = float("nan")


# Under a GIL an ``array.append`` of a float is atomic; without one (free-threaded builds)
# every append takes the pipeline's lock.
LOCK_FREE = getattr(sys, "_is_gil_enabled", lambda: True)()
#: The longest the ship thread waits between attempts while the project is at its storage
#: limit (the wait doubles from two flush periods; wait() and stop() try at once).
LIMIT_BACKOFF_MAX_SECONDS = 300.0
THAW_AFTER_SECONDS = 1.0  # the grace period of converted columns (see Pipeline)


class Column(array):  # type: ignore[type-arg]
    """An ``array('d')`` that can be frozen: once it is, growing it raises ``BufferError``.

    The append hot path writes to the open buffer's columns without the lock. Whoever seals a
    buffer freezes its columns first, so an append that raced with the seal either landed
    before the freeze (and is shipped) or fails and is retried under the lock: never lost.
    The column holds its own export, so it stays frozen as long as anyone can reach it.
    """

    __slots__ = ("frozen", "stamps")
    frozen: memoryview | None
    stamps: Column

    def freeze(self) -> None:
        self.frozen = memoryview(self)

    def thaw(self) -> None:
        """Drop the export (and the reference cycle it makes, which only the cyclic garbage
        collector would free): the memory goes when the last reference does."""
        view, self.frozen = getattr(self, "frozen", None), None
        if view is not None:
            view.release()


def _references(column: Column) -> int:
    return sys.getrefcount(column)


def _bytes(numbers: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous float64 array, for ``array.frombytes`` (one copy)."""
    return memoryview(numbers).cast("B")


class _Holder:
    __slots__ = ("values",)
    values: Column


def _unreached_count() -> int:
    """What ``_references(buffer.values)`` says of a frozen column that only its buffer holds
    (the buffer, the export, the call): anyone else holding it (an append in flight) adds one."""
    holder = _Holder()
    holder.values = Column("d")
    holder.values.freeze()
    return _references(holder.values)


_UNREACHED = _unreached_count()


class SeriesBuffer:
    """Points appended to one series since the last flush.

    Three layouts, each point added by one call (an interrupt never leaves half a point):

    - ``values``: float points with consecutive steps from ``first_step``, the hot path's:
      values in one :class:`Column`, their timestamps in ``values.stamps``;
    - ``data`` as ``array('d')`` of (step, value, timestamp) triples: float points with steps;
    - ``data`` as a list of (step, value, timestamp) tuples: other series.
    """

    __slots__ = ("data", "first_step", "frozen_at", "path", "state", "type", "values")

    def __init__(self, state: SeriesState, first_step: float | None = None) -> None:
        self.state = state
        self.path = state.path
        self.type = state.type
        self.first_step = first_step
        self.frozen_at = 0.0
        self.values: Column | None = None
        self.data: Any = None
        if first_step is not None:
            self.values = Column("d")
            self.values.stamps = Column("d")
        elif state.type is FieldType.FLOAT_SERIES:
            self.data = array("d")
        else:
            self.data = []

    def points(self) -> int:
        if self.values is not None:
            return len(self.values)
        return len(self.data) // 3 if self.type is FieldType.FLOAT_SERIES else len(self.data)

    def last_step(self) -> float | None:
        """The step of the last point of a ``values`` buffer (None when empty or not one)."""
        if self.values is None or self.first_step is None or not len(self.values):
            return None
        return self.first_step + (len(self.values) - 1)

    def freeze(self) -> None:
        """No point can be added any more (values first: a point whose value got in before
        the freeze but whose timestamp did not is stamped when converted). Freezes again what
        an interrupted call (Ctrl-C) left half done."""
        if self.values is not None:
            if not self.frozen_at:
                self.frozen_at = time.time()
            self.values.freeze()
            self.values.stamps.freeze()

    def to_operation(self) -> Operation:
        if self.values is not None:
            assert self.first_step is not None
            count = len(self.values)
            stamps = np.frombuffer(self.values.stamps, dtype=np.float64)[:count].copy()
            if len(stamps) < count:
                stamps = np.concatenate((stamps, np.full(count - len(stamps), self.frozen_at)))
            points = SeriesPoints(
                self.first_step + np.arange(count, dtype=np.float64),
                np.frombuffer(self.values, dtype=np.float64).copy(),
                stamps,
            )
        elif self.type is FieldType.FLOAT_SERIES:
            triples = np.frombuffer(self.data, dtype=np.float64).reshape(-1, 3)
            points = SeriesPoints(
                np.ascontiguousarray(triples[:, 0]),
                np.ascontiguousarray(triples[:, 1]),
                np.ascontiguousarray(triples[:, 2]),
            )
        else:
            steps, values, times = zip(*self.data, strict=True) if self.data else ((), (), ())
            points = SeriesPoints(
                np.asarray(steps, dtype=np.float64),
                list(values),
                np.asarray(times, dtype=np.float64),
            )
        return Operation(OpKind.LOG, self.path, self.type, points)


class SeriesState:
    """A series the client writes: its type, last step and the buffer of its new points.

    Handlers keep a reference to it, so the append hot path needs no lookup: while a buffer
    of consecutive steps is open, ``values`` is its :class:`Column` and an append without a
    step is one ``values.append`` (and one of its timestamp), with no lock. ``numbered``: the
    store numbers points appended without a step (they are stored with a NaN step), because
    other processes write the same series or the stored steps are unknown (offline). A
    retired state (field deleted, object stopped) has ``floats`` False and sends callers to
    the slow path, which checks everything.
    """

    __slots__ = (
        "buffer", "floats", "last_step", "lock", "numbered", "path", "pipeline", "sync",
        "type", "values",
    )  # fmt: skip

    def __init__(
        self, pipeline: Pipeline, path: str, ftype: FieldType, numbered: bool, sync: bool = False
    ) -> None:
        self.pipeline = pipeline
        self.sync = sync  # every write goes to the store at once (sync mode)
        self.lock = pipeline.lock
        self.path = path
        self.type = ftype
        self.floats = ftype is FieldType.FLOAT_SERIES
        self.numbered = numbered
        self.buffer: SeriesBuffer | None = None
        self.values: Column | None = None  # the open buffer's values, for the hot path
        self.last_step = -_INF  # of the points before the open buffer's, or in it

    def last(self) -> float:
        """The last step given to a point (-inf: none yet). Call with the lock held."""
        buffer = self.buffer
        if buffer is not None and buffer.values is not None:
            last = buffer.last_step()
            if last is not None:
                return last
        return self.last_step

    def next_step(self) -> float:
        if self.numbered:
            return _NAN
        last = self.last()
        return 0.0 if last == -_INF else last + 1.0

    def seal(self) -> None:
        """Points added from now on go to a new buffer (queued after what came before).
        Call with the lock held."""
        buffer = self.buffer
        if buffer is not None:
            buffer.freeze()
            last = buffer.last_step()
            if last is not None:
                self.last_step = last
        self.buffer = None
        self.values = None

    def add(self, step: float | None, value: Any, stamp: float) -> float | None:
        """Buffer one checked point; returns the step it got, or None when an explicit step
        does not increase. Call with the lock held."""
        buffer = self.buffer
        if step is None:
            step = self.next_step()
            if buffer is None and self.floats and not self.numbered and LOCK_FREE:
                buffer = self._open(step)
            values = None if buffer is None else buffer.values
            if values is not None:
                try:
                    values.append(value)
                except BufferError:
                    # Frozen by a seal that a Ctrl-C cut short, or that took no lock (retire):
                    # finish it; the point goes to a buffer of its own.
                    self.seal()
                    step = self.next_step()
                    buffer = None
                else:
                    try:  # noqa: SIM105
                        values.stamps.append(stamp)
                    except BufferError:
                        pass  # stamped with the time of the freeze
                    return step
        else:
            if buffer is not None and buffer.values is not None:
                # Freeze before the check: a hot append landing between the check and the
                # freeze would take a step given to this point as well.
                self.seal()
                buffer = None
            if not step > self.last_step:
                return None
        if buffer is None or buffer.values is not None:
            buffer = self._open(None)
        data = buffer.data
        if step == step:  # not NaN; set first: a Ctrl-C after the point got in must not
            self.last_step = step  # leave its step to the next point
        if self.type is FieldType.FLOAT_SERIES:
            data.extend((step, value, stamp))
        else:
            data.append((step, value, stamp))
        return step

    def add_batch(
        self, steps: np.ndarray | None, values: np.ndarray, stamps: float | np.ndarray
    ) -> list[tuple[float, float]]:
        """Buffer checked float points whole, as ``add`` would one by one: ``values`` and
        ``steps`` (None: the next steps) are C-contiguous float64 arrays of finite steps,
        ``stamps`` one time for all points or an array. Returns (step, last step) of each
        point dropped because its step does not increase. Call with the lock held."""
        count = len(values)
        times = np.full(count, stamps) if isinstance(stamps, float) else stamps
        buffer = self.buffer
        data = _bytes(values)
        if steps is None and self.floats and not self.numbered and LOCK_FREE:
            if buffer is None or buffer.values is None:
                buffer = self._open(self.next_step())
            assert buffer.values is not None
            try:
                buffer.values.frombytes(data)
            except BufferError:  # frozen by a seal a Ctrl-C cut short, or by retire()
                self.seal()
                buffer = self._open(self.next_step())
                assert buffer.values is not None
                buffer.values.frombytes(data)
            try:  # noqa: SIM105
                buffer.values.stamps.frombytes(_bytes(times))
            except BufferError:
                pass  # stamped with the time of the freeze
            return []
        if buffer is not None and buffer.values is not None:
            self.seal()  # before the steps are taken (see add)
        dropped: list[tuple[float, float]] = []
        if steps is None:
            if self.numbered:
                steps = np.full(count, _NAN)
            else:
                steps = self.next_step() + np.arange(count, dtype=np.float64)
        else:
            before = np.maximum.accumulate(np.concatenate(([self.last_step], steps[:-1])))
            keep = steps > before
            if not keep.all():
                dropped = list(zip(steps[~keep].tolist(), before[~keep].tolist(), strict=True))
                steps, values = steps[keep], values[keep]
                times = times[keep]
        if not len(steps):
            return dropped
        buffer = self.buffer
        if buffer is None or buffer.values is not None:
            buffer = self._open(None)
        last = float(steps[-1])
        if last == last:  # not NaN (numbered): set first, as add does
            self.last_step = last
        triples = np.empty((len(steps), 3))
        triples[:, 0], triples[:, 1], triples[:, 2] = steps, values, times
        buffer.data.frombytes(_bytes(triples))
        return dropped

    def _open(self, first_step: float | None) -> SeriesBuffer:
        """A new buffer, queued after everything written so far (``first_step``: one of
        consecutive steps, for the hot path)."""
        self.seal()
        buffer = SeriesBuffer(self, first_step)
        # Queued before appenders see it: a Ctrl-C in between leaves an empty buffer queued
        # rather than one that gets points but is never shipped.
        self.pipeline.pending.append(buffer)
        self.buffer = buffer
        self.values = buffer.values
        return buffer

    def retire(self) -> None:
        self.floats = False
        self.seal()


class Pipeline:
    """Writes of one object, in call order, waiting for the writer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: list[Operation | SeriesBuffer] = []
        self.series: dict[str, SeriesState] = {}
        self.drained = 0  # operations and points handed to the writer so far
        self.internal = 0  # of all writes, those nepnb made itself (sys/ fields, cell capture)
        # Converted buffers whose columns stay frozen for a grace period: an append that read
        # the column just before the seal still meets a frozen column (BufferError, retried
        # under the lock), never a forgotten one. Then they are thawed and freed; one that an
        # append still holds (its thread paused longer than that) is thawed at a later drain.
        self._converted: deque[tuple[float, SeriesBuffer]] = deque()

    def add(self, op: Operation) -> None:
        with self.lock:
            self._seal(op)
            self.pending.append(op)

    def _seal(self, op: Operation) -> None:
        # Points appended after this operation must be applied after it: start new buffers.
        # After a CLEAR or DELETE the store has no step there: the next point's is 0 (set
        # here, under the lock, so that no point appended meanwhile keeps the old numbering).
        if op.kind is OpKind.DELETE:
            prefix = op.path + "/"
            # (a copy: pop() removes states without the lock)
            for path, state in list(self.series.items()):
                if path == op.path or path.startswith(prefix):
                    state.seal()
                    state.last_step = -_INF
        else:
            series = self.series.get(op.path)
            if series is not None:
                series.seal()
                if op.kind is OpKind.CLEAR:
                    series.last_step = -_INF

    def drain(self) -> Batch | None:
        """The waiting writes as one batch (None if there are none). Interrupted (Ctrl-C),
        it leaves them waiting."""
        pending: list[Operation | SeriesBuffer] = []
        try:
            with self.lock:
                pending, self.pending = self.pending, []
                for item in pending:
                    if isinstance(item, SeriesBuffer) and item.state.buffer is item:
                        item.state.seal()
            operations = [
                item if isinstance(item, Operation) else item.to_operation()
                for item in pending
                if isinstance(item, Operation) or item.points()
            ]
            count = sum(len(op.value.steps) if op.kind is OpKind.LOG else 1 for op in operations)
            self._thaw_converted([item for item in pending if isinstance(item, SeriesBuffer)])
            batch = Batch(operations) if operations else None
        except BaseException:
            with self.lock:
                self.pending[:0] = pending
            raise
        self.drained += count
        return batch

    def _thaw_converted(self, converted: list[SeriesBuffer]) -> None:
        now = time.monotonic()
        converted_ = self._converted
        converted_.extend((now, buffer) for buffer in converted if buffer.values is not None)
        while converted_ and now - converted_[0][0] >= THAW_AFTER_SECONDS:
            buffer = converted_.popleft()[1]
            assert buffer.values is not None
            if buffer.state.buffer is buffer or _references(buffer.values) != _UNREACHED:
                converted_.append((now, buffer))  # an append in flight holds it: not yet
                continue
            buffer.values.thaw()
            buffer.values.stamps.thaw()

    def user_writes(self) -> int:
        """How many writes (operations and points) the user made so far: it changes when the
        object is written to, whoever writes, except nepnb itself."""
        return self.drained + self.size() - self.internal

    def size(self) -> int:
        """Operations and points waiting (approximate while others write)."""
        return sum(1 if isinstance(i, Operation) else i.points() for i in list(self.pending))


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
        queued_blobs = store is None or uid is None or store.kind != "local"
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
