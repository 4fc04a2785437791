"""Making races likely in tests of the client's lock-free paths: threads that give up the GIL
at random calls into the client's code, a short switch interval, threads whose errors and
hangs a test sees."""

from __future__ import annotations

import contextlib
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

CLIENT_CODE = (
    "client/buffers.py",
    "client/delivery.py",
    "client/handler.py",
    "client/objects.py",
    "client/queue.py",
)


def chaos(
    seed: int, chance: float = 0.3, pause: float = 2e-5, functions: tuple[str, ...] = ()
) -> None:
    """From now on the calling thread gives up the GIL at random calls into nepnb's client
    (only into ``functions``, if given): as if the OS took the CPU from it just there."""
    draw = random.Random(seed).random
    sleep = time.sleep

    def profile(frame: Any, event: str, arg: Any) -> None:
        code = frame.f_code
        if (
            event == "call"
            and code.co_filename.endswith(CLIENT_CODE)
            and (not functions or code.co_name in functions)
            and draw() < chance
        ):
            sleep(pause)

    sys.setprofile(profile)


@contextlib.contextmanager
def switching_often() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


class Threads:
    """Threads whose exceptions are collected; ``join`` fails on a hang (deadlock)."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self.threads: list[threading.Thread] = []

    def start(self, target: Callable[..., None], *args: Any) -> None:
        def body() -> None:
            try:
                target(*args)
            except BaseException as error:
                self.errors.append(error)
            finally:
                sys.setprofile(None)

        thread = threading.Thread(target=body, daemon=True)
        self.threads.append(thread)
        thread.start()

    def join(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        hung = [t for t in self.threads if t.is_alive()]
        assert not hung, f"{len(hung)} thread(s) still running after {timeout} s: deadlock?"


def race_with_flushes(run: Any, work: Callable[[], None], seed: int) -> None:
    """Run ``work`` in a thread while another flushes ``run`` (``run.wait()``) without pause,
    both giving up the GIL at random calls into the client; fails on an error or a hang."""
    stop = threading.Event()
    threads = Threads()

    def flush() -> None:
        chaos(seed)
        while not stop.is_set():
            run.wait()

    def chaotic_work() -> None:
        chaos(seed + 1, chance=0.05)
        work()

    with switching_often():
        threads.start(flush)
        threads.start(chaotic_work)
        threads.threads[1].join(30)
        stop.set()
        threads.join()
    assert threads.errors == []


def finishes_while_held(lock: Any, work: Callable[[], None], timeout: float = 10.0) -> bool:
    """Whether ``work``, run in another thread, finishes while this thread holds ``lock``."""
    done = threading.Event()

    def body() -> None:
        work()
        done.set()

    with lock:
        worker = threading.Thread(target=body, daemon=True)
        worker.start()
        finished = done.wait(timeout)
    worker.join(timeout)
    return finished
