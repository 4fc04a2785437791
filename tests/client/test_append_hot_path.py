"""The lock-free append hot path: races, interrupts, forks, memory.

The hot path appends to the open buffer's column without a lock; whoever seals a buffer freezes
it first. These tests try to break that with real runs and real threads: flushes racing with
appends, explicit steps and clears racing with implicit steps, Ctrl-C at every point of the
write path, stop() and fork() while threads append, 10M appends through many flushes.

Races are made likely rather than hoped for: ``chaos()`` gives up the GIL at random calls into
nepnb's client code (a profile function that sleeps a few microseconds), so another thread runs
in the middle of whatever the chaotic thread was doing. Nothing is mocked.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import random
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nepnb as neptune
from nepnb.cli.main import main as nepnb_cli
from nepnb.exceptions import InactiveObject, MissingField, ValueDropped
from tests.helpers.races import CLIENT_CODE, Threads, chaos, switching_often

# helpers ---------------------------------------------------------------------------------


@pytest.fixture
def stored(reopen: Any) -> Callable[[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``stored(sys_id, path)``: (steps, values, timestamps in seconds) of a stored series,
    empty if there is none; through one read-only copy per object."""
    copies: dict[str, Any] = {}

    def read(sys_id: str, path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if sys_id not in copies:
            copies[sys_id] = reopen(sys_id)
        try:
            frame = copies[sys_id][path].fetch_values()
        except MissingField:
            return np.array([]), np.array([]), np.array([])
        stamps = frame["timestamp"].astype("int64").to_numpy() / 1e9
        return frame["step"].to_numpy(float), frame["value"].to_numpy(float), stamps

    return read


def assert_steps_count_up_from_zero(steps: np.ndarray) -> None:
    assert steps.tolist() == [float(i) for i in range(len(steps))]


# flushes racing with appends -------------------------------------------------------------


def test_hot_appends_racing_with_flushes_store_every_point_once(new_run: Any, stored: Any) -> None:
    run = new_run(mode="async", flush_period=0.001)
    sys_id = run["sys/id"].fetch()
    workers, points, paths = 3, 20_000, ("a/loss", "a/acc", "b")
    stop = threading.Event()
    threads = Threads()

    def flush() -> None:
        chaos(1)
        while not stop.is_set():
            run.wait()

    def work(worker: int) -> None:
        handlers = [run[path] for path in paths]
        for i in range(points):
            handlers[i % len(paths)].append(float(worker * points + i))

    with switching_often():
        threads.start(flush)
        for worker in range(workers):
            threads.start(work, worker)
        for thread in threads.threads[1:]:
            thread.join(15)
        stop.set()
        threads.join()
    assert threads.errors == []
    run.wait()
    everything = []
    for path in paths:
        steps, values, stamps = stored(sys_id, path)
        assert_steps_count_up_from_zero(steps)
        assert not np.isnan(stamps).any() and (stamps > 1e9).all()
        everything += values.tolist()
    assert sorted(everything) == [float(i) for i in range(workers * points)]


@pytest.mark.slow
def test_explicit_steps_racing_with_hot_appends_never_repeat_a_step(
    new_run: Any, stored: Any
) -> None:
    # The check "step > last step" and the freeze of the open buffer must be one: a hot append
    # landing in between gave that step to two points, and the store dropped one of them.
    run = new_run(mode="async", flush_period=0.001)
    sys_id = run["sys/id"].fetch()
    loss = run["loss"]
    loss.append(0.0)
    state = loss._hot_series  # its last step, for explicit steps that follow closely
    stop = threading.Event()
    threads = Threads()
    counts = {"implicit": 0, "explicit": 0}

    def implicit() -> None:
        while not stop.is_set():
            loss.append(1.0)
            counts["implicit"] += 1

    def explicit() -> None:
        chaos(2)
        try:
            for _ in range(3000):
                before = loss._hot_series.last() if loss._hot_series else state.last()
                with contextlib.suppress(ValueDropped):  # a step overtaken before the call
                    loss.append(2.0, step=before + 1.0)
        finally:
            stop.set()

    with switching_often():
        threads.start(implicit)
        threads.start(explicit)
        threads.join()
    assert threads.errors == []
    run.wait()  # a repeated step would be dropped here, with a ValueDropped (an error here)
    steps, values, _ = stored(sys_id, "loss")
    assert (np.diff(steps) > 0).all()
    assert (values == 1.0).sum() == counts["implicit"]


def test_clear_racing_with_appends_restarts_the_steps(new_run: Any, stored: Any) -> None:
    # A point appended between the CLEAR and the reset of the steps kept the old numbering,
    # and the store dropped the points after the reset until they overtook it.
    run = new_run(mode="async", flush_period=0.001)
    sys_id = run["sys/id"].fetch()
    loss = run["loss"]
    loss.append(0.0)
    stop = threading.Event()
    threads = Threads()

    def append() -> None:
        while not stop.is_set():
            loss.append(1.0)

    def clear() -> None:
        chaos(3, chance=0.5)
        try:
            for _ in range(200):
                run["loss"].clear()
                time.sleep(0.0005)
        finally:
            stop.set()

    with switching_often():
        threads.start(append)
        threads.start(clear)
        threads.join()
    assert threads.errors == []
    run["loss"].append(2.0)
    run.wait()
    steps, values, _ = stored(sys_id, "loss")
    assert_steps_count_up_from_zero(steps)
    assert values[-1] == 2.0


def test_deleting_the_parent_namespace_while_appending(new_run: Any, stored: Any) -> None:
    # The deleting thread pauses between dropping the series and queueing the DELETE: the
    # appending thread starts the series again meanwhile. Its points before the DELETE are
    # deleted, and the numbering of those after it starts from 0 (the store has no step).
    run = new_run(mode="async", flush_period=0.001)
    sys_id = run["sys/id"].fetch()
    stop = threading.Event()
    threads = Threads()

    def append() -> None:
        loss = run["a/b/loss"]
        while not stop.is_set():
            loss.append(1.0)
            run["a/b/acc"].append(0.5)

    def delete() -> None:
        chaos(4, chance=1.0, pause=0.001, functions=("_enqueue",))
        try:
            for _ in range(50):
                with contextlib.suppress(MissingField):  # nothing appended since the last one
                    del run["a"]
                time.sleep(0.001)
        finally:
            stop.set()

    threads.start(append)
    threads.start(delete)
    threads.join()
    for error in threads.errors:
        if isinstance(error, RuntimeError):
            raise error
    assert threads.errors == []
    with warnings.catch_warnings():
        # A series started again between the retire and the DELETE of one pop(), twice,
        # numbers both runs of points from 0: the store drops the second run with a warning,
        # but the DELETE that follows takes both anyway. Not a loss; what is left is checked.
        warnings.simplefilter("ignore", ValueDropped)
        run.wait()
    run["a/b/loss"].append(2.0)
    run.wait()
    steps, values, _ = stored(sys_id, "a/b/loss")
    assert_steps_count_up_from_zero(steps)
    assert values[-1] == 2.0
    assert_steps_count_up_from_zero(stored(sys_id, "a/b/acc")[0])


# Ctrl-C ----------------------------------------------------------------------------------


class InterruptAt:
    """A profile function raising KeyboardInterrupt at the k-th call into (or return from a
    C function called by) nepnb's client code: where a real Ctrl-C can land."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.calls = 0
        self.where = ""

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        if event in ("call", "c_return") and frame.f_code.co_filename.endswith(CLIENT_CODE):
            self.calls += 1
            if self.calls == self.k:
                self.where = f"{frame.f_code.co_name}:{frame.f_lineno} ({event})"
                raise KeyboardInterrupt


#: Calls into the client's code one sweep of the Ctrl-C test makes at most (a few hundred).
MAX_WRITE_PATH_CALLS = 5_000


@pytest.mark.slow
def test_ctrl_c_anywhere_in_the_write_path_loses_no_accepted_point(
    new_run: Any, stored: Any
) -> None:
    # One series per interrupt point: Ctrl-C at its k-th call, then the loop goes on. Every
    # append that returned is stored once; the interrupted one at most once; steps increase.
    run = new_run(mode="async", flush_period=600)
    sys_id = run["sys/id"].fetch()
    outcome: dict[int, tuple[list[float], list[float], str]] = {}
    escaped: list[str] = []
    k = 0
    while not escaped and k < MAX_WRITE_PATH_CALLS:
        k += 1
        loss, interrupt = run[f"s{k}"], InterruptAt(k)
        accepted: list[float] = []
        interrupted: list[float] = []
        explicit = 0
        for i in range(40):
            value = float(i)
            sys.setprofile(interrupt)
            try:
                if i % 5 == 3:
                    explicit += 1
                    loss.append(value, step=1e6 + explicit * 1000.0)
                elif i % 7 == 5:
                    run.wait()
                    continue
                else:
                    loss.append(value)
            except KeyboardInterrupt:
                interrupted.append(value)
                continue
            except Exception as error:
                escaped.append(f"k={k} at {interrupt.where}: {error!r}")
                continue
            finally:
                sys.setprofile(None)
            accepted.append(value)
        if not interrupt.where:
            break
        outcome[k] = (accepted, interrupted, interrupt.where)
    assert escaped == []
    assert not interrupt.where, f"not through the write path in {k} calls: it grows?"
    assert k > 300  # the sweep went through the whole write path
    run.stop()
    broken = []
    for k, (accepted, interrupted, where) in outcome.items():
        steps, values, _ = stored(sys_id, f"s{k}")
        problems = []
        if not (np.diff(steps) > 0).all():
            problems.append("steps do not increase")
        if len(set(values.tolist())) != len(values):
            problems.append("a point stored twice")
        if set(accepted) - set(values.tolist()):
            problems.append(f"lost {sorted(set(accepted) - set(values.tolist()))}")
        if set(values.tolist()) - set(accepted) - set(interrupted):
            problems.append("a point nobody appended")
        if problems:
            broken.append(f"k={k} at {where}: {', '.join(problems)}")
    assert broken == []


def test_real_sigints_during_a_tight_loop(new_run: Any, stored: Any) -> None:
    # A signal every ~0.3 ms, raised as KeyboardInterrupt when it lands in nepnb's client code
    # (not in the test's own bookkeeping, nor in the local store: not what is reviewed here).
    run = new_run(mode="async", flush_period=0.001)
    sys_id = run["sys/id"].fetch()
    loss = run["loss"]
    accepted = interrupted = elsewhere = 0
    others: list[BaseException] = []
    stop = threading.Event()

    def interrupt(signum: int, frame: Any) -> None:
        if frame is not None and frame.f_code.co_filename.endswith(CLIENT_CODE):
            raise KeyboardInterrupt

    def ring() -> None:
        while not stop.wait(0.0003):
            os.kill(os.getpid(), signal.SIGUSR1)

    previous = signal.signal(signal.SIGUSR1, interrupt)
    ringer = threading.Thread(target=ring, daemon=True)
    ringer.start()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # the ringer gets the GIL often enough
    try:
        deadline = time.monotonic() + 3
        i = 0
        while time.monotonic() < deadline:
            for _ in range(200):
                i += 1
                try:
                    loss.append(float(i))
                except KeyboardInterrupt:
                    interrupted += 1
                    continue
                except Exception as error:
                    others.append(error)
                    continue
                accepted += 1
            try:
                run.wait()
                run["other"].append(float(i), step=float(i))
            except KeyboardInterrupt:
                elsewhere += 1
            except Exception as error:
                others.append(error)
    finally:
        sys.setswitchinterval(interval)
        stop.set()
        ringer.join()
        signal.signal(signal.SIGUSR1, previous)
    assert interrupted > 20 and elsewhere > 20
    assert others == []
    run.wait()
    steps, values, _ = stored(sys_id, "loss")
    assert (np.diff(steps) > 0).all()
    assert len(set(values.tolist())) == len(values)
    # Every append that returned is stored; an interrupted one may or may not be.
    assert accepted <= len(values) <= accepted + interrupted


# lifecycle -------------------------------------------------------------------------------


def test_stop_while_another_thread_appends(new_run: Any, stored: Any) -> None:
    # An append that returned is stored, even when stop() ran between its check that the
    # series is live and its taking of the lock: the appending thread is paused just there.
    for attempt in range(6):
        run = new_run(mode="async", flush_period=0.001)
        sys_id = run["sys/id"].fetch()
        returned: list[float] = []
        threads = Threads()
        started = threading.Event()

        def append(
            run: Any = run,
            returned: list[float] = returned,
            started: Any = started,
            seed: int = attempt,
        ) -> None:
            chaos(seed, chance=0.5, pause=0.02, functions=("_float",))
            loss = run["loss"]
            for i in range(10**9):
                try:
                    loss.append(float(i))
                except InactiveObject:
                    return
                returned.append(float(i))
                if i == 100:
                    started.set()

        threads.start(append)
        assert started.wait(10)
        time.sleep(random.Random(attempt).random() * 0.03)
        run.stop()
        threads.join()
        assert threads.errors == []
        steps, values, _ = stored(sys_id, "loss")
        assert_steps_count_up_from_zero(steps)
        assert values.tolist() == returned


def test_fork_while_threads_append(new_run: Any, stored: Any) -> None:
    run = new_run(mode="async", flush_period=0.001)
    sys_id = run["sys/id"].fetch()
    stop = threading.Event()
    threads = Threads()

    def append(path: str) -> None:
        loss = run[path]
        i = 0
        while not stop.is_set():
            loss.append(float(i))
            i += 1

    for path in ("x", "y", "z"):
        threads.start(append, path)
    time.sleep(0.05)
    codes = []
    for _ in range(5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork of a threaded process
            pid = os.fork()
        if pid == 0:  # the child: the parent's run refuses writes, and nothing hangs
            code = 3
            try:
                run["x"].append(1.0)
            except InactiveObject:
                code = 0
            except BaseException:
                code = 4
            os._exit(code)
        deadline = time.monotonic() + 10
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                codes.append(os.waitstatus_to_exitcode(status))
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                codes.append("hung")
                break
            time.sleep(0.01)
        time.sleep(0.02)
    stop.set()
    threads.join()
    assert threads.errors == []
    assert codes == [0] * 5
    run.wait()
    for path in ("x", "y", "z"):
        steps, values, _ = stored(sys_id, path)
        assert_steps_count_up_from_zero(steps)
        assert values.tolist() == steps.tolist()


def test_resumed_run_continues_the_steps_through_racing_flushes(new_run: Any, stored: Any) -> None:
    first = new_run(mode="async", flush_period=0.001)
    sys_id = first["sys/id"].fetch()
    for i in range(1000):
        first["loss"].append(float(i))
    first.stop()
    for round_ in (1, 2):
        run = new_run(mode="async", flush_period=0.001, with_id=sys_id)
        threads = Threads()
        done = threading.Event()

        def flush(run: Any = run, done: Any = done) -> None:
            while not done.is_set():
                run.wait()

        threads.start(flush)
        loss = run["loss"]
        with switching_often():
            for i in range(5000 * round_ - 4000, 5000 * round_ + 1000):
                loss.append(float(i))
            done.set()
            threads.join()
        assert threads.errors == []
        run.stop()
    steps, values, _ = stored(sys_id, "loss")
    assert_steps_count_up_from_zero(steps)
    assert values.tolist() == steps.tolist()


def test_offline_hot_appends_are_uploaded_by_nepnb_sync(new_run: Any, objects: list[Any]) -> None:
    run = new_run(mode="offline", project="off/hot", flush_period=0.001)
    loss = run["loss"]
    for i in range(50_000):
        loss.append(float(i))
        if i % 5000 == 0:
            run.wait()
    run.stop()
    assert nepnb_cli(["sync"]) == 0
    project = neptune.init_project(project="off/hot", mode="read-only")
    objects.append(project)
    (sys_id,) = project.fetch_runs_table().to_pandas()["sys/id"].tolist()
    ro = neptune.init_run(with_id=sys_id, project="off/hot", mode="read-only")
    objects.append(ro)
    frame = ro["loss"].fetch_values()
    assert_steps_count_up_from_zero(frame["step"].to_numpy(float))
    assert frame["value"].tolist() == [float(i) for i in range(50_000)]


def test_shared_runs_number_points_in_the_store(
    new_run: Any, stored: Any, objects: list[Any]
) -> None:
    # Points of a custom_run_id run are numbered by the store: two writers interleave without
    # losing any, and neither takes the hot path (whose steps only it knows).
    a = new_run(mode="async", custom_run_id="shared-hot", flush_period=0.001)
    b = new_run(mode="async", custom_run_id="shared-hot", flush_period=0.001)
    sys_id = a["sys/id"].fetch()
    threads = Threads()
    for obj, offset in ((a, 0), (b, 10_000)):

        def append(obj: Any = obj, offset: int = offset) -> None:
            for i in range(10_000):
                obj["loss"].append(float(offset + i))

        threads.start(append)
    with switching_often():
        threads.join()
    assert threads.errors == []
    assert a["loss"]._hot_series is None and b["loss"]._hot_series is None
    a.wait()
    b.wait()
    steps, values, _ = stored(sys_id, "loss")
    assert_steps_count_up_from_zero(steps)
    assert sorted(values.tolist()) == [float(i) for i in range(20_000)]


def test_sync_mode_threads_store_every_append_once(new_run: Any, stored: Any) -> None:
    run = new_run(mode="sync")
    sys_id = run["sys/id"].fetch()
    threads = Threads()
    for worker in range(3):

        def append(worker: int = worker) -> None:
            for i in range(300):
                run["loss"].append(float(worker * 300 + i))

        threads.start(append)
    with switching_often():
        threads.join()
    assert threads.errors == []
    steps, values, _ = stored(sys_id, "loss")
    assert_steps_count_up_from_zero(steps)
    assert sorted(values.tolist()) == [float(i) for i in range(900)]


# values, timestamps, reads ---------------------------------------------------------------


def test_nan_inf_timestamps_and_explicit_steps_mixed_with_hot_appends(
    new_run: Any, stored: Any
) -> None:
    run = new_run(mode="async", flush_period=0.001)
    sys_id = run["sys/id"].fetch()
    loss = run["loss"]
    expected: list[tuple[float, float, float | None]] = []  # step, value, timestamp
    step = -1.0
    for i in range(3000):
        kind = i % 6
        value = (math.nan, math.inf, -math.inf, 0.5, -0.0, 1e308)[i % 6]
        if kind == 1:
            step += 3.0
            loss.append(value, step=step)
            expected.append((step, value, None))
        elif kind == 4:
            stamp = 1_600_000_000.0 + i
            step += 1.0
            loss.append(value, timestamp=stamp)
            expected.append((step, value, stamp))
        else:
            step += 1.0
            loss.append(value)
            expected.append((step, value, None))
        if i % 250 == 0:
            run.wait()
    run.wait()
    steps, values, stamps = stored(sys_id, "loss")
    assert steps.tolist() == [s for s, _, _ in expected]
    np.testing.assert_array_equal(values, np.array([v for _, v, _ in expected]))
    for got, (_, _, stamp) in zip(stamps, expected, strict=True):
        if stamp is not None:
            assert got == pytest.approx(stamp, abs=1e-3)


def test_fetch_values_right_after_wait_sees_every_append(new_run: Any) -> None:
    run = new_run(mode="async", flush_period=0.001)
    loss = run["loss"]
    total = 0
    for round_ in range(30):
        for _ in range(round_ * 37 + 1):
            loss.append(float(total))
            total += 1
        run.wait()
        frame = run["loss"].fetch_values()
        assert len(frame) == total
        assert frame["step"].iloc[-1] == total - 1


# memory ----------------------------------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_ten_million_appends_do_not_keep_flushed_buffers(new_run: Any) -> None:
    # A sealed column keeps itself frozen (its own export): a cycle, so without the thaw a
    # flushed buffer's memory waited for the cyclic GC, and a loop that allocates little grew
    # by all it logged (16 bytes a point). Here the collector is off throughout.
    from nepnb.client import buffers
    from nepnb.client.buffers import Column

    grace = getattr(buffers, "THAW_AFTER_SECONDS", 1.0)
    run = new_run(mode="async", flush_period=0.05)
    loss = run["loss"]
    gc.collect()
    for _ in range(1_000_000):
        loss.append(0.5)
    run.wait()
    time.sleep(grace)
    run.wait()
    baseline = _rss_mb()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as a loop that allocates nothing else would see it
    try:
        for _ in range(9):
            for _ in range(1_000_000):
                loss.append(0.5)
            run.wait()
        time.sleep(grace)
        run.wait()  # past the grace period: what was flushed is let go
        alive = sum(type(o) is Column for o in gc.get_objects())
        growth = _rss_mb() - baseline
    finally:
        if gc_was_enabled:
            gc.enable()
    assert alive <= 4  # the open buffer's two columns (and one in flight)
    # Kept, the 9M points would be 144 MB; the allocator's own noise is a few tens of MB.
    assert growth < 120, f"RSS grew by {growth:.0f} MB over 9M appends"
    run.wait()
    assert run["loss"].fetch_values(include_timestamp=False)["step"].iloc[-1] == 9_999_999


def test_a_column_an_append_still_holds_stays_frozen_past_the_grace_period() -> None:
    # The thaw after the grace period must not reach a column that an append read just before
    # the seal and has not used yet (its thread paused longer than that: a busy machine, a
    # SIGSTOP): the append would land in a buffer already shipped, and be lost.
    from nepnb.client.buffers import THAW_AFTER_SECONDS, Pipeline, SeriesState
    from nepnb.store.field_types import FieldType

    pipeline = Pipeline()
    state = SeriesState(pipeline, "loss", FieldType.FLOAT_SERIES, numbered=False)
    with state.lock:
        state.add(None, 1.0, 100.0)
    first = state.buffer
    in_flight = state.values
    assert first is not None and first.values is not None and in_flight is not None
    pipeline.drain()
    time.sleep(THAW_AFTER_SECONDS + 0.05)
    with state.lock:
        state.add(None, 2.0, 200.0)
    pipeline.drain()  # past the grace period
    with pytest.raises(BufferError):  # still frozen: that append goes under the lock
        in_flight.append(3.0)
    del in_flight
    time.sleep(THAW_AFTER_SECONDS + 0.05)
    pipeline.drain()
    assert first.values.frozen is None  # nobody holds it any more: let go
    with state.lock:
        assert state.add(None, 3.0, 300.0) == 2.0
