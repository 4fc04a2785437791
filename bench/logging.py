"""Logging throughput of nepnb against the Neptune 1.14 client, MLflow and W&B, in one command.

    .venv/bin/python bench/logging.py                    # everything, full size
    .venv/bin/python bench/logging.py --scale 0.1        # a quick try at a tenth of the points
    .venv/bin/python bench/logging.py --only nepnb,neptune --json out.json
    .venv/bin/python bench/logging.py --setup            # only create the peers' venvs

Each (client, workload) runs in its own fresh process (``bench/_workloads.py``): nepnb with the
project's venv, each peer with a venv of its own that this script creates on first use under
``bench/.venvs/<peer>``. Peers are capped by a time budget per workload and figures compare per
point. See bench/README.md for what each workload and figure means.
"""

from __future__ import annotations

import os
import sys

# `python bench/logging.py` puts bench/ first on sys.path, where this very file would shadow the
# standard library's `logging` for every module imported after it (venv, for one).
if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.dirname(
    os.path.realpath(__file__)
):
    sys.path.pop(0)
    sys.path.append(os.path.dirname(os.path.realpath(__file__)))  # for _report, after the stdlib

import argparse
import json
import math
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from _report import machine_info, render
from _venvs import PEER_PINS, peer_python, setup_venvs

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKLOAD_SCRIPT = BENCH / "_workloads.py"

CLIENTS = ("nepnb", "neptune", "mlflow", "wandb")
BASELINE = "nepnb-base"  # nepnb from another checkout (--baseline)
WORKLOADS = ("W1", "W1b", "W1c", "W1n", "W2", "W2b", "W3")
FULL_N = 1_000_000
FULL_STEPS = 10_000
SERIES = 100

#: Environment for every child: nothing of a user's own tracking setup leaks in, nothing phones
#: home, nothing captures consoles, git or hardware.
CLIENT_ENV = {
    "nepnb": {},
    BASELINE: {},
    "neptune": {"NEPTUNE_MODE": "offline"},
    "mlflow": {
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING": "false",
        "GIT_PYTHON_REFRESH": "quiet",
    },
    "wandb": {
        "WANDB_MODE": "offline",
        "WANDB_SILENT": "true",
        "WANDB_CONSOLE": "off",
        "WANDB_DISABLE_GIT": "true",
        "WANDB_DISABLE_CODE": "true",
        "WANDB_SAVE_CODE": "false",
        "WANDB_ERROR_REPORTING": "false",
        "WANDB_X_DISABLE_STATS": "true",
        "WANDB_X_DISABLE_META": "true",
        "WANDB_X_DISABLE_MACHINE_INFO": "true",
    },
}
FOREIGN_ENV_PREFIXES = ("NEPTUNE_", "NEPNB_", "MLFLOW_", "WANDB_")

# ---------------------------------------------------------------------------------------------
# The table: (workload, result key, label, unit, compare as a ratio to nepnb).

ROWS: list[tuple[str, str, str, str, bool]] = [
    ("W1", "n", "points appended", "count", False),
    ("W1", "open_s", "init_run() s", "s", False),
    ("W1", "us_per_point", "loop µs/append (mean)", "us", True),
    ("W1", "lat_median_us", "per-call µs, median (sampled)", "us", True),
    ("W1", "lat_p99_us", "per-call µs, p99 (sampled)", "us", True),
    ("W1", "stop_s", "stop()/finish()/end_run() s", "s", False),
    ("W1", "durable_s", "first append → durable s", "s", False),
    ("W1", "durable_us_per_point", "first append → durable µs/point", "us", True),
    ("W1", "rss_peak_mb", "peak RSS MB", "mb", True),
    ("W1", "rss_helpers_peak_mb", "helper processes peak RSS MB", "mb", False),
    ("W1b", "n", "points in batches of 1,000", "count", False),
    ("W1b", "us_per_point", "loop µs/point", "us", True),
    ("W1b", "durable_s", "first batch → durable s", "s", False),
    ("W1b", "durable_us_per_point", "first batch → durable µs/point", "us", True),
    ("W1b", "rss_peak_mb", "peak RSS MB", "mb", True),
    ("W1c", "n", "points as numpy arrays of 1,000", "count", False),
    ("W1c", "us_per_point", "loop µs/point", "us", True),
    ("W1c", "durable_us_per_point", "first batch → durable µs/point", "us", True),
    ("W1c", "rss_peak_mb", "peak RSS MB", "mb", True),
    ("W1n", "n", "points appended, all types", "count", False),
    ("W1n", "float_us", "append(float) µs", "us", True),
    ("W1n", "int_us", "append(int) µs", "us", True),
    ("W1n", "f32_us", "append(np.float32) µs", "us", True),
    ("W1n", "f64_us", "append(np.float64) µs", "us", True),
    ("W1n", "i64_us", "append(np.int64) µs", "us", True),
    ("W1n", "worst_vs_float", "slowest type / float", "x", False),
    ("W2", "n", "points (steps x 100 series)", "count", False),
    ("W2", "us_per_point", "loop µs/point (mean)", "us", True),
    ("W2", "step_median_us", "per-step µs (100 points), median", "us", True),
    ("W2", "step_p99_us", "per-step µs (100 points), p99", "us", True),
    ("W2", "stop_s", "stop()/finish()/end_run() s", "s", False),
    ("W2", "durable_s", "first step → durable s", "s", False),
    ("W2", "durable_us_per_point", "first step → durable µs/point", "us", True),
    ("W2", "rss_peak_mb", "peak RSS MB", "mb", True),
    ("W2", "rss_helpers_peak_mb", "helper processes peak RSS MB", "mb", False),
    ("W2b", "n", "points (steps x one dict of 100)", "count", False),
    ("W2b", "us_per_point", "loop µs/point (mean)", "us", True),
    ("W2b", "step_median_us", "per-step µs (100 points), median", "us", True),
    ("W2b", "step_p99_us", "per-step µs (100 points), p99", "us", True),
    ("W2b", "durable_us_per_point", "first step → durable µs/point", "us", True),
    ("W2b", "rss_peak_mb", "peak RSS MB", "mb", True),
    ("W3", "n", "points read back", "count", False),
    ("W3", "open_s", "init_run(read-only) s", "s", False),
    ("W3", "fetch_s", "fetch_values()/get_metric_history() s", "s", False),
    ("W3", "us_per_point", "fetch µs/point", "us", True),
    ("W3", "rss_peak_mb", "peak RSS MB", "mb", True),
]

#: nepnb's targets: (workload, key) -> (comparison, threshold).
TARGETS: dict[tuple[str, str], tuple[str, float]] = {
    ("W1", "lat_median_us"): ("<=", 1.5),
    ("W1", "open_s"): ("<=", 0.02),
    ("W1b", "us_per_point"): ("<=", 0.05),
    ("W1c", "us_per_point"): ("<=", 0.02),
    ("W1n", "worst_vs_float"): ("<=", 1.5),
    ("W2b", "us_per_point"): ("<=", 0.2),
    ("W2", "us_per_point"): ("<=", 2.0),
    ("W1", "durable_s"): ("<", 1.5),
    ("W3", "fetch_s"): ("<", 0.15),
    ("W1", "rss_peak_mb"): ("<", 300.0),
    ("W1b", "rss_peak_mb"): ("<", 300.0),
    ("W2", "rss_peak_mb"): ("<", 300.0),
    ("W3", "rss_peak_mb"): ("<", 300.0),
}
#: Speed-up targets over a peer: (workload, key) -> (peer, at least this many times faster).
RATIO_TARGETS: dict[tuple[str, str], tuple[str, float]] = {
    ("W1", "us_per_point"): ("neptune", 50.0),
    ("W2", "us_per_point"): ("neptune", 50.0),
    ("W1b", "us_per_point"): ("neptune", 50.0),
    ("W2b", "us_per_point"): ("wandb", 20.0),
}
RATIO_PEERS = (BASELINE, "neptune", "mlflow", "wandb")

#: Why a workload does not apply to a client (no process is started for it).
NOT_APPLICABLE = {
    ("neptune", "W3"): "offline mode cannot fetch",
    ("wandb", "W3"): "offline W&B has no read API",
    ("wandb", "W1b"): "no batched append for one series",
    ("wandb", "W1c"): "no batched append for one series",
    ("mlflow", "W1c"): "no call that takes an array",
    ("neptune", "W1c"): "extend() does not take a numpy array",
    ("wandb", "W1n"): "its venv has no numpy",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Interpreters: the project's venv for nepnb, one venv per peer.


def nepnb_python() -> Path:
    candidate = ROOT / ".venv" / "bin" / "python"
    return candidate if candidate.exists() else Path(sys.executable)


# ---------------------------------------------------------------------------------------------
# Running one workload in a fresh process.


def child_env(client: str, workdir: Path, baseline: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_ENV_PREFIXES)}
    env.update(CLIENT_ENV[client])
    if client in ("nepnb", BASELINE):
        env["NEPNB_HOME"] = str(workdir / "nepnb-home")
        # Each nepnb from its own checkout, ahead of whatever the venv has installed.
        env["PYTHONPATH"] = os.pathsep.join(
            x for x in (baseline if client == BASELINE else str(ROOT), env.get("PYTHONPATH")) if x
        )
    if client == "wandb":
        for var, sub in (
            ("WANDB_DIR", ""),
            ("WANDB_CONFIG_DIR", "wandb-config"),
            ("WANDB_CACHE_DIR", "wandb-cache"),
            ("WANDB_DATA_DIR", "wandb-data"),
        ):
            env[var] = str(workdir / sub) if sub else str(workdir)
    return env


def run_child(
    client: str,
    workload: str,
    spec: dict[str, Any],
    workdir: Path,
    timeout: float,
    baseline: str | None = None,
) -> dict[str, Any]:
    python = nepnb_python() if client in ("nepnb", BASELINE) else peer_python(client)
    spec = dict(spec, client=client, workload=workload, workdir=str(workdir))
    spec["out"] = str(workdir / f"{workload}-result.json")
    spec_path = workdir / f"{workload}-spec.json"
    spec_path.write_text(json.dumps(spec))
    child_log = workdir / f"{workload}-child.log"
    started = time.perf_counter()
    try:
        with child_log.open("wb") as out:
            proc = subprocess.run(
                [str(python), "-P", str(WORKLOAD_SCRIPT), str(spec_path)],
                cwd=workdir,
                env=child_env(client, workdir, baseline),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )
        returncode: int | str = proc.returncode
    except subprocess.TimeoutExpired:
        returncode = f"timed out after {timeout:.0f} s"
    wall = time.perf_counter() - started
    try:
        result = json.loads(Path(spec["out"]).read_text())
    except (OSError, ValueError):
        tail = child_log.read_text(errors="replace")[-1500:]
        result = {"error": f"child exited {returncode} without a result; its output ends:\n{tail}"}
    result["process_wall_s"] = wall
    return result


def sizes(scale: float) -> tuple[int, int]:
    """Points for W1/W1b/W3 (a multiple of 100) and steps for W2 at this scale."""
    return max(100, round(FULL_N * scale) // 100 * 100), max(1, round(FULL_STEPS * scale))


def run_workload(client: str, workload: str, args: argparse.Namespace) -> dict[str, Any]:
    n, steps = sizes(args.scale)
    budget = args.nepnb_budget if client in ("nepnb", BASELINE) else args.budget
    spec: dict[str, Any] = {
        "n": n,
        "steps": steps,
        "series": SERIES,
        "budget_ns": int(budget * 1e9),
        "seed": 20240601,
    }
    timeout = budget * 2 + 600
    workdir = Path(tempfile.mkdtemp(prefix=f"nepnb-bench-{client}-{workload}-"))
    try:
        if workload != "W3":
            result = run_child(client, workload, spec, workdir, timeout, args.baseline)
            result["n_target"] = spec["steps"] * SERIES if workload.startswith("W2") else n
            return result
        prep = run_child(client, "W3prep", spec, workdir, timeout, args.baseline)
        if "error" in prep or "skipped" in prep:
            return prep
        read = run_child(
            client, "W3", dict(spec, run_id=prep["run_id"]), workdir, timeout, args.baseline
        )
        read["n_target"] = n
        read["prep"] = {k: prep.get(k) for k in ("n", "write_s", "rss_peak_mb")}
        if "error" not in read and read.get("n") != prep.get("n"):
            mismatch = f"wrote {prep.get('n')} points but read back {read.get('n')}"
            read["warning"] = "; ".join(x for x in (read.get("warning"), mismatch) if x)
        return read
    finally:
        if args.keep:
            log(f"  kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The table.


def fmt(value: Any, unit: str) -> str:
    if not isinstance(value, (int, float)) or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "count":
        return f"{int(value):,}"
    if unit == "mb":
        return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"
    if unit == "s":
        return f"{value:,.1f}" if value >= 100 else f"{value:.3f}"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 1 else f"{value:.3f}"


def passes(value: float, op: str, threshold: float) -> bool:
    return value <= threshold if op == "<=" else value < threshold


def cell(result: dict[str, Any] | None, key: str, unit: str) -> tuple[str, float | None]:
    """A table cell and its number (None when there is no number)."""
    if result is None:
        return "—", None
    for status, text in (("na", "n/a"), ("skipped", "skip"), ("error", "ERR")):
        if status in result:
            return text, None
    value = result.get(key)
    if not isinstance(value, (int, float)) or (key == "rss_helpers_peak_mb" and not value):
        return "—", None
    text = fmt(value, unit)
    if unit == "count" and value < result.get("n_target", value):
        text += "*"
    return text, float(value)


def build_table(
    clients: list[str], workloads: list[str], results: dict[str, dict[str, dict[str, Any]]]
) -> tuple[list[str], list[list[str]], list[str]]:
    with_nepnb = "nepnb" in clients
    ratio_peers = [p for p in RATIO_PEERS if with_nepnb and p in clients]
    header = ["workload / metric", *clients]
    if with_nepnb:
        header.insert(2, "nepnb target")
    header += [f"{p}/nepnb" for p in ratio_peers]
    rows: list[list[str]] = []
    verdicts: list[str] = []
    for workload, key, label, unit, ratio in ROWS:
        if workload not in workloads:
            continue
        cells = {c: cell(results.get(c, {}).get(workload), key, unit) for c in clients}
        if all(v is None for _, v in cells.values()) and key.startswith("rss_helpers"):
            continue
        row = [f"{workload} {label}", *(text for text, _ in cells.values())]
        if with_nepnb:
            target = TARGETS.get((workload, key))
            nep = cells["nepnb"][1]
            text = ""
            if target is not None:
                op, threshold = target
                text = f"{op} {threshold:g}"
                if nep is not None:
                    verdict = "PASS" if passes(nep, op, threshold) else "FAIL"
                    text += f" {verdict}"
                    verdicts.append(
                        f"{verdict}  {workload} {label}: {fmt(nep, unit)} (target {op} {threshold:g})"
                    )
            row.insert(2, text)
        for peer in ratio_peers:
            nep, other = cells["nepnb"][1], cells[peer][1]
            text = ""
            if ratio and nep is not None and other is not None and nep > 0:
                times = other / nep
                text = f"{times:,.0f}x" if times >= 100 else f"{times:.1f}x"
                ratio_target = RATIO_TARGETS.get((workload, key))
                if ratio_target is not None and ratio_target[0] == peer:
                    verdict = "PASS" if times >= ratio_target[1] else "FAIL"
                    text += f" ≥{ratio_target[1]:g} {verdict}"
                    verdicts.append(
                        f"{verdict}  {workload} {label}: nepnb {times:.1f}x faster than {peer}"
                        f" (target >= {ratio_target[1]:g}x)"
                    )
            row.append(text)
        rows.append(row)
    return header, rows, verdicts


def report(
    args: argparse.Namespace,
    clients: list[str],
    workloads: list[str],
    probes: dict[str, dict[str, Any]],
    results: dict[str, dict[str, dict[str, Any]]],
) -> dict[str, Any]:
    machine = machine_info()
    print()
    print(
        f"machine: {machine['cpu_model']}, {machine['cpu_count']} CPUs "
        f"({machine['cpus_usable']} usable), {machine['platform']}"
    )
    n, steps = sizes(args.scale)
    print(
        f"scale {args.scale:g}: W1/W1b/W3 {n:,} points, W2 {steps:,} steps x {SERIES} series; "
        f"loops capped at {args.budget:g} s (peers), {args.nepnb_budget:g} s (nepnb)"
    )
    for client in clients:
        probe = probes.get(client, {})
        version = probe.get("version", "?")
        status = ""
        for key in ("skipped", "error"):
            if key in probe:
                status = f"  [{key}: {str(probe[key]).splitlines()[0][:160]}]"
        print(f"  {client:8} {version:16} python {probe.get('python', '?')}{status}")
    print()
    header, rows, verdicts = build_table(clients, workloads, results)
    print(render(header, rows))
    print()
    print("*  fewer points than asked: the client hit its time budget; compare per-point figures.")
    print("n/a: the workload does not apply to that client; skip: the client is not available;")
    print("ERR: the run failed (below). Ratios are peer/nepnb: how many times nepnb is faster.")
    print("Per-call latency: one call at a random position in each block of 100 timed alone")
    print("(perf_counter_ns); durable = until stop()/finish()/end_run() returns.")
    for client in clients:
        for workload, result in results.get(client, {}).items():
            for key in ("error", "warning"):
                if key in result:
                    text = str(result[key]).strip()
                    print(f"{key}: {client} {workload}: {text.splitlines()[-1][:300]}")
    if verdicts:
        print()
        at = "" if args.scale == 1 else f" (stated for scale 1, run at {args.scale:g})"
        print(f"nepnb targets{at}")
        for verdict in verdicts:
            print(f"  {verdict}")
    return {
        "machine": machine,
        "args": {k: v for k, v in vars(args).items() if k != "json"},
        "versions": {c: probes.get(c, {}).get("version") for c in clients},
        "pins": PEER_PINS,
        "results": results,
        "table": {"header": header, "rows": rows},
        "verdicts": verdicts,
    }


# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--setup", action="store_true", help="only create the peers' venvs")
    parser.add_argument(
        "--only", default=",".join(CLIENTS), help=f"clients, comma-separated ({','.join(CLIENTS)})"
    )
    parser.add_argument(
        "--workloads", default=",".join(WORKLOADS), help=f"comma-separated ({','.join(WORKLOADS)})"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every point count")
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds a peer may spend in one loop"
    )
    parser.add_argument(
        "--nepnb-budget", type=float, default=600.0, help="seconds nepnb may spend in one loop"
    )
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help=f"also run nepnb from the checkout DIR (column {BASELINE}, ratio {BASELINE}/nepnb)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write every figure to PATH")
    parser.add_argument("--keep", action="store_true", help="keep each run's temp folder")
    args = parser.parse_args(argv)
    for name, allowed in (("only", CLIENTS), ("workloads", WORKLOADS)):
        chosen = [x.strip() for x in getattr(args, name).split(",") if x.strip()]
        unknown = sorted(set(chosen) - set(allowed))
        if unknown or not chosen:
            parser.error(f"--{name}: unknown {unknown}, choose from {','.join(allowed)}")
        setattr(args, name, [x for x in allowed if x in chosen])
    if not args.scale > 0:
        parser.error("--scale must be positive")
    if args.baseline:
        if not (Path(args.baseline) / "nepnb" / "__init__.py").is_file():
            parser.error(f"--baseline: {args.baseline} is not a nepnb checkout")
        args.only.insert(1, BASELINE)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    clients: list[str] = args.only
    workloads: list[str] = args.workloads
    peers = [c for c in clients if c not in ("nepnb", BASELINE)]
    failed = setup_venvs(peers, log) if peers else {}
    if args.setup:
        return 1 if failed else 0

    probes: dict[str, dict[str, Any]] = {}
    for client in clients:
        if client in failed:
            probes[client] = {"error": f"setup failed: {failed[client]}"}
            continue
        workdir = Path(tempfile.mkdtemp(prefix=f"nepnb-bench-{client}-probe-"))
        try:
            probes[client] = run_child(client, "probe", {}, workdir, 300, args.baseline)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if "skipped" in probes[client]:
            log(f"{client}: skipped: {probes[client]['skipped']}")
        elif "error" in probes[client]:
            log(f"{client}: cannot import: {probes[client]['error']}")

    results: dict[str, dict[str, dict[str, Any]]] = {c: {} for c in clients}
    for workload in workloads:
        for client in clients:
            probe = probes[client]
            if "error" in probe or "skipped" in probe:
                results[client][workload] = {
                    k: v for k, v in probe.items() if k in ("error", "skipped")
                }
                continue
            if (client, workload) in NOT_APPLICABLE:
                results[client][workload] = {"na": NOT_APPLICABLE[(client, workload)]}
                continue
            log(f"{workload} {client} ...")
            result = run_workload(client, workload, args)
            results[client][workload] = result
            summary = "error" if "error" in result else "n/a" if "na" in result else "ok"
            if summary == "ok":
                summary = f"{result.get('n', 0):,} points, µs/point {fmt(result.get('us_per_point'), 'us')}"
            log(f"{workload} {client}: {summary} ({result.get('process_wall_s', 0):.1f} s)")

    document = report(args, clients, workloads, probes, results)
    if args.json:
        Path(args.json).write_text(json.dumps(document, indent=1, default=str))
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
