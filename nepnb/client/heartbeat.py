"""``sys/ping_time`` of open objects, refreshed every ``PING_PERIOD`` seconds.

One daemon thread serves every object open for writing in the process (async and sync
modes); it sleeps while there is nothing due and never touches the append path. In async
mode a ping is an internal write (``_assign_internal``) that the writer ships with the next
flush; in sync mode, which has no writer thread, the ping thread stores it itself, apart
from the user's writes (whose errors must reach the user's own call). A batch holding only
a ping leaves ``sys/modification_time`` as it was.

Whether an object is still open is not judged from ``sys/ping_time`` (see
``nepnb.store.liveness``): it tells users when a crashed process was last seen alive.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from typing import TYPE_CHECKING

from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch, Operation, OpKind

if TYPE_CHECKING:
    from nepnb.client.objects import NeptuneObject

log = logging.getLogger("nepnb")

#: The environment variable that sets ``PING_PERIOD`` (seconds) when nepnb is imported.
PING_PERIOD_ENV = "NEPNB_PING_PERIOD"


def _period_from_env() -> float:
    try:
        return max(float(os.environ.get(PING_PERIOD_ENV, "30")), 0.01)
    except ValueError:
        return 30.0


#: Seconds between two pings of an object (read by the ping thread at each round).
PING_PERIOD = _period_from_env()


class _Heartbeat:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.last: weakref.WeakKeyDictionary[NeptuneObject, float] = weakref.WeakKeyDictionary()
        self.thread: threading.Thread | None = None

    def add(self, obj: NeptuneObject) -> None:
        with self.lock:
            self.last[obj] = time.monotonic()
            if self.thread is None:
                self.thread = threading.Thread(target=self._loop, name="nepnb-ping", daemon=True)
                self.thread.start()
        self.wake.set()

    def discard(self, obj: NeptuneObject) -> None:
        with self.lock:
            self.last.pop(obj, None)

    def _loop(self) -> None:
        while True:
            self.wake.clear()
            self.wake.wait(self._round())

    def _round(self) -> float | None:
        """Ping the objects that are due; the seconds until the next one is (None: none).
        A function of its own, so that no object is referenced while the thread sleeps."""
        period = PING_PERIOD
        with self.lock:
            now = time.monotonic()
            due = [obj for obj, last in self.last.items() if now - last >= period]
            for obj in due:
                self.last[obj] = now
            upcoming = [last + period for last in self.last.values()]
        for obj in due:
            _ping(obj)
        return max(min(upcoming) - time.monotonic(), 0.0) if upcoming else None


def _ping(obj: NeptuneObject) -> None:
    if obj._state == "stopped":
        return
    now = time.time()
    try:
        if obj._sync:
            assert obj._store is not None and obj._info is not None
            ping = Operation(OpKind.ASSIGN, "sys/ping_time", FieldType.DATETIME, now)
            obj._store.apply(obj._info.uid, Batch([ping]))
        else:
            obj._assign_internal("sys/ping_time", FieldType.DATETIME, now)
    except Exception as error:  # a busy or missing store: try again next period
        log.debug("nepnb: could not refresh sys/ping_time of %s: %s", obj._label(), error)


_HEART = _Heartbeat()


def start(obj: NeptuneObject) -> None:
    """Refresh ``sys/ping_time`` of ``obj`` every ``PING_PERIOD`` until ``stop(obj)``."""
    _HEART.add(obj)


def stop(obj: NeptuneObject) -> None:
    _HEART.discard(obj)


def _reset_in_child() -> None:
    # The thread does not exist in a forked child, and the parent's objects are not its own.
    global _HEART
    _HEART = _Heartbeat()


os.register_at_fork(after_in_child=_reset_in_child)
