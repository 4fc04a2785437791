"""One workload of the logging benchmark for one client, in a fresh process.

``bench/logging.py`` runs this file once per (client, workload) with the client's own
interpreter: the project's venv for nepnb, ``bench/.venvs/<peer>`` for the peers. It reads a
JSON spec from the path given as its only argument and writes a JSON result to ``spec["out"]``.
It imports only the standard library and the one client under test, so that it runs in every
venv, and it must be started with ``python -P`` (or this guard below takes ``bench/`` off
``sys.path``): ``bench/logging.py`` would otherwise shadow the standard library's ``logging``.

The timed loops are written once, as templates, and each client's logging statement is pasted
into them: every client runs the same loop, with no wrapper call between the loop and the
client's own API.
"""

from __future__ import annotations

import os
import sys

if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.dirname(
    os.path.realpath(__file__)
):
    sys.path.pop(0)

import json
import math
import platform
import random
import resource
import textwrap
import time
import traceback
from typing import Any

PROJECT = "bench/logging"
SERIES = "m"
W1B_BATCH = 1000
PREP_CHUNK = 10_000
MB = 1024 * 1024

# ---------------------------------------------------------------------------------------------
# Timed loops. ``{stmt}`` / ``{body}`` lines are replaced by the client's code, indented to fit.
# Names the client code may use: run, client, run_id, wandb, Metric, time, i, v, chunk, base,
# step, keys, vals.

W1_LOOP = """
def loop(n, budget_ns, offsets, vals):
    perf = time.perf_counter_ns
    samples = []
    blocks = []
    done = 0
    t_first = perf()
    t_end = t_first
    deadline = t_first + budget_ns
    for b in range(n // 100):
        base = b * 100
        k = base + offsets[b]
        t_block = perf()
        for i in range(base, k):
            v = vals[i]
            {stmt}
        i = k
        v = vals[i]
        t_call = perf()
        {stmt}
        t_sample = perf()
        for i in range(k + 1, base + 100):
            v = vals[i]
            {stmt}
        t_end = perf()
        samples.append(t_sample - t_call)
        blocks.append(t_end - t_block)
        done = base + 100
        if t_end > deadline:
            break
    return done, t_first, t_end, samples, blocks
"""

W1B_LOOP = """
def loop(n, budget_ns, batch, vals):
    perf = time.perf_counter_ns
    calls = []
    done = 0
    t_first = perf()
    t_end = t_first
    deadline = t_first + budget_ns
    for base in range(0, n, batch):
        chunk = vals[base : base + batch]
        t_call = perf()
        {stmt}
        t_end = perf()
        calls.append(t_end - t_call)
        done = base + len(chunk)
        if t_end > deadline:
            break
    return done, t_first, t_end, calls
"""

W1N_LOOP = """
def loop(name, vals):
    perf = time.perf_counter_ns
    t_first = perf()
    for v in vals:
        {stmt}
    return perf() - t_first
"""

W2_LOOP = """
def loop(steps, budget_ns, keys, vals):
    perf = time.perf_counter_ns
    nser = len(keys)
    per_step = []
    done = 0
    t_first = perf()
    t_end = t_first
    deadline = t_first + budget_ns
    for step in range(steps):
        base = step * nser
        t_step = perf()
        {body}
        t_end = perf()
        per_step.append(t_end - t_step)
        done = step + 1
        if t_end > deadline:
            break
    return done, t_first, t_end, per_step
"""

# Each client's code for the loops above. None: the workload does not apply to that client.
# W1c runs W1b's loop over a numpy array (``chunk`` is a view of 1,000 float64); W1n runs
# W1N_LOOP once per number type (``name`` is that type's series); W2b is W2 with one dict of
# the step's 100 metrics per call (``names`` are the keys under the namespace "m").
NEPTUNE_LIKE = {
    "W1": 'run["m"].append(v)',
    "W1b": 'run["m"].extend(chunk)',
    "W1c": 'run["m"].extend(chunk)',
    "W1n": "run[name].append(v)",
    "W2": """
for key, v in zip(keys, vals[base : base + nser]):
    run[key].append(v)
""",
    "W2b": 'run["m"].append(dict(zip(names, vals[base : base + nser])))',
}
CODE: dict[str, dict[str, str | None]] = {
    "nepnb": NEPTUNE_LIKE,
    "neptune": NEPTUNE_LIKE,
    "mlflow": {
        "W1": 'client.log_metric(run_id, "m", v, step=i)',
        "W1b": """
ts = int(time.time() * 1000)
client.log_batch(run_id, metrics=[Metric("m", x, ts, base + j) for j, x in enumerate(chunk)])
""",
        "W2": """
ts = int(time.time() * 1000)
client.log_batch(
    run_id, metrics=[Metric(key, v, ts, step) for key, v in zip(keys, vals[base : base + nser])]
)
""",
        "W1c": None,
        "W1n": "client.log_metric(run_id, name, v)",
        "W2b": "mlflow.log_metrics(dict(zip(keys, vals[base : base + nser])), step=step)",
    },
    "wandb": {
        "W1": 'wandb.log({"m": v})',
        "W1b": None,
        "W1c": None,
        "W1n": "wandb.log({name: v})",
        "W2": "wandb.log(dict(zip(keys, vals[base : base + nser])))",
        "W2b": "wandb.log(dict(zip(keys, vals[base : base + nser])))",
    },
}


def _compile(template: str, placeholder: str, code: str, namespace: dict[str, Any]) -> Any:
    """The template's ``loop`` function with ``code`` pasted over each ``{placeholder}`` line."""
    lines = []
    for line in template.splitlines():
        if line.strip() == "{" + placeholder + "}":
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(textwrap.indent(textwrap.dedent(code).strip("\n"), indent))
        else:
            lines.append(line)
    scope = dict(namespace, time=time)
    exec(compile("\n".join(lines), f"<{placeholder} loop>", "exec"), scope)
    return scope["loop"]


# ---------------------------------------------------------------------------------------------
# Clients: open a run, close it (returns once the data is durable), read a series back.


class Client:
    name = ""
    module: Any = None

    def __init__(self, workdir: str) -> None:
        self.workdir = workdir
        self.run: Any = None
        self.run_id: str | None = None
        self.namespace: dict[str, Any] = {}

    def version(self) -> str:
        return str(getattr(self.module, "__version__", "?"))

    def available(self) -> str | None:
        """None when the client can run, else why not."""
        return None

    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def after_close(self) -> None:
        """Work after durability that should not be timed (helper process shutdown)."""

    def write_series(self, n: int, vals: list[float], budget_ns: int) -> int:
        """Writes the W3 series as fast as the client allows; returns how many points."""
        raise NotImplementedError

    def read_series(self, run_id: str) -> dict[str, Any]:
        raise NotImplementedError


class NeptuneLike(Client):
    mode = ""

    def __init__(self, workdir: str) -> None:
        super().__init__(workdir)
        import importlib

        self.module = importlib.import_module(self.name)

    def init_kwargs(self) -> dict[str, Any]:
        return {
            "project": PROJECT,
            "mode": self.mode,
            "capture_stdout": False,
            "capture_stderr": False,
            "capture_hardware_metrics": False,
            "capture_traceback": False,
            "source_files": [],
            "git_ref": False,
        }

    def open(self) -> None:
        self.run = self.module.init_run(**self.init_kwargs())
        self.namespace = {"run": self.run}

    def close(self) -> None:
        self.run.stop()

    def fetch_run_id(self) -> str:
        try:
            return str(self.run["sys/id"].fetch())
        except Exception:
            for attr in ("_sys_id", "sys_id", "_id", "id"):
                value = getattr(self.run, attr, None)
                if isinstance(value, str):
                    return value
            raise

    def write_series(self, n: int, vals: list[float], budget_ns: int) -> int:
        handler = self.run[SERIES]
        deadline = time.perf_counter_ns() + budget_ns
        done = 0
        try:
            handler.extend(vals[:PREP_CHUNK])
            done = min(n, PREP_CHUNK)
            while done < n and time.perf_counter_ns() < deadline:
                handler.extend(vals[done : done + PREP_CHUNK])
                done = min(n, done + PREP_CHUNK)
        except (AttributeError, NotImplementedError, TypeError):
            if done:
                raise
            for i in range(n):  # no extend(): append one by one
                self.run[SERIES].append(vals[i])
                done = i + 1
                if i % 1000 == 0 and time.perf_counter_ns() > deadline:
                    break
        self.run_id = self.fetch_run_id()
        return done

    def read_series(self, run_id: str) -> dict[str, Any]:
        # fetch_values() returns a DataFrame: load pandas before timing, as a pandas user has,
        # so that W3 measures reading the series and not the import (about 0.2 s here).
        import pandas  # noqa: F401

        t0 = time.perf_counter()
        run = self.module.init_run(project=PROJECT, with_id=run_id, mode="read-only")
        t1 = time.perf_counter()
        df = run[SERIES].fetch_values()
        t2 = time.perf_counter()
        rows = len(df)
        columns = [str(c) for c in getattr(df, "columns", [])]
        run.stop()
        return {"open_s": t1 - t0, "fetch_s": t2 - t1, "rows": rows, "columns": columns}


class Nepnb(NeptuneLike):
    name = "nepnb"
    mode = "async"

    def available(self) -> str | None:
        if not hasattr(self.module, "init_run"):
            return "nepnb.init_run does not exist yet (the client has not landed)"
        return None


class Neptune(NeptuneLike):
    name = "neptune"
    mode = "offline"


class Mlflow(Client):
    name = "mlflow"

    def __init__(self, workdir: str) -> None:
        super().__init__(workdir)
        import mlflow
        from mlflow import MlflowClient
        from mlflow.entities import Metric

        self.module = mlflow
        db = os.path.join(workdir, "mlflow.db")
        mlflow.set_tracking_uri(f"sqlite:///{db}")
        self.client = MlflowClient()
        self.Metric = Metric

    def open(self) -> None:
        self.module.set_experiment("bench-logging")
        self.run = self.module.start_run(log_system_metrics=False)
        self.run_id = self.run.info.run_id
        self.namespace = {
            "client": self.client,
            "run_id": self.run_id,
            "Metric": self.Metric,
            "mlflow": self.module,
        }

    def close(self) -> None:
        self.module.end_run()

    def write_series(self, n: int, vals: list[float], budget_ns: int) -> int:
        deadline = time.perf_counter_ns() + budget_ns
        done = 0
        while done < n and (done == 0 or time.perf_counter_ns() < deadline):
            ts = int(time.time() * 1000)
            chunk = vals[done : done + W1B_BATCH]
            metrics = [self.Metric(SERIES, x, ts, done + j) for j, x in enumerate(chunk)]
            self.client.log_batch(self.run_id, metrics=metrics)
            done += len(chunk)
        return done

    def read_series(self, run_id: str) -> dict[str, Any]:
        t1 = time.perf_counter()
        history = self.client.get_metric_history(run_id, SERIES)
        t2 = time.perf_counter()
        return {"open_s": None, "fetch_s": t2 - t1, "rows": len(history), "columns": []}


class Wandb(Client):
    name = "wandb"

    def __init__(self, workdir: str) -> None:
        super().__init__(workdir)
        import wandb

        self.module = wandb

    def open(self) -> None:
        wandb = self.module
        wanted = {
            "console": "off",
            "disable_git": True,
            "disable_code": True,
            "save_code": False,
            "disable_job_creation": True,
            "x_disable_stats": True,
            "x_disable_meta": True,
            "x_disable_machine_info": True,
        }
        known = set(getattr(wandb.Settings, "model_fields", wanted))
        settings = wandb.Settings(**{k: v for k, v in wanted.items() if k in known})
        self.run = wandb.init(
            project="bench-logging", mode="offline", dir=self.workdir, settings=settings
        )
        self.run_id = self.run.id
        self.namespace = {"wandb": wandb, "run": self.run}

    def close(self) -> None:
        self.run.finish()

    def after_close(self) -> None:
        teardown = getattr(self.module, "teardown", None)
        if teardown is not None:
            teardown()


CLIENTS: dict[str, type[Client]] = {c.name: c for c in (Nepnb, Neptune, Mlflow, Wandb)}
#: nepnb from another checkout (``bench/logging.py --baseline``): the same client and code.
CLIENTS["nepnb-base"] = Nepnb

# ---------------------------------------------------------------------------------------------
# Measurements.


def _percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _dist_us(ns_values: list[int], per: int = 1) -> dict[str, float]:
    values = sorted(x / 1000 / per for x in ns_values)
    return {"median": _percentile(values, 50), "p99": _percentile(values, 99)}


def _rss_now_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB
    except OSError:
        return math.nan


def _helpers_peak_mb() -> float:
    """Summed peak RSS (VmHWM) of this process's live descendants, such as wandb-core.

    Read before the run is closed, while they live; short-lived forks are not counted.
    """
    children: dict[int, list[int]] = {}
    try:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
    except OSError:
        return math.nan
    total_kb = 0
    todo = list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total_kb += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return total_kb / 1024


def _values(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.random() for _ in range(n)]


def _timed_close(client: Client, t_first_ns: int) -> dict[str, float]:
    helpers = _helpers_peak_mb()
    t0 = time.perf_counter_ns()
    client.close()
    t1 = time.perf_counter_ns()
    client.after_close()
    t2 = time.perf_counter_ns()
    return {
        "stop_s": (t1 - t0) / 1e9,
        "durable_s": (t1 - t_first_ns) / 1e9,
        "after_stop_s": (t2 - t1) / 1e9,
        "rss_helpers_peak_mb": helpers,
    }


def _timed_open(client: Client) -> float:
    t0 = time.perf_counter()
    client.open()
    return time.perf_counter() - t0


def _loop_figures(
    points: int, open_s: float, t_first: int, t_end: int, closed: dict[str, Any], rss_before: float
) -> dict[str, Any]:
    """What every logging workload reports: its loop's cost per point, and until durable."""
    return {
        "n": points,
        "open_s": open_s,
        "loop_s": (t_end - t_first) / 1e9,
        "us_per_point": (t_end - t_first) / 1000 / max(points, 1),
        **closed,
        "durable_us_per_point": closed["durable_s"] * 1e6 / max(points, 1),
        "rss_before_mb": rss_before,
    }


def w1(client: Client, spec: dict[str, Any]) -> dict[str, Any]:
    n = spec["n"] // 100 * 100
    vals = _values(n, spec["seed"])
    rng = random.Random(spec["seed"] + 1)
    offsets = [rng.randrange(100) for _ in range(n // 100)]
    open_s = _timed_open(client)
    loop = _compile(W1_LOOP, "stmt", CODE[client.name]["W1"] or "", client.namespace)
    rss_before = _rss_now_mb()
    done, t_first, t_end, samples, blocks = loop(n, spec["budget_ns"], offsets, vals)
    closed = _timed_close(client, t_first)
    lat = _dist_us(samples)
    blk = _dist_us(blocks, per=100)
    return {
        **_loop_figures(done, open_s, t_first, t_end, closed, rss_before),
        "lat_median_us": lat["median"],
        "lat_p99_us": lat["p99"],
        "block_median_us": blk["median"],
        "block_p99_us": blk["p99"],
        "latency_samples": len(samples),
    }


def w1b(client: Client, spec: dict[str, Any], numpy: bool = False) -> dict[str, Any]:
    """W1b: extend() of a list of 1,000 floats at a time; W1c (``numpy``): of a numpy array."""
    code = CODE[client.name]["W1c" if numpy else "W1b"]
    if code is None:
        return {"na": f"{client.name} has no batched append for one series"}
    n = spec["n"]
    vals: Any = _values(n, spec["seed"])
    if numpy:
        import numpy as np

        vals = np.array(vals, dtype=np.float64)
    open_s = _timed_open(client)
    loop = _compile(W1B_LOOP, "stmt", code, client.namespace)
    rss_before = _rss_now_mb()
    done, t_first, t_end, calls = loop(n, spec["budget_ns"], W1B_BATCH, vals)
    closed = _timed_close(client, t_first)
    call = _dist_us(calls)
    return {
        **_loop_figures(done, open_s, t_first, t_end, closed, rss_before),
        "batch": W1B_BATCH,
        "call_median_us": call["median"],
        "call_p99_us": call["p99"],
    }


def w1n(client: Client, spec: dict[str, Any]) -> dict[str, Any]:
    """W1n: one append per point of a Python float, int, np.float32, np.float64 and np.int64,
    each to a series of its own, in rounds taking turns (the same process, the same load)."""
    import numpy as np

    per_type = max(1000, spec["n"] // len(NUMBER_TYPES)) // 1000 * 1000
    rounds = 10
    chunk = per_type // rounds
    floats = _values(per_type, spec["seed"])
    rng = random.Random(spec["seed"] + 2)
    ints = [rng.randrange(-(2**62), 2**62) for _ in range(per_type)]
    made = {
        "float": floats,
        "int": ints,
        "f32": [np.float32(x) for x in floats],
        "f64": [np.float64(x) for x in floats],
        "i64": [np.int64(x) for x in ints],
    }
    open_s = _timed_open(client)
    loop = _compile(W1N_LOOP, "stmt", CODE[client.name]["W1n"] or "", client.namespace)
    spent = dict.fromkeys(NUMBER_TYPES, 0)
    done = dict.fromkeys(NUMBER_TYPES, 0)
    deadline = time.perf_counter_ns() + spec["budget_ns"]
    for r in range(rounds):
        for kind in NUMBER_TYPES:
            spent[kind] += loop(f"n/{kind}", made[kind][r * chunk : (r + 1) * chunk])
            done[kind] += chunk
        if time.perf_counter_ns() > deadline:
            break
    client.close()
    client.after_close()
    figures: dict[str, Any] = {"n": sum(done.values()), "open_s": open_s}
    for kind in NUMBER_TYPES:
        figures[f"{kind}_us"] = spent[kind] / 1000 / done[kind]
    figures["worst_vs_float"] = (
        max(figures[f"{kind}_us"] for kind in NUMBER_TYPES if kind != "float") / figures["float_us"]
    )
    return figures


NUMBER_TYPES = ("float", "int", "f32", "f64", "i64")


def w2(client: Client, spec: dict[str, Any], as_dict: bool = False) -> dict[str, Any]:
    """W2: one append per point, step by step; W2b (``as_dict``): one dict per step."""
    steps, nser = spec["steps"], spec["series"]
    keys = [f"m/{k}" for k in range(nser)]
    names = [str(k) for k in range(nser)]
    vals = _values(steps * nser, spec["seed"])
    code = CODE[client.name]["W2b" if as_dict else "W2"]
    open_s = _timed_open(client)
    loop = _compile(W2_LOOP, "body", code or "", dict(client.namespace, names=names))
    rss_before = _rss_now_mb()
    done, t_first, t_end, per_step = loop(steps, spec["budget_ns"], keys, vals)
    closed = _timed_close(client, t_first)
    points = done * nser
    step = _dist_us(per_step)
    return {
        **_loop_figures(points, open_s, t_first, t_end, closed, rss_before),
        "steps": done,
        "series": nser,
        "step_median_us": step["median"],
        "step_p99_us": step["p99"],
    }


def w3_prep(client: Client, spec: dict[str, Any]) -> dict[str, Any]:
    n = spec["n"]
    vals = _values(n, spec["seed"])
    client.open()
    t0 = time.perf_counter()
    done = client.write_series(n, vals, spec["budget_ns"])
    client.close()
    client.after_close()
    return {"n": done, "write_s": time.perf_counter() - t0, "run_id": client.run_id}


def w3(client: Client, spec: dict[str, Any]) -> dict[str, Any]:
    got = client.read_series(spec["run_id"])
    extra = {}
    if isinstance(client, NeptuneLike) and not {"step", "value", "timestamp"} <= set(
        got["columns"]
    ):
        extra["warning"] = f"fetch_values() columns are {got['columns']}, not step/value/timestamp"
    return {
        **extra,
        "n": got["rows"],
        "open_s": got["open_s"],
        "fetch_s": got["fetch_s"],
        "us_per_point": got["fetch_s"] * 1e6 / max(got["rows"], 1),
        "columns": got["columns"],
    }


WORKLOADS = {
    "W1": w1,
    "W1b": w1b,
    "W1c": lambda client, spec: w1b(client, spec, numpy=True),
    "W1n": w1n,
    "W2": w2,
    "W2b": lambda client, spec: w2(client, spec, as_dict=True),
    "W3prep": w3_prep,
    "W3": w3,
}


def main(spec_path: str) -> None:
    with open(spec_path) as f:
        spec = json.load(f)
    result: dict[str, Any] = {
        "client": spec["client"],
        "workload": spec["workload"],
        "python": platform.python_version(),
        "executable": sys.executable,
    }
    try:
        client = CLIENTS[spec["client"]](spec["workdir"])
        result["version"] = client.version()
        why_not = client.available()
        if why_not is not None:
            result["skipped"] = why_not
        elif spec["workload"] != "probe":
            result.update(WORKLOADS[spec["workload"]](client, spec))
    except BaseException as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc()
    result["rss_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(spec["out"], "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
