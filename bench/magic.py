"""What the ``%neptune`` cell capture costs in a real IPython kernel, against a baseline, in one command.

    .venv/bin/python bench/magic.py                      # full size (about 1 minute)
    .venv/bin/python bench/magic.py --cells 200 --lines 20000 --repeat 3   # a quick try
    .venv/bin/python bench/magic.py --json out.json      # also save every figure
    .venv/bin/python bench/magic.py --profile            # also cProfile the capturing kernel

Four kernels run side by side, started with jupyter_client's KernelManager, each in a temp
folder with its own NEPNB_HOME and IPYTHONDIR:

- ``plain``: no nepnb;
- ``load_ext``: ``%load_ext nepnb`` (nepnb's cell hooks registered, no run open);
- ``no-capture``: ``%load_ext nepnb`` + ``%neptune init_run --no-capture``;
- ``capture``: ``%load_ext nepnb`` + ``%neptune init_run`` (every cell logged to the run).

C1 and C2 send 1,000 small cells (``x = i + 1``, then ``print(i)``) to each kernel in turn, one
execute request at a time, and time request → execute_reply on the client; hooks installed in
each kernel time the cell inside it. P sends ``for i in range(100_000): print(i)`` and times
request → reply and request → last stream message on iopub. See bench/README.md.
"""

from __future__ import annotations

import os
import sys

# `python bench/magic.py` puts bench/ first on sys.path, where bench/logging.py would shadow the
# standard library's `logging` (jupyter_client imports it): move bench/ to the end.
if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.dirname(
    os.path.realpath(__file__)
):
    sys.path.pop(0)
sys.path.append(os.path.dirname(os.path.realpath(__file__)))

import argparse
import ast
import json
import math
import shlex
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from queue import Empty
from typing import Any

import zmq
from _report import machine_info, render
from jupyter_client.manager import KernelManager

CELL_TARGET_MS = 1.0  # capture adds less than this per cell (median)
PRINT_TARGET_RATIO = 1.5  # printing with capture on takes at most this many times as long

#: The kernels, in the order of the table, and the cells that set each one up (run as a user
#: would, each its own execute request, before anything is timed).
KERNELS: dict[str, list[str]] = {
    "plain": [],
    "load_ext": ["%load_ext nepnb"],
    "no-capture": ["%load_ext nepnb", "%neptune init_run --no-capture --no-checkpoint"],
    "capture": ["%load_ext nepnb", "%neptune init_run --no-checkpoint"],
}
CAPTURE = "capture"
#: The baselines the capturing kernel is compared with, as table columns.
BASELINES = ("load_ext", "no-capture", "plain")
#: The baselines a target is judged against (the others are shown, for reference).
TARGET_BASELINES = {"C": ("load_ext", "plain"), "P": ("load_ext", "no-capture")}

WORKLOADS = {
    "C1": ("x = {i} + 1", "cells `x = i + 1`"),
    "C2": ("print({i})", "cells `print(i)`"),
}
WARMUP_CELLS = 20
PRINT_CELL = "for i in range({lines}):\n    print(i)"

#: Installed in every kernel as the module ``nepnb_bench_hooks`` (kept out of the user's
#: namespace, so that nepnb's scan of the namespace sees what it would see anyway).
#: ``first_pre`` runs before every other pre_run_cell hook, ``last_post`` after every other
#: post_run_cell hook, so pre → post covers nepnb's hooks and the cell; nepnb's own hooks are
#: wrapped to time them alone.
HOOKS = r"""
import cProfile, io, json, pstats, time

perf = time.perf_counter
cells = {}  # execution count -> seconds from the first pre_run_cell hook to the last post_run_cell
nepnb = {}  # execution count -> [seconds in nepnb's pre_run_cell hooks, in its post_run_cell hooks]
profiler = None  # a cProfile.Profile while profiling
scope = "cell"  # what it profiles: "cell" (first pre → last post hook) or "hooks" (nepnb's)
_start = 0.0
_pending = [0.0, 0.0]


def first_pre(info):
    global _start
    _pending[0] = _pending[1] = 0.0
    if profiler is not None and scope == "cell":
        profiler.enable()
    _start = perf()


def last_post(result):
    elapsed = perf() - _start
    if profiler is not None and scope == "cell":
        profiler.disable()
    if result.execution_count is not None:
        cells[result.execution_count] = elapsed
        nepnb[result.execution_count] = list(_pending)


def _timed(callback, slot):
    def timed(arg):
        profiling = profiler is not None and scope == "hooks"
        if profiling:
            profiler.enable()
        started = perf()
        try:
            return callback(arg)
        finally:
            _pending[slot] += perf() - started
            if profiling:
                profiler.disable()

    timed.__wrapped__ = callback
    return timed


def install_first(shell):
    shell.events.callbacks["pre_run_cell"].insert(0, first_pre)


def install_last(shell):
    shell.events.callbacks["post_run_cell"].append(last_post)
    wrapped = []
    for event, slot in (("pre_run_cell", 0), ("post_run_cell", 1)):
        callbacks = shell.events.callbacks[event]
        for index, callback in enumerate(callbacks):
            owner = getattr(callback, "__self__", None)
            if type(owner).__module__.startswith("nepnb."):
                callbacks[index] = _timed(callback, slot)
                wrapped.append(f"{event}: {type(owner).__name__}.{callback.__name__}")
    pre, post = shell.events.callbacks["pre_run_cell"], shell.events.callbacks["post_run_cell"]
    return {"first": pre[0] is first_pre, "last": post[-1] is last_post, "wrapped": wrapped}


def dump():
    return json.dumps({"cells": cells, "nepnb": nepnb})


def profile_start(what):
    global profiler, scope
    profiler, scope = cProfile.Profile(), what


def profile_stop(top):
    global profiler
    stats, profiler = profiler, None
    out = io.StringIO()
    for key in ("cumulative", "tottime"):
        pstats.Stats(stats, stream=out).strip_dirs().sort_stats(key).print_stats(top)
    return out.getvalue()
"""

INSTALL = (
    "import sys as _s, types as _t\n"
    "_m = _t.ModuleType('nepnb_bench_hooks')\n"
    f"exec({HOOKS!r}, _m.__dict__)\n"
    "_s.modules['nepnb_bench_hooks'] = _m\n"
    "_m.install_first(get_ipython())\n"
    "del _s, _t, _m\n"
)
HOOKS_EXPR = "__import__('nepnb_bench_hooks')"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# One kernel and its execute requests.


@dataclass
class Reply:
    """One execute request as the client saw it (seconds since the request was sent)."""

    reply_s: float
    idle_s: float
    last_output_s: float | None
    execution_count: int | None
    status: str
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    user_expressions: dict[str, Any] = field(default_factory=dict)


class Kernel:
    """An IPython kernel of the project's venv, driven one execute request at a time."""

    def __init__(self, name: str, folder: Path, env: dict[str, str]) -> None:
        self.name = name
        self.folder = folder
        self.stderr_path = folder / "kernel-stderr.log"
        self._stderr = self.stderr_path.open("wb")
        self.manager = KernelManager(kernel_name="python3")
        # "python" in the kernelspec's argv is replaced by this interpreter.
        self.manager.start_kernel(
            cwd=str(folder), env=env, stdout=self._stderr, stderr=self._stderr
        )
        self.client = self.manager.blocking_client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)
        self.poller = zmq.Poller()
        self.shell_socket = self.client.shell_channel.socket
        self.iopub_socket = self.client.iopub_channel.socket
        self.poller.register(self.shell_socket, zmq.POLLIN)
        self.poller.register(self.iopub_socket, zmq.POLLIN)

    def execute(
        self,
        code: str,
        *,
        silent: bool = False,
        user_expressions: dict[str, str] | None = None,
        timeout: float = 600.0,
    ) -> Reply:
        """Send one execute request; wait for its reply and for the kernel to go idle on
        iopub, time-stamping every message as it arrives."""
        client = self.client
        content = {
            "code": code,
            "silent": silent,
            "store_history": not silent,
            "user_expressions": user_expressions or {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        message = client.session.msg("execute_request", content)
        msg_id = message["header"]["msg_id"]
        reply: dict[str, Any] | None = None
        reply_s = idle_s = 0.0
        last_output_s: float | None = None
        out: dict[str, list[str]] = {"stdout": [], "stderr": []}
        idle = False
        started = time.perf_counter()
        client.shell_channel.send(message)
        deadline = started + timeout
        while reply is None or not idle:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"kernel {self.name}: no reply within {timeout:.0f} s")
            ready = dict(self.poller.poll(min(left, 5.0) * 1000))
            now = time.perf_counter() - started
            if ready.get(self.shell_socket):
                msg = client.shell_channel.get_msg(timeout=0)
                if msg["parent_header"].get("msg_id") == msg_id:
                    reply, reply_s = msg, now
            if ready.get(self.iopub_socket):
                while True:
                    try:
                        msg = client.iopub_channel.get_msg(timeout=0)
                    except Empty:
                        break
                    if msg["parent_header"].get("msg_id") != msg_id:
                        continue
                    kind = msg["msg_type"]
                    if kind == "stream":
                        last_output_s = time.perf_counter() - started
                        out[msg["content"]["name"]].append(msg["content"]["text"])
                    elif kind == "status" and msg["content"]["execution_state"] == "idle":
                        idle, idle_s = True, time.perf_counter() - started
        assert reply is not None
        body = reply["content"]
        return Reply(
            reply_s=reply_s,
            idle_s=idle_s,
            last_output_s=last_output_s,
            execution_count=body.get("execution_count"),
            status=body["status"]
            if body["status"] == "ok"
            else f"{body.get('ename')}: {body.get('evalue')}",
            stdout=out["stdout"],
            stderr=out["stderr"],
            user_expressions=body.get("user_expressions", {}),
        )

    def run(self, code: str) -> Reply:
        """Execute a setup cell; it must succeed."""
        reply = self.execute(code)
        if reply.status != "ok":
            raise RuntimeError(f"kernel {self.name}: {code!r} failed: {reply.status}")
        return reply

    def evaluate(self, expression: str) -> Any:
        """The value of ``expression`` in the kernel (a Python literal), from a silent request
        (no history, no cell hooks)."""
        reply = self.execute("", silent=True, user_expressions={"value": expression})
        result = reply.user_expressions.get("value", {})
        if result.get("status") != "ok":
            raise RuntimeError(
                f"kernel {self.name}: {expression!r} failed: "
                f"{result.get('ename')}: {result.get('evalue')}"
            )
        return ast.literal_eval(result["data"]["text/plain"])

    def shutdown(self) -> None:
        try:
            self.client.stop_channels()
            self.manager.shutdown_kernel(now=False)
        finally:
            self._stderr.close()


def kernel_env(folder: Path, history: bool) -> dict[str, str]:
    """The user's environment without their tracking or IPython setup: a store and an IPython
    profile of the kernel's own (so that no extension is loaded from the user's config)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEPTUNE_", "NEPNB_"))}
    env["NEPNB_HOME"] = str(folder / "nepnb-home")
    env["IPYTHONDIR"] = str(folder / "ipython")
    if not history:  # IPython's SQLite history off: no history.sqlite writes between cells
        profile = folder / "ipython" / "profile_default"
        profile.mkdir(parents=True)
        (profile / "ipython_kernel_config.py").write_text("c.HistoryManager.enabled = False\n")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # the debugger's warning about frozen modules
    return env


def start_kernels(root: Path, history: bool) -> dict[str, Kernel]:
    kernels: dict[str, Kernel] = {}
    for name, setup in KERNELS.items():
        folder = root / name
        folder.mkdir()
        log(f"starting kernel {name} ...")
        kernel = Kernel(name, folder, kernel_env(folder, history))
        kernels[name] = kernel
        kernel.execute(INSTALL, silent=True)
        for code in setup:
            reply = kernel.run(code)
            if reply.stderr:
                log(f"  {name}: {code}: {''.join(reply.stderr).strip()}")
        check = kernel.evaluate(f"{HOOKS_EXPR}.install_last(get_ipython())")
        if not (check["first"] and check["last"]):
            raise RuntimeError(f"kernel {name}: the timing hooks are not first/last: {check}")
        if (name == "plain") == bool(check["wrapped"]):
            raise RuntimeError(f"kernel {name}: unexpected nepnb hooks: {check['wrapped']}")
    return kernels


def rotated(names: list[str], turn: int) -> list[str]:
    """The kernels in a different order each turn, so that none is always first."""
    turn %= len(names)
    return names[turn:] + names[:turn]


# ---------------------------------------------------------------------------------------------
# The workloads.


def run_cells(
    kernels: dict[str, Kernel], template: str, cells: int
) -> dict[str, dict[str, list[Any]]]:
    """``cells`` small cells (after a warm-up) to every kernel in turn; per kernel the client's
    request → reply and request → idle seconds and each timed cell's execution count."""
    names = list(kernels)
    raw: dict[str, dict[str, list[Any]]] = {
        n: {"reply_s": [], "idle_s": [], "count": []} for n in names
    }
    for i in range(-WARMUP_CELLS, cells):
        code = template.format(i=i)
        for name in rotated(names, i):
            reply = kernels[name].execute(code)
            if reply.status != "ok":
                raise RuntimeError(f"kernel {name}: {code!r} failed: {reply.status}")
            if i >= 0:
                raw[name]["reply_s"].append(reply.reply_s)
                raw[name]["idle_s"].append(reply.idle_s)
                raw[name]["count"].append(reply.execution_count)
    return raw


def run_prints(kernels: dict[str, Kernel], lines: int, repeat: int) -> dict[str, dict[str, Any]]:
    """The one cell printing ``lines`` lines, ``repeat`` times in every kernel in turn."""
    names = list(kernels)
    code = PRINT_CELL.format(lines=lines)
    expected = sum(len(str(i)) + 1 for i in range(lines))
    raw: dict[str, dict[str, Any]] = {
        n: {"reply_s": [], "last_output_s": [], "idle_s": [], "count": [], "problems": []}
        for n in names
    }
    for turn in range(repeat):
        for name in rotated(names, turn):
            reply = kernels[name].execute(code)
            entry = raw[name]
            entry["reply_s"].append(reply.reply_s)
            entry["last_output_s"].append(reply.last_output_s or math.nan)
            entry["idle_s"].append(reply.idle_s)
            entry["count"].append(reply.execution_count)
            received = sum(len(text) for text in reply.stdout)
            if reply.status != "ok" or received != expected or reply.stderr:
                entry["problems"].append(
                    f"status {reply.status}, {received:,} of {expected:,} characters on stdout"
                    + (f", stderr {''.join(reply.stderr)[:200]!r}" if reply.stderr else "")
                )
        log(
            f"  print round {turn + 1}/{repeat}: "
            + ", ".join(
                f"{n} {raw[n]['reply_s'][-1]:.2f}/{raw[n]['last_output_s'][-1]:.2f} s"
                for n in names
            )
        )
    return raw


def kernel_side(kernel: Kernel, counts: list[int]) -> dict[str, list[float]]:
    """The kernel's own timings of the cells with these execution counts."""
    data = json.loads(kernel.evaluate(f"{HOOKS_EXPR}.dump()"))
    cells, hooks = data["cells"], data["nepnb"]
    missing = [c for c in counts if str(c) not in cells]
    if missing:
        raise RuntimeError(f"kernel {kernel.name}: no kernel-side timing of cells {missing[:5]}")
    return {
        "cell_s": [cells[str(c)] for c in counts],
        "nepnb_pre_s": [hooks[str(c)][0] for c in counts],
        "nepnb_post_s": [hooks[str(c)][1] for c in counts],
    }


def captured(kernel: Kernel) -> str:
    """What the capturing kernel's run holds of the last cell's stdout (after a wait())."""
    expression = (
        "(run.wait(), run.exists('notebook/cells/stdout') and "
        "len(run['notebook/cells/stdout'].fetch_last()))[1]"
    )
    try:
        return str(kernel.evaluate(expression))
    except Exception as error:
        return f"? ({error})"


def profile(kernel: Kernel, cells: int, lines: int, top: int) -> dict[str, str]:
    """cProfile, inside the capturing kernel: nepnb's hooks over ``cells`` small cells of each
    kind, and one print cell whole (first pre → last post hook: the cell, the tees under its
    prints, nepnb's hooks)."""
    found: dict[str, str] = {}
    for label, scope, codes in (
        (f"nepnb's hooks, {cells:,} cells `x = i + 1`", "hooks", ["x = {i} + 1"] * cells),
        (f"nepnb's hooks, {cells:,} cells `print(i)`", "hooks", ["print({i})"] * cells),
        (f"one cell printing {lines:,} lines, whole", "cell", [PRINT_CELL]),
    ):
        kernel.evaluate(f"{HOOKS_EXPR}.profile_start({scope!r})")
        for i, code in enumerate(codes):
            kernel.execute(code.format(i=i, lines=lines))
        found[label] = kernel.evaluate(f"{HOOKS_EXPR}.profile_stop({top})")
    return found


# ---------------------------------------------------------------------------------------------
# Figures and the table.


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values``."""
    ordered = sorted(v for v in values if not math.isnan(v))
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    clean = [v for v in values if not math.isnan(v)]
    return {
        "median": statistics.median(clean) if clean else math.nan,
        "p90": pct(clean, 0.9),
        "mean": statistics.fmean(clean) if clean else math.nan,
        "min": min(clean) if clean else math.nan,
        "max": max(clean) if clean else math.nan,
    }


def ms(value: float) -> str:
    if math.isnan(value):
        return "—"
    return f"{value * 1e3:.3f}" if abs(value) < 0.01 else f"{value * 1e3:.2f}"


def seconds(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.3f}"


def diff_ms(value: float, base: float) -> str:
    return "—" if math.isnan(value) or math.isnan(base) else f"{(value - base) * 1e3:+.3f}"


def ratio(value: float, base: float) -> str:
    return "—" if math.isnan(value) or math.isnan(base) or base <= 0 else f"{value / base:.2f}x"


def build_table(
    figures: dict[str, Any], names: list[str]
) -> tuple[list[str], list[list[str]], list[str]]:
    header = [
        "workload / figure",
        *names,
        *(f"{CAPTURE} vs {base}" for base in BASELINES),
        "target",
    ]
    rows: list[list[str]] = []
    verdicts: list[str] = []

    def judged(label: str, stats: dict[str, float], passes: Any, target: str, what: str) -> str:
        """The target cell: PASS if the capturing kernel passes against every target baseline."""
        results = []
        for base in TARGET_BASELINES[label[0]]:
            ok = passes(stats[CAPTURE], stats[base])
            results.append(ok)
            shown = (
                diff_ms(stats[CAPTURE], stats[base]) + " ms"
                if label.startswith("C")
                else ratio(stats[CAPTURE], stats[base])
            )
            verdicts.append(
                f"{'PASS' if ok else 'FAIL'}  {label} {what}: {CAPTURE} vs {base} {shown}"
                f" (target {target})"
            )
        return f"{target} {'PASS' if all(results) else 'FAIL'}"

    for label in WORKLOADS:
        data = figures[label]
        rows.append(
            [
                f"{label} {WORKLOADS[label][1]} timed",
                *(f"{data['cells']:,}" for _ in names),
                "",
                "",
                "",
                "",
            ]
        )
        for source, title in (
            ("reply_s", "request → reply"),
            ("idle_s", "request → idle"),
            ("cell_s", "in kernel, first pre → last post hook"),
            ("nepnb_s", "in kernel, nepnb's hooks"),
        ):
            for stat in ("median", "p90", "mean"):
                if source in ("idle_s", "nepnb_s") and stat != "median":
                    continue
                stats = {n: data[n][source][stat] for n in names}
                row = [f"{label} {title} ms, {stat}"]
                row += [
                    ms(stats[n]) if not (source == "nepnb_s" and n == "plain") else "—"
                    for n in names
                ]
                row += [
                    diff_ms(stats[CAPTURE], stats[base])
                    if not (source == "nepnb_s" and base == "plain")
                    else ""
                    for base in BASELINES
                ]
                target = ""
                if source == "reply_s" and stat == "median":
                    target = judged(
                        label,
                        stats,
                        lambda value, base: value - base < CELL_TARGET_MS / 1e3,
                        f"< {CELL_TARGET_MS:g} ms",
                        "request → reply, median",
                    )
                rows.append([*row, target])
        # nepnb's hooks over a long session: its first tenth of the cells against its last
        for part in ("first", "last"):
            stats = {n: data[n][f"nepnb_{part}_tenth"] for n in names}
            first, last = data[f"{part}_tenth_counts"]
            rows.append(
                [
                    f"{label} in kernel, nepnb's hooks ms, median of cells {first}-{last}",
                    *(ms(stats[n]) if n != "plain" else "—" for n in names),
                    *(diff_ms(stats[CAPTURE], stats[b]) if b != "plain" else "" for b in BASELINES),
                    "",
                ]
            )

    data = figures["P"]
    rows.append(
        [
            f"P lines printed in one cell, x{data['repeat']}",
            *(f"{data['lines']:,}" for _ in names),
            "",
            "",
            "",
            "",
        ]
    )
    for source, title in (
        ("reply_s", "request → reply"),
        ("last_output_s", "request → last stream output"),
        ("idle_s", "request → idle"),
        ("cell_s", "in kernel, first pre → last post hook"),
        ("nepnb_s", "in kernel, nepnb's hooks"),
    ):
        stats = {n: data[n][source]["median"] for n in names}
        unit = "ms" if source == "nepnb_s" else "s"
        row = [f"P {title} {unit}, median"]
        show = ms if source == "nepnb_s" else seconds
        row += [
            show(stats[n]) if not (source == "nepnb_s" and n == "plain") else "—" for n in names
        ]
        if source == "nepnb_s":
            row += [diff_ms(stats[CAPTURE], stats[b]) if b != "plain" else "" for b in BASELINES]
        else:
            row += [ratio(stats[CAPTURE], stats[b]) for b in BASELINES]
        target = ""
        if source in ("reply_s", "last_output_s"):
            target = judged(
                "P",
                stats,
                lambda value, base: value <= PRINT_TARGET_RATIO * base,
                f"≤ {PRINT_TARGET_RATIO:g}x",
                f"{title}, median",
            )
        rows.append([*row, target])
    return header, rows, verdicts


def figures_of(raw: dict[str, Any], names: list[str], args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for label in WORKLOADS:
        out: dict[str, Any] = {"cells": args.cells}
        for n in names:
            r = raw[label][n]
            tenth = max(1, len(r["reply_s"]) // 10)
            nepnb_s = [a + b for a, b in zip(r["nepnb_pre_s"], r["nepnb_post_s"], strict=True)]
            out[n] = {
                "reply_s": summary(r["reply_s"]),
                "idle_s": summary(r["idle_s"]),
                "cell_s": summary(r["cell_s"]),
                "nepnb_s": summary(nepnb_s),
                "nepnb_pre_s": summary(r["nepnb_pre_s"]),
                "nepnb_post_s": summary(r["nepnb_post_s"]),
                "nepnb_first_tenth": statistics.median(nepnb_s[:tenth]),
                "nepnb_last_tenth": statistics.median(nepnb_s[-tenth:]),
            }
        counts = raw[label][CAPTURE]["count"]
        tenth = max(1, len(counts) // 10)
        out["first_tenth_counts"] = (counts[0], counts[tenth - 1])
        out["last_tenth_counts"] = (counts[-tenth], counts[-1])
        figures[label] = out
    figures["growth"] = {n: growth(raw, n) for n in names if n != "plain"}
    out = {"lines": args.lines, "repeat": args.repeat}
    for n in names:
        r = raw["P"][n]
        nepnb_s = [a + b for a, b in zip(r["nepnb_pre_s"], r["nepnb_post_s"], strict=True)]
        out[n] = {
            key: summary(r[key]) for key in ("reply_s", "last_output_s", "idle_s", "cell_s")
        } | {"nepnb_s": summary(nepnb_s)}
    figures["P"] = out
    return figures


def growth(raw: dict[str, Any], name: str) -> dict[str, float]:
    """How nepnb's hooks grow with the cells executed: least squares of their seconds against
    the execution count, over C1 and C2 (the cells of one session)."""
    counts: list[float] = []
    spent: list[float] = []
    for label in WORKLOADS:
        r = raw[label][name]
        counts += [float(c) for c in r["count"]]
        spent += [a + b for a, b in zip(r["nepnb_pre_s"], r["nepnb_post_s"], strict=True)]
    slope, intercept = statistics.linear_regression(counts, spent)
    return {
        "per_1000_cells_s": slope * 1000,
        "intercept_s": intercept,
        "at_10000_cells_s": intercept + slope * 10_000,
        "first_count": counts[0],
        "last_count": counts[-1],
    }


# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cells", type=int, default=1000, help="small cells timed per workload")
    parser.add_argument("--lines", type=int, default=100_000, help="lines the print cell prints")
    parser.add_argument("--repeat", type=int, default=5, help="times the print cell runs")
    parser.add_argument("--json", metavar="PATH", help="also write every figure to PATH")
    parser.add_argument(
        "--profile",
        action="store_true",
        default=None,
        help="also cProfile the capturing kernel afterwards (done anyway when a target FAILs)",
    )
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="never profile")
    parser.add_argument("--top", type=int, default=20, help="functions listed per profile")
    parser.add_argument(
        "--no-history",
        dest="history",
        action="store_false",
        help="turn IPython's SQLite history off in every kernel (less noise between cells)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder and print where")
    args = parser.parse_args(argv)
    for name in ("cells", "lines", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def command_line() -> str:
    python = os.path.relpath(sys.executable)
    if python.startswith(".."):
        python = sys.executable
    return shlex.join([python, *sys.argv])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="nepnb-bench-magic-"))
    kernels: dict[str, Kernel] = {}
    raw: dict[str, Any] = {}
    profiles: dict[str, str] = {}
    names = list(KERNELS)
    try:
        kernels = start_kernels(root, args.history)
        for label, (template, title) in WORKLOADS.items():
            log(f"{label}: {args.cells:,} {title} (+{WARMUP_CELLS} warm-up) in each kernel ...")
            raw[label] = run_cells(kernels, template, args.cells)
        log(f"P: {args.lines:,} lines in one cell, {args.repeat}x in each kernel ...")
        raw["P"] = run_prints(kernels, args.lines, args.repeat)
        for label in raw:
            for n in names:
                raw[label][n].update(kernel_side(kernels[n], raw[label][n]["count"]))
        stored = captured(kernels[CAPTURE])
        figures = figures_of(raw, names, args)
        header, rows, verdicts = build_table(figures, names)
        failed = any(v.startswith("FAIL") for v in verdicts)
        if args.profile or (failed and args.profile is not False):
            log("profiling the capturing kernel ...")
            profiles = profile(kernels[CAPTURE], args.cells, args.lines, args.top)
    finally:
        for kernel in kernels.values():
            try:
                kernel.shutdown()
            except Exception as error:  # a kernel that will not stop must not hide the figures
                log(f"kernel {kernel.name}: shutdown failed: {error}")
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    machine = machine_info()
    versions = {p: version(p) for p in ("nepnb", "ipykernel", "ipython", "jupyter_client", "pyzmq")}
    print()
    print(
        f"machine: {machine['cpu_model']}, {machine['cpu_count']} CPUs "
        f"({machine['cpus_usable']} usable), {machine['platform']}"
    )
    print(f"python {machine['python']}, " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"command: {command_line()}")
    print(
        "kernels: plain (no nepnb) | load_ext (%load_ext nepnb, no run) | no-capture "
        "(+ %neptune init_run --no-capture) | capture (+ %neptune init_run); IPython history "
        + ("on (the default)" if args.history else "off (--no-history)")
    )
    print()
    print(render(header, rows))
    print()
    print(
        f"C1/C2: {args.cells:,} cells per kernel after {WARMUP_CELLS} warm-up cells, the kernels "
        "taking turns cell by cell; `capture vs X` columns: capture minus X, in ms."
    )
    print(
        "request → reply: on the client, execute_request sent → execute_reply received (the "
        "post_run_cell hooks run before the reply); idle: status idle on iopub."
    )
    print(
        "in kernel: from a pre_run_cell hook placed before nepnb's to a post_run_cell hook "
        "after nepnb's (the cell and nepnb's hooks); nepnb's hooks: their own time."
    )
    print(
        f"P: `for i in range({args.lines:_}): print(i)`, {args.repeat}x per kernel, kernels "
        "taking turns; `capture vs X` columns: capture / X; last stream output: arrival of the "
        "last stream message on iopub."
    )
    for n, fit in figures["growth"].items():
        print(
            f"nepnb's hooks in {n}: {fit['per_1000_cells_s'] * 1e3:+.3f} ms per 1,000 cells "
            f"executed (least squares over cells {fit['first_count']:.0f}-"
            f"{fit['last_count']:.0f}), {ms(fit['at_10000_cells_s'])} ms at cell 10,000 if linear"
        )
    tee = figures["P"][CAPTURE]["cell_s"]["median"] - figures["P"]["no-capture"]["cell_s"]["median"]
    print(
        f"P: capture - no-capture in kernel = {tee * 1e3:.1f} ms, {tee / (2 * args.lines) * 1e6:.2f} µs "
        "per write (print writes the number and the newline: 2 writes a line)"
    )
    print(f"the capturing run holds {stored} characters of the last cell's stdout")
    for n in names:
        for problem in raw["P"][n]["problems"]:
            print(f"warning: P {n}: {problem}")
    print()
    print(
        f"targets: capture adds < {CELL_TARGET_MS:g} ms per cell (median); printing with "
        f"capture takes ≤ {PRINT_TARGET_RATIO:g}x as long as without"
    )
    for verdict in verdicts:
        print(f"  {verdict}")
    for label, text in profiles.items():
        print()
        print(f"cProfile in the capturing kernel: {label}")
        print(text.strip())
    wall = time.perf_counter() - started
    print()
    print(f"total {wall:.0f} s")
    if args.json:
        document = {
            "machine": machine,
            "versions": versions,
            "command": command_line(),
            "args": {k: v for k, v in vars(args).items() if k != "json"},
            "figures": figures,
            "raw": raw,
            "captured_stdout_chars": stored,
            "table": {"header": header, "rows": rows},
            "verdicts": verdicts,
            "profiles": profiles,
            "wall_s": wall,
        }
        Path(args.json).write_text(json.dumps(document, indent=1, default=str))
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
