"""Chart data: downsampling a long float series, alone and end to end from the local store.

    .venv/bin/python bench/charts.py                      # 10,000,000 points (about 1 minute)
    .venv/bin/python bench/charts.py --points 1000000     # a quick try
    .venv/bin/python bench/charts.py --json out.json      # also save every figure
    .venv/bin/python bench/charts.py --browser            # and the chart widget in Chromium

1. ``nepnb.store.downsample.downsample`` of a 10,000,000-point float64 series to 2,000 buckets
   (min, max, last and count per bucket), against two naive ways to compute the same buckets
   in this process: pandas ``groupby(...).agg(min, max, last, count)`` and numpy's unbuffered
   ``np.fmin.at`` / ``np.fmax.at``. Their buckets are checked to be the same as nepnb's.
2. the same series logged to a LocalStore, then ``read_series_buckets`` of the whole series,
   of a 1% zoomed range (step axis) and of the whole series along time, against reading
   every point (``read_series``) and downsampling them (the Store interface's default).
3. (``--live``) a training loop's appends (W1 of bench/logging.py: ``run["m"].append(v)``)
   with and without a live chart of the series open: the chart's feed thread reads the store
   and the unflushed points a few times a second beside the loop.
4. (``--browser``) the inline chart widget of 10 runs x 1,000,000 points in a real JupyterLab in
   Debian's Chromium (as the browser tests run it): from running the cell ``nepnb.chart(ids,
   "m")`` to the chart's first paint with every series drawn.

Everything runs in this process, in a temp folder deleted afterwards unless ``--keep``.
See bench/README.md.
"""

from __future__ import annotations

import os
import sys

# `python bench/charts.py` puts bench/ first on sys.path, where bench/logging.py would shadow the
# standard library's `logging`: move bench/ to the end, so that `_report` is still found.
if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.dirname(
    os.path.realpath(__file__)
):
    sys.path.pop(0)
sys.path.append(os.path.dirname(os.path.realpath(__file__)))

import argparse
import gc
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _report import machine_info, render

from nepnb import __version__
from nepnb.store.base import ObjectKind, Store
from nepnb.store.downsample import SeriesBuckets, downsample
from nepnb.store.field_types import FieldType
from nepnb.store.local import LocalStore
from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints

#: nepnb's target: seconds to downsample 10,000,000 points to 2,000 buckets (median).
DOWNSAMPLE_TARGET = 0.2
#: nepnb's target: seconds from running a chart cell of 10 runs x 1,000,000 points to its
#: first paint in Chromium (median).
FIRST_PAINT_TARGET = 1.0
REPO_ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(f"[charts] {message}", file=sys.stderr, flush=True)


def median_time(function: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    """The median wall time of ``repeat`` calls (after a warm-up call), every time, a result."""
    result = function()
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def make_series(points: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 0..n-1, a noisy random walk with a few NaN, timestamps 10 ms apart."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(points).cumsum()
    values[rng.choice(points, max(points // 100_000, 1), replace=False)] = np.nan
    steps = np.arange(points, dtype=np.float64)
    times = 1.8e9 + steps * 0.01
    return steps, values, times


def bucket_index(x: np.ndarray, buckets: int) -> np.ndarray:
    """Each point's bucket by arithmetic (what the naive peers group by)."""
    low, high = x[0], x[-1]
    index = ((x - low) * buckets / (high - low)).astype(np.int64)
    return np.minimum(index, buckets - 1)


def naive_pandas(x: np.ndarray, y: np.ndarray, buckets: int) -> dict[str, np.ndarray]:
    frame = pd.DataFrame({"bucket": bucket_index(x, buckets), "x": x, "y": y})
    grouped = frame.groupby("bucket", sort=True)
    result = grouped.agg(x=("x", "last"), min=("y", "min"), max=("y", "max"), count=("y", "size"))
    last = grouped["y"].nth(-1).to_numpy()  # "last" in agg skips NaN; the last point does not
    return {
        "x": result["x"].to_numpy(),
        "min": result["min"].to_numpy(),
        "max": result["max"].to_numpy(),
        "last": last,
        "count": result["count"].to_numpy(),
    }


def naive_ufunc_at(x: np.ndarray, y: np.ndarray, buckets: int) -> dict[str, np.ndarray]:
    index = bucket_index(x, buckets)
    low = np.full(buckets, np.nan)
    high = np.full(buckets, np.nan)
    np.fmin.at(low, index, y)
    np.fmax.at(high, index, y)
    count = np.bincount(index, minlength=buckets)
    ends = np.cumsum(count)[count > 0]
    return {
        "x": x[ends - 1],
        "min": low[count > 0],
        "max": high[count > 0],
        "last": y[ends - 1],
        "count": count[count > 0],
    }


def same_buckets(ours: SeriesBuckets, theirs: dict[str, np.ndarray]) -> bool:
    return all(
        np.array_equal(getattr(ours, key), theirs[key], equal_nan=True)
        for key in ("x", "min", "max", "last", "count")
    )


def w1_downsample(args: argparse.Namespace) -> dict[str, Any]:
    x, y, _ = make_series(args.points)
    log(f"W1: downsample {args.points:,} points to {args.buckets:,} buckets ...")
    ours, ours_times, result = median_time(lambda: downsample(x, y, args.buckets), args.repeat)
    json_s, _, _ = median_time(lambda: json.dumps(result.to_json()), args.repeat)
    figures: dict[str, Any] = {
        "nepnb_s": ours,
        "nepnb_times": ours_times,
        "to_json_s": json_s,
        "buckets_out": len(result),
        "peers": {},
    }
    peers = {"pandas groupby": naive_pandas, "numpy ufunc.at": naive_ufunc_at}
    for name, peer in peers.items():
        log(f"W1: {name} ...")
        seconds, times, theirs = median_time(
            lambda peer=peer: peer(x, y, args.buckets), args.peer_repeat
        )
        figures["peers"][name] = {
            "s": seconds,
            "times": times,
            "same_buckets": same_buckets(result, theirs),
        }
    return figures


def w2_store(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    steps, values, times = make_series(args.points)
    store = LocalStore(tmp / "store")
    run = store.create_object("bench/charts", ObjectKind.RUN)
    log(f"W2: writing {args.points:,} points to a LocalStore ...")
    points = SeriesPoints(steps, values, times)
    start = time.perf_counter()
    store.apply(run.uid, Batch([Operation(OpKind.LOG, "m", FieldType.FLOAT_SERIES, points)]))
    write_s = time.perf_counter() - start
    store._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    width = (steps[-1] - steps[0]) * args.zoom
    middle = steps[len(steps) // 2]
    zoom = (middle, middle + width)

    def buckets(**kwargs: Any) -> Callable[[], SeriesBuckets]:
        return lambda: store.read_series_buckets(run.uid, "m", buckets=args.buckets, **kwargs)

    def every_point(**kwargs: Any) -> Callable[[], SeriesBuckets]:
        return lambda: Store.read_series_buckets(
            store, run.uid, "m", buckets=args.buckets, **kwargs
        )

    cases = {
        "whole series, steps": {},
        f"{args.zoom:.0%} zoom, steps": {"start": zoom[0], "end": zoom[1]},
        "whole series, time": {"x_axis": "time"},
    }
    figures: dict[str, Any] = {"write_s": write_s, "cases": {}}
    for name, kwargs in cases.items():
        log(f"W2: {name} ...")
        ours, ours_times, result = median_time(buckets(**kwargs), args.repeat)
        naive, naive_times, reference = median_time(every_point(**kwargs), args.peer_repeat)
        figures["cases"][name] = {
            "nepnb_s": ours,
            "nepnb_times": ours_times,
            "every_point_s": naive,
            "every_point_times": naive_times,
            "same_buckets": result.to_json() == reference.to_json(),
            "in_range": result.in_range,
        }
    store.close()
    return figures


def w4_live(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Appends per second with and without a live chart of the series being appended to."""
    os.environ["NEPNB_HOME"] = str(tmp / "live-home")
    import nepnb
    from nepnb.widgets import chart

    figures: dict[str, Any] = {"points": args.live_points}
    for case in ("no chart", "live chart"):
        times, pushes = [], []
        for _ in range(args.live_repeat):
            run = nepnb.init_run(
                capture_stdout=False, capture_stderr=False, capture_hardware_metrics=False
            )
            widget = chart(run, "m", show=False) if case == "live chart" else None
            handler = run["m"]
            handler.append(0.0)
            log(f"W4: {args.live_points:,} appends, {case} ...")
            start = time.perf_counter()
            for i in range(args.live_points):
                handler.append(float(i))
            times.append(time.perf_counter() - start)
            if widget is not None and widget.feed is not None:
                pushes.append(widget.feed.pushes)
                widget.close()
            run.stop()
        figures[case] = {
            "us_per_append": statistics.median(times) / args.live_points * 1e6,
            "times_s": times,
            "pushes": pushes,
        }
    return figures


def w3_browser(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """The chart widget's first paint in Chromium against a real JupyterLab (the browser
    tests' set-up: tests/helpers/servers.py, tests/ui)."""
    sys.path.insert(0, str(REPO_ROOT))
    from playwright.sync_api import sync_playwright

    from tests.helpers.lab import CHROMIUM, CHROMIUM_ARGS, cell, open_notebook, run_cells
    from tests.helpers.nbrun import notebook_dict, write_notebook
    from tests.helpers.servers import running_jupyter_lab

    runs, points = args.browser_runs, args.browser_points
    figures: dict[str, Any] = {"runs": runs, "points": points}
    with running_jupyter_lab(tmp / "lab", tmp / "jupyter-lab.log") as lab:
        store = LocalStore(lab.home)
        ids = []
        log(f"W3: writing {runs} runs x {points:,} points to the Lab's store ...")
        for seed in range(runs):
            info = store.create_object("local/default", ObjectKind.RUN)
            steps, values, times = make_series(points, seed=seed)
            op = Operation(
                OpKind.LOG, "m", FieldType.FLOAT_SERIES, SeriesPoints(steps, values, times)
            )
            store.apply(info.uid, Batch([op]))
            ids.append(info.sys_id)
        store.close()
        source = f"chart = nepnb.chart({ids!r}, 'm')"
        cells = ["import nepnb", *([source] * (args.browser_repeat + 1))]
        write_notebook(lab.root_dir / "bench.ipynb", notebook_dict(*cells))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            open_notebook(page, lab.lab_url("lab/tree/bench.ipynb"))
            run_cells(page, 1)
            times_ms = []
            for index in range(1, args.browser_repeat + 2):  # the first one warms up
                log(f"W3: chart cell {index} ...")
                cell(page, index).locator(".jp-InputArea-editor").click()
                started = page.evaluate("performance.now()")
                page.keyboard.press("Control+Enter")
                painted = page.wait_for_function(
                    """([index, runs]) => {
                        const c = document.querySelectorAll('.nepnb-ChartWidget .nepnb-Chart')[index];
                        return c && Number(c.dataset.series) === runs && Number(c.dataset.points) > 0
                            && performance.now();
                    }""",
                    arg=[index - 1, runs],
                    polling="raf",
                    timeout=120_000,
                ).json_value()
                if index > 1:
                    times_ms.append(painted - started)
                figures["drawn_points"] = int(
                    page.locator(".nepnb-ChartWidget .nepnb-Chart")
                    .nth(index - 1)
                    .get_attribute("data-points")
                    or 0
                )
            if args.browser_shot:
                page.screenshot(path=args.browser_shot)
            browser.close()
    figures["first_paint_s"] = statistics.median(times_ms) / 1000
    figures["first_paint_times_s"] = [t / 1000 for t in times_ms]
    return figures


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def report(
    args: argparse.Namespace,
    w1: dict[str, Any],
    w2: dict[str, Any],
    w3: dict[str, Any] | None,
    w4: dict[str, Any] | None,
) -> dict[str, Any]:
    machine = machine_info()
    print(
        f"\nnepnb {__version__}, numpy {np.__version__}, pandas {pd.__version__}; "
        f"{machine['cpu_model']} x{machine['cpus_usable']}, Python {machine['python']}"
    )
    print(
        f"{args.points:,} float64 points to {args.buckets:,} buckets; medians of {args.repeat} "
        f"runs (peers: {args.peer_repeat}) after one warm-up\n"
    )
    header = ["workload", "nepnb", "naive", "naive/nepnb", "same buckets"]
    rows = [["W1 downsample()", fmt_s(w1["nepnb_s"]), "", "", ""]]
    for name, peer in w1["peers"].items():
        rows.append(
            [
                f"W1   vs {name}",
                "",
                fmt_s(peer["s"]),
                f"{peer['s'] / w1['nepnb_s']:,.1f}x",
                "yes" if peer["same_buckets"] else "NO",
            ]
        )
    rows.append(["W1 to_json() + json.dumps", fmt_s(w1["to_json_s"]), "", "", ""])
    for name, case in w2["cases"].items():
        rows.append(
            [
                f"W2 read_series_buckets, {name}",
                fmt_s(case["nepnb_s"]),
                fmt_s(case["every_point_s"]),
                f"{case['every_point_s'] / case['nepnb_s']:,.1f}x",
                "yes" if case["same_buckets"] else "NO",
            ]
        )
    rows.append(["W2 (writing the series, once)", fmt_s(w2["write_s"]), "", "", ""])
    if w4 is not None:
        plain, live = w4["no chart"]["us_per_append"], w4["live chart"]["us_per_append"]
        rows.append([f"W4 append(), {w4['points']:,} points", f"{plain:.3f} µs", "", "", ""])
        rows.append(
            [
                f"W4 append() with a live chart ({max(w4['live chart']['pushes'] or [0])} pushes)",
                f"{live:.3f} µs",
                "",
                f"{live / plain:.2f}x",
                "",
            ]
        )
    if w3 is not None:
        rows.append(
            [
                f"W3 chart widget, {w3['runs']} runs x {w3['points']:,}: first paint",
                fmt_s(w3["first_paint_s"]),
                "",
                "",
                "",
            ]
        )
    print(render(header, rows))
    print(
        "\nnaive in W1: the same buckets by pandas groupby or numpy ufunc.at; in W2: reading "
        "every point (read_series) and downsampling them, the Store interface's default."
    )
    ok = w1["nepnb_s"] < DOWNSAMPLE_TARGET
    scaled = "" if args.points == 10_000_000 and args.buckets == 2_000 else " (stated at 10M/2,000)"
    print(
        f"\ntarget: downsample() < {DOWNSAMPLE_TARGET * 1000:.0f} ms{scaled}: "
        f"{fmt_s(w1['nepnb_s'])} {'PASS' if ok else 'FAIL'}"
    )
    if w3 is not None:
        painted = w3["first_paint_s"] < FIRST_PAINT_TARGET
        ok = ok and painted
        print(
            f"target: first paint of {w3['runs']} runs x {w3['points']:,} points in Chromium "
            f"< {FIRST_PAINT_TARGET:.0f} s (from running the cell; {w3['drawn_points']:,} points "
            f"drawn): {fmt_s(w3['first_paint_s'])} {'PASS' if painted else 'FAIL'}"
        )
    return {
        "machine": machine,
        "versions": {"nepnb": __version__, "numpy": np.__version__, "pandas": pd.__version__},
        "arguments": vars(args),
        "w1": w1,
        "w2": w2,
        "w3": w3,
        "w4": w4,
        "target": {
            "downsample_s": DOWNSAMPLE_TARGET,
            "first_paint_s": FIRST_PAINT_TARGET,
            "ok": ok,
        },
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=10_000_000, help="points of the series")
    parser.add_argument("--buckets", type=int, default=2_000, help="buckets asked for")
    parser.add_argument("--zoom", type=float, default=0.01, help="the zoomed range's share")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of nepnb's calls")
    parser.add_argument("--peer-repeat", type=int, default=3, help="timed runs of the naive ones")
    parser.add_argument("--json", help="also write every figure to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (the store)")
    parser.add_argument(
        "--browser", action="store_true", help="also time the chart widget's first paint (W3)"
    )
    parser.add_argument("--browser-runs", type=int, default=10, help="W3: runs on the chart")
    parser.add_argument("--browser-points", type=int, default=1_000_000, help="W3: points a run")
    parser.add_argument("--browser-repeat", type=int, default=3, help="W3: timed chart cells")
    parser.add_argument("--browser-shot", help="W3: save a screenshot of the page here")
    parser.add_argument(
        "--live", action="store_true", help="also time appends beside a live chart (W4)"
    )
    parser.add_argument("--live-points", type=int, default=3_000_000, help="W4: appends a loop")
    parser.add_argument("--live-repeat", type=int, default=3, help="W4: loops of each kind")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="nepnb-bench-charts-"))
    try:
        w1 = w1_downsample(args)
        gc.collect()
        w2 = w2_store(args, tmp)
        gc.collect()
        w4 = w4_live(args, tmp) if args.live else None
        gc.collect()
        w3 = w3_browser(args, tmp) if args.browser else None
        document = report(args, w1, w2, w3, w4)
        if args.json:
            Path(args.json).write_text(json.dumps(document, indent=1, default=str))
            log(f"wrote {args.json}")
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if document["target"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
