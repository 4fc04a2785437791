"""Which objects of a local store are open for writing, told by advisory file locks.

While a process has an object open for writing, it holds a shared ``flock`` on
``<store>/alive/<object uid>``: several processes writing one run (``custom_run_id``) hold
it together, and the operating system releases it when a process dies, however it dies.
Nobody holding the lock is therefore a fact, not a guess from timestamps: a run whose
``sys/state`` is still "running" while its lock is free was left by a process that died
(see ``LocalStore.mark_abandoned``).

The rules that make this race-free:

- an object becomes "running" in the store only while its opener holds the shared lock
  (a new object's lock is taken before the object exists, under a uid chosen beforehand);
- a checker marks an object only while it holds the exclusive lock, and re-reads the state
  inside the write transaction, so two checkers never both mark;
- a lock file is removed only by whoever holds it exclusively, and whoever locks a file
  checks afterwards that it is still the one at that path (else it locks the new one).

A forked child does not inherit its parent's locks: it closes its copies of their file
descriptors (closing never unlocks what the parent holds), and ``release()`` in the child
does nothing. Without ``fcntl`` (Windows) nothing is locked and nothing is ever marked.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: Whether this platform can tell live objects from abandoned ones.
SUPPORTED = fcntl is not None
#: The folder of the lock files, in the store folder.
FOLDER = "alive"


class AliveLock:
    """The lock file of one object, locked by this process."""

    __slots__ = ("fd", "path", "pid")

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd
        self.pid = os.getpid()
        _HELD.add(self)

    @property
    def held(self) -> bool:
        """False once released, and in a forked child."""
        return self.fd >= 0 and self.pid == os.getpid()

    def release(self) -> None:
        """Unlock (the object is no longer open here). The lock file is removed when no other
        process holds it. Does nothing in a forked child or when called again."""
        _HELD.discard(self)
        if not self.held:
            return
        fd, self.fd = self.fd, -1
        try:
            # Whoever holds the file exclusively may remove it (see the module docstring).
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass  # another process holds it: it stays
        else:
            if _same_file(fd, self.path):
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
        finally:
            os.close(fd)  # unlocks


_HELD: set[AliveLock] = set()


def lock_path(home: Path, uid: str) -> Path:
    return home / FOLDER / uid


def hold(home: Path, uid: str) -> AliveLock | None:
    """Hold the object ``uid`` open (a shared lock; waits while a checker looks at it)."""
    if not SUPPORTED:
        return None
    path = lock_path(home, uid)
    fd = _lock(path, fcntl.LOCK_SH)
    assert fd is not None  # a blocking lock is always granted
    return AliveLock(path, fd)


def claim(home: Path, uid: str, if_abandoned: Callable[[], object]) -> AliveLock | None:
    """Hold the existing object ``uid`` open, after calling ``if_abandoned`` if nobody held it
    (with the exclusive lock held: no checker and no other opener meanwhile)."""
    if not SUPPORTED:
        return None
    path = lock_path(home, uid)
    fd = _lock(path, fcntl.LOCK_EX | fcntl.LOCK_NB)
    if fd is None:  # held by live processes, or a checker is looking at it right now
        return hold(home, uid)
    try:
        if_abandoned()
        fcntl.flock(fd, fcntl.LOCK_SH)  # not atomic: a checker may look in between
    except BaseException:
        os.close(fd)
        raise
    if not _same_file(fd, path):  # a checker removed the file in between
        os.close(fd)
        return hold(home, uid)
    return AliveLock(path, fd)


def probe(home: Path, uid: str) -> AliveLock | None:
    """The exclusive lock of ``uid`` if no process holds the object open, else None.
    ``release()`` it when done (which removes the lock file)."""
    if not SUPPORTED:
        return None
    path = lock_path(home, uid)
    fd = _lock(path, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return None if fd is None else AliveLock(path, fd)


def _lock(path: Path, operation: int) -> int | None:
    """A descriptor of the file at ``path`` locked with ``operation``; None if LOCK_NB and
    someone holds a conflicting lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, operation)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, path):
            return fd
        os.close(fd)  # removed (or replaced) while we waited: lock the file there now


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)


def _forget_in_child() -> None:
    # The child's copies of the descriptors share the parent's locks: close them (closing a
    # copy never unlocks), so that the parent's death is seen even while the child lives.
    for lock in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(lock.fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
