"""Where an object's writes wait for delivery: the :class:`Pipeline` of one object.

Every write call ends here: plain operations in call order, and series points in per-path
buffers (``array('d')``: an append costs a few list-like appends and no allocation of Python
floats, a batch a copy). The append hot path writes to the open buffer's :class:`Column`
without a lock; whoever seals a buffer freezes its columns first (see :class:`Column`).
:mod:`nepnb.client.delivery` drains the pipeline into batches for the store.
"""

from __future__ import annotations

import sys
import threading
import time
from array import array
from collections import deque
from typing import Any

import numpy as np

from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints

_INF = float("inf")
_NAN = float("nan")

# Under a GIL an ``array.append`` of a float is atomic; without one (free-threaded builds)
# every append takes the pipeline's lock.
LOCK_FREE = getattr(sys, "_is_gil_enabled", lambda: True)()
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
    return numbers.data.cast("B")


def extend_column(column: Column, values: np.ndarray, stamps: np.ndarray) -> bool:
    """Append float64 points and their timestamps to an open column, each array in one call
    (safe without the lock, as one append is); False, with nothing added, when the column is
    frozen: the caller takes the lock and a new buffer."""
    try:
        column.frombytes(_bytes(values))
    except BufferError:
        return False
    try:  # noqa: SIM105
        column.stamps.frombytes(_bytes(stamps))
    except BufferError:
        pass  # frozen just now: stamped with the time of the freeze
    return True


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
        if steps is None and self.floats and not self.numbered and LOCK_FREE:
            if buffer is None or buffer.values is None:
                buffer = self._open(self.next_step())
            assert buffer.values is not None
            if not extend_column(buffer.values, values, times):
                # Frozen by a seal a Ctrl-C cut short, or by retire(): a new buffer.
                self.seal()
                buffer = self._open(self.next_step())
                assert buffer.values is not None
                extend_column(buffer.values, values, times)
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
