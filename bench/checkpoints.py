"""Notebook checkpoints: upload time, store growth, and compare time against nbdime, in one command.

    .venv/bin/python bench/checkpoints.py                  # full size (about 2 minutes)
    .venv/bin/python bench/checkpoints.py --scale 0.1      # a quick try on smaller notebooks
    .venv/bin/python bench/checkpoints.py --json out.json  # also save every figure
    .venv/bin/python bench/checkpoints.py --profile        # also cProfile nepnb's side

1. a synthetic 1,000-cell notebook of about 20 MB (text outputs, tables and plots): read it,
   upload it into an empty store, upload it again unchanged;
2. 100 successive checkpoints of it, each editing and re-running 1% of its cells: how much the
   store grows, against the notebook's file size;
3. two 1,000-cell notebooks of about 3.4 MB that differ in 5% of their cells (plus 1% inserted
   and 1% deleted): ``Checkpoints.compare`` against nbdime's ``diff_notebooks``, side by side;
4. a notebook of 1,000 plots, 2% of them re-rendered: how long ``Checkpoints.compare`` takes.
5. long text outputs (one line changed, every line changed), against nbdime;
6. repeated lines: one line inserted into an output of 10,000 identical lines, and into a
   50 MB output, against nbdime's ``diff_notebooks`` on the same pair (nbdime in a process of
   its own, stopped after ``--nbdime-timeout`` seconds);
7. the commands: ``nepnb checkpoint diff`` of two 1,000-cell notebooks, wall time of the whole
   process, against ``nbdiff`` on the same pair.

``--only 6 7`` runs only those workloads (they need no store) and prints their rows.

Everything runs in this process with NEPNB_HOME in a temp folder (deleted afterwards unless
``--keep``). The notebooks come from bench/_notebooks.py. See bench/README.md.
"""

from __future__ import annotations

import os
import sys

# `python bench/checkpoints.py` puts bench/ first on sys.path, where bench/logging.py would shadow
# the standard library's `logging` for every module imported after it: move bench/ to the end, so
# that `_notebooks` is still found but the standard library comes first.
if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.dirname(
    os.path.realpath(__file__)
):
    sys.path.pop(0)
sys.path.append(os.path.dirname(os.path.realpath(__file__)))

import argparse
import copy
import cProfile
import gc
import json
import math
import pstats
import random
import shutil
import sqlite3
import statistics
import tempfile
import textwrap
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _notebooks
import nbformat
from _report import machine_info, render
from nbdime.diffing.notebooks import diff_notebooks

from nepnb.config import NEPNB_HOME_ENV, default_home
from nepnb.notebooks import Checkpoints, CompareOptions, read_notebook, with_notebook_id
from nepnb.store.local import LocalStore

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
MB = 1_000_000
PROJECT = "bench/checkpoints"
AUTHOR = "bench"

#: Sizes at --scale 1.
FULL_CELLS = 1000
FULL_SIZE = 20_000_000
FULL_CHECKPOINTS = 100
FULL_COMPARE_SIZE = 3_400_000
#: Shares of cells changed.
SERIES_CHANGE = 0.01  # per checkpoint, workload 2
COMPARE_CHANGE, COMPARE_INSERT, COMPARE_DELETE = 0.05, 0.01, 0.01  # workload 3
IMAGES_CHANGE = 0.02  # workload 4
#: The chance that a re-run cell's plot is re-rendered (the rest come out the same).
IMAGE_RERENDER = 0.5

#: The targets: key -> (comparison, threshold, what).
TARGETS: dict[str, tuple[str, float, str]] = {
    "upload_s": ("<", 0.5, "Checkpoints.upload of the 20 MB notebook, empty store (median)"),
    "growth_next_ratio": ("<", 1.2, "store growth over the 100 checkpoints after the first"),
    "compare_speedup": (">=", 3.0, "Checkpoints.compare(id_a, id_b) vs nbdime diff_notebooks"),
    "images_compare_s": ("<", 5.0, "compare of the 1,000-plot notebook ('in seconds': < 5 s)"),
    "long_output_s": ("<", 1.0, "compare of a 5,000-line output changed on every line"),
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def note(text: str) -> None:
    """A paragraph under the table, wrapped to 100 columns."""
    print(textwrap.fill(text, 100, subsequent_indent="   ", break_on_hyphens=False))


# ---------------------------------------------------------------------------------------------
# Helpers.


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    result = function()
    return time.perf_counter() - t0, result


def open_checkpoints(home: Path) -> Checkpoints:
    """A store in ``home``, found as nepnb finds it (NEPNB_HOME), and its project."""
    os.environ[NEPNB_HOME_ENV] = str(home)
    return Checkpoints(LocalStore(default_home()), PROJECT)


def store_size(store: LocalStore) -> dict[str, int]:
    """Bytes of every file in the store folder, after folding the WAL into the database."""
    con = sqlite3.connect(store.db_path)
    try:
        busy, _, _ = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        parts, raw, compressed = con.execute(
            "SELECT count(*), coalesce(sum(size), 0), coalesce(sum(length(data)), 0) FROM parts"
        ).fetchone()
    finally:
        con.close()
    if busy:
        log("warning: the WAL could not be truncated (a reader was busy); sizes include it")
    sizes = {"db": 0, "blobs": 0, "other": 0}
    for folder, _, files in os.walk(store.home):
        for name in files:
            path = Path(folder) / name
            if path.parent == store.home and name.startswith("nepnb.db"):
                key = "db"
            elif store.blobs.root in path.parents:
                key = "blobs"
            else:
                key = "other"
            sizes[key] += path.stat().st_size
    return {
        "total": sum(sizes.values()),
        **sizes,
        "parts": parts,
        "parts_raw": raw,
        "parts_compressed": compressed,
    }


def table_pages(store: LocalStore) -> dict[str, dict[str, int]]:
    """Per table or index: bytes of its pages, of the payload in them, and unused (dbstat)."""
    con = sqlite3.connect(store.db_path)
    try:
        rows = con.execute(
            "SELECT name, sum(pgsize), sum(payload), sum(unused) FROM dbstat GROUP BY name"
        ).fetchall()
    except sqlite3.OperationalError:  # SQLite built without the dbstat table
        return {}
    finally:
        con.close()
    return {name: {"pages": p, "payload": d, "unused": u} for name, p, d, u in rows}


def part_digests(store: LocalStore) -> set[str]:
    con = sqlite3.connect(store.db_path)
    try:
        return {digest for (digest,) in con.execute("SELECT digest FROM parts")}
    finally:
        con.close()


def parts_by_kind(store: LocalStore, skip: set[str]) -> dict[str, dict[str, int]]:
    """The parts not in ``skip``, by what they hold (told from their content, so that this
    follows nepnb's snapshot format loosely): manifests, lists of digests (groups of cells),
    cell entries, sources, image outputs, other outputs. Count, raw and stored bytes of each."""
    con = sqlite3.connect(store.db_path)
    try:
        rows = [
            (digest, size, data)
            for digest, size, data in con.execute("SELECT digest, size, data FROM parts")
            if digest not in skip
        ]
        decoded = store.get_parts([digest for digest, _, _ in rows])
        manifests = {m for (m,) in con.execute("SELECT manifest FROM checkpoints")}
    finally:
        con.close()
    values: dict[str, Any] = {}
    sources: set[str] = set()
    for digest, _, _ in rows:
        try:
            values[digest] = value = json.loads(decoded[digest])
        except ValueError:
            continue
        if isinstance(value, dict) and "cell_type" in value:
            sources.add(value.get("source"))
    totals: dict[str, dict[str, int]] = {}
    for digest, size, data in rows:
        value = values.get(digest)
        if digest in manifests:
            kind = "manifests"
        elif digest in sources:
            kind = "sources"
        elif isinstance(value, list) and all(isinstance(x, str) and len(x) == 64 for x in value):
            kind = "digest lists"
        elif isinstance(value, dict) and "cell_type" in value:
            kind = "cell entries"
        elif isinstance(value, dict) and "output_type" in value:
            data_field = value.get("data")
            images = isinstance(data_field, dict) and any(
                m.startswith("image/") for m in data_field
            )
            kind = "image outputs" if images else "text outputs"
        else:
            kind = "other"
        row = totals.setdefault(kind, {"parts": 0, "raw": 0, "stored": 0})
        row["parts"] += 1
        row["raw"] += size
        row["stored"] += len(data)
    return totals


def upload(cps: Checkpoints, notebook: dict[str, Any], path: str, message: str) -> Any:
    return cps.upload(notebook, path=path, message=message, author=AUTHOR)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def write_notebook(generator: _notebooks.SyntheticNotebook, path: Path) -> tuple[str, int]:
    text = generator.text()
    path.write_text(text, encoding="utf-8")
    return text, path.stat().st_size


def nbdime_cell_ops(diff: list[dict[str, Any]]) -> dict[str, int]:
    """How nbdime's diff touches the cells: counts of its cell-level operations."""
    counts = {"patch": 0, "addrange": 0, "removerange": 0, "added": 0, "removed": 0}
    for op in diff:
        if op.get("key") != "cells":
            continue
        for cell_op in op.get("diff", []):
            counts[cell_op["op"]] = counts.get(cell_op["op"], 0) + 1
            if cell_op["op"] == "addrange":
                counts["added"] += len(cell_op["valuelist"])
            elif cell_op["op"] == "removerange":
                counts["removed"] += cell_op["length"]
    return counts


class Sizes:
    def __init__(self, scale: float) -> None:
        self.cells = max(20, round(FULL_CELLS * scale))
        self.size = max(200_000, round(FULL_SIZE * scale))
        self.checkpoints = max(3, round(FULL_CHECKPOINTS * scale))
        self.compare_size = max(100_000, round(FULL_COMPARE_SIZE * scale))

    def share(self, fraction: float, cells: int | None = None) -> int:
        return max(1, round((cells or self.cells) * fraction))


# ---------------------------------------------------------------------------------------------
# The workloads. Each returns its figures, and registers for its target a setup that returns
# nepnb's timed call, to be redone under cProfile.

Profiles = dict[str, Callable[[], Callable[[], Any]]]
#: For a target, more diagnostics to run with its profile: a function returning printable lines.
Diagnostics = dict[str, Callable[[], list[str]]]


def w1_upload(
    args: argparse.Namespace, tmp: Path, profiles: Profiles, diagnostics: Diagnostics
) -> dict[str, Any]:
    sizes = Sizes(args.scale)
    log(f"1: generating a {sizes.cells:,}-cell notebook of about {sizes.size / MB:.1f} MB ...")
    t0 = time.perf_counter()
    generator = _notebooks.SyntheticNotebook(sizes.cells, sizes.size, seed=1)
    path = tmp / "big.ipynb"
    _, file_size = write_notebook(generator, path)
    log(f"1: {file_size / MB:.1f} MB, {generator.stats()} ({time.perf_counter() - t0:.0f} s)")
    reads, uploads, seconds, news = [], [], [], []
    for r in range(args.repeat):
        cps = open_checkpoints(tmp / f"w1-store-{r}")
        read_s, notebook = timed(lambda: read_notebook(path))
        upload_s, up = timed(lambda c=cps, n=notebook: upload(c, n, "big.ipynb", "First"))
        again_s, up2 = timed(lambda c=cps, u=up: upload(c, u.notebook, "big.ipynb", "Unchanged"))
        reads.append(read_s)
        uploads.append(upload_s)
        seconds.append(again_s)
        news.append((up.new_parts, up2.new_parts))
        cps.store.close()
        log(f"1: read {read_s:.3f} s, upload {upload_s:.3f} s, unchanged upload {again_s:.3f} s")
    notebook = read_notebook(path)
    count = [0]

    def profile_upload() -> Callable[[], Any]:
        count[0] += 1
        cps = open_checkpoints(tmp / f"w1-profile-{count[0]}")  # a new empty store
        return lambda: upload(cps, notebook, "big.ipynb", "Profiled")

    profiles["upload_s"] = profile_upload
    diagnostics["upload_s"] = lambda: upload_stages(notebook, tmp / "w1-stages", args.repeat)
    return {
        "generator": generator,
        "file_size": file_size,
        "notebook": generator.stats(),
        "read_s": median(reads),
        "upload_s": median(uploads),
        "read_upload_s": median([a + b for a, b in zip(reads, uploads, strict=True)]),
        "upload_again_s": median(seconds),
        "samples": {"read_s": reads, "upload_s": uploads, "upload_again_s": seconds},
        "new_parts": news[0][0],
        "new_parts_again": news[0][1],
    }


def w2_series(
    args: argparse.Namespace, tmp: Path, generator: _notebooks.SyntheticNotebook, file_size: int
) -> dict[str, Any]:
    sizes = Sizes(args.scale)
    per = sizes.share(SERIES_CHANGE, len(generator.cells))
    cps = open_checkpoints(tmp / "w2-store")
    empty = store_size(cps.store)
    first = upload(cps, generator.notebook(), "big.ipynb", "Checkpoint 0")
    generator.metadata["nepnb"] = {"notebook_id": first.notebook_id}
    after_first = store_size(cps.store)
    pages_first, digests_first = table_pages(cps.store), part_digests(cps.store)
    rng = random.Random(2)
    times, new_parts = [], []
    changed = {"cells": 0, "code": 0, "markdown": 0, "images_rerendered": 0, "images_kept": 0}
    log(f"2: {sizes.checkpoints} checkpoints, each editing and re-running {per} code cells ...")
    t_start = time.perf_counter()
    for k in range(sizes.checkpoints):
        done = generator.change(per, rng=rng, image_share=IMAGE_RERENDER)
        for key in changed:
            changed[key] += done[key]
        notebook = generator.notebook()
        seconds, up = timed(lambda n=notebook, k=k: upload(cps, n, "big.ipynb", f"Step {k + 1}"))
        times.append(seconds)
        new_parts.append(up.new_parts)
    log(f"2: done ({time.perf_counter() - t_start:.0f} s)")
    final = store_size(cps.store)
    pages_final = table_pages(cps.store)
    kinds = parts_by_kind(cps.store, digests_first)
    cps.store.close()
    first_cost = after_first["total"] - empty["total"]
    growth = final["total"] - after_first["total"]
    return {
        "checkpoints": sizes.checkpoints,
        "cells_changed_each": per,
        "changed_total": changed,
        "store_empty": empty,
        "store_after_first": after_first,
        "store_final": final,
        "first_bytes": first_cost,
        "first_ratio": first_cost / file_size,
        "growth_next_bytes": growth,
        "growth_next_ratio": growth / file_size,
        "growth_all_bytes": final["total"] - empty["total"],
        "growth_all_ratio": (final["total"] - empty["total"]) / file_size,
        "growth_per_checkpoint_bytes": growth / sizes.checkpoints,
        "parts_compressed_next_bytes": final["parts_compressed"] - after_first["parts_compressed"],
        "parts_next_by_kind": kinds,
        "pages_first": pages_first,
        "pages_final": pages_final,
        "upload_median_s": median(times),
        "upload_max_s": max(times),
        "new_parts_median": median([float(n) for n in new_parts]),
        "upload_samples_s": times,
    }


def w3_compare(args: argparse.Namespace, tmp: Path, profiles: Profiles) -> dict[str, Any]:
    sizes = Sizes(args.scale)
    log(
        f"3: generating two {sizes.cells:,}-cell notebooks of about "
        f"{sizes.compare_size / MB:.1f} MB"
    )
    gen_a = _notebooks.SyntheticNotebook(sizes.cells, sizes.compare_size, seed=3)
    gen_b = gen_a.copy()
    rng = random.Random(3)
    changed = gen_b.change(
        sizes.share(COMPARE_CHANGE), rng=rng, image_share=IMAGE_RERENDER, code_only=False
    )
    gen_b.delete(sizes.share(COMPARE_DELETE), rng=rng, keep=set(changed["ids"]))
    gen_b.insert(sizes.share(COMPARE_INSERT), rng=rng)
    path_a, path_b = tmp / "compare-a.ipynb", tmp / "compare-b.ipynb"
    text_a, size_a = write_notebook(gen_a, path_a)
    text_b, size_b = write_notebook(gen_b, path_b)
    log(f"3: {size_a / MB:.2f} MB and {size_b / MB:.2f} MB, {gen_a.stats()}")

    cps = open_checkpoints(tmp / "w3-store")
    up_a = upload(cps, read_notebook(path_a), "compare.ipynb", "Before")
    dict_b = with_notebook_id(read_notebook(path_b), up_a.notebook_id)
    up_b = upload(cps, dict_b, "compare.ipynb", "After")
    id_a, id_b = up_a.checkpoint.id, up_b.checkpoint.id
    node_a, node_b = nbformat.reads(text_a, as_version=4), nbformat.reads(text_b, as_version=4)
    hidden = CompareOptions(outputs=False)

    calls: dict[str, Callable[[], Any]] = {
        "ours": lambda: cps.compare(id_a, id_b),
        "ours_json": lambda: cps.compare(id_a, id_b).to_json(),
        "ours_current": lambda: cps.compare(id_a, dict_b),
        "ours_hidden": lambda: cps.compare(id_a, id_b, hidden),
    }
    samples: dict[str, list[float]] = {name: [] for name in [*calls, "nbdime"]}
    first_call: dict[str, float] = {}
    results: dict[str, Any] = {}
    for r in range(args.repeat + 1):  # the first round is a warm-up, kept apart
        round_s = {}
        for name, call in calls.items():
            round_s[name], results[name] = timed(call)
        a, b = copy.deepcopy(node_a), copy.deepcopy(node_b)  # outside the timing
        round_s["nbdime"], results["nbdime"] = timed(lambda a=a, b=b: diff_notebooks(a, b))
        for name, seconds in round_s.items():
            if r:
                samples[name].append(seconds)
            else:
                first_call[name] = seconds
        what = f"round {r}" if r else "warm-up"
        log(f"3: {what}: nepnb {round_s['ours']:.3f} s, nbdime {round_s['nbdime']:.3f} s")
    profiles["compare_speedup"] = lambda: calls["ours"]
    ours, theirs = median(samples["ours"]), median(samples["nbdime"])
    return {
        "file_sizes": [size_a, size_b],
        "notebook": gen_a.stats(),
        "made": {
            "changed": {k: v for k, v in changed.items() if k != "ids"},
            "inserted": sizes.share(COMPARE_INSERT),
            "deleted": sizes.share(COMPARE_DELETE),
        },
        "ours_s": ours,
        "nbdime_s": theirs,
        "compare_speedup": theirs / ours,
        "ours_json_s": median(samples["ours_json"]),
        "ours_current_s": median(samples["ours_current"]),
        "ours_hidden_s": median(samples["ours_hidden"]),
        "current_speedup": theirs / median(samples["ours_current"]),
        "hidden_speedup": theirs / median(samples["ours_hidden"]),
        "samples": samples,
        "first_call_s": first_call,
        "summary": results["ours"].summary,
        "summary_current": results["ours_current"].summary,
        "summary_hidden": results["ours_hidden"].summary,
        "nbdime_cell_ops": nbdime_cell_ops(results["nbdime"]),
    }


def w4_images(args: argparse.Namespace, tmp: Path, profiles: Profiles) -> dict[str, Any]:
    sizes = Sizes(args.scale)
    log(f"4: generating a notebook of {sizes.cells:,} plots ...")
    t0 = time.perf_counter()
    gen_a = _notebooks.SyntheticNotebook(sizes.cells, seed=4, images_only=True)
    gen_b = gen_a.copy()
    changed = gen_b.change(sizes.share(IMAGES_CHANGE), rng=random.Random(4), image_share=1.0)
    path_a, path_b = tmp / "images-a.ipynb", tmp / "images-b.ipynb"
    text_a, size_a = write_notebook(gen_a, path_a)
    text_b, _ = write_notebook(gen_b, path_b)
    log(f"4: {size_a / MB:.1f} MB ({time.perf_counter() - t0:.0f} s)")
    cps = open_checkpoints(tmp / "w4-store")
    up_a = upload(cps, read_notebook(path_a), "plots.ipynb", "Plots")
    dict_b = with_notebook_id(read_notebook(path_b), up_a.notebook_id)
    up_b = upload(cps, dict_b, "plots.ipynb", "Re-rendered 2%")
    id_a, id_b = up_a.checkpoint.id, up_b.checkpoint.id
    no_pixels = CompareOptions(images=False)
    samples: dict[str, list[float]] = {"ours": [], "ours_no_pixels": []}
    result = None
    for _ in range(args.repeat):
        seconds, result = timed(lambda: cps.compare(id_a, id_b))
        samples["ours"].append(seconds)
        seconds, _ = timed(lambda: cps.compare(id_a, id_b, no_pixels))
        samples["ours_no_pixels"].append(seconds)
    log(f"4: nepnb {median(samples['ours']):.3f} s; now nbdime, once ...")
    node_a, node_b = nbformat.reads(text_a, as_version=4), nbformat.reads(text_b, as_version=4)
    nbdime_s, nbdime_diff = (
        timed(lambda: diff_notebooks(node_a, node_b)) if not args.no_nbdime_images else (None, [])
    )
    profiles["images_compare_s"] = lambda: lambda: cps.compare(id_a, id_b)
    assert result is not None
    images_changed = sum(
        1
        for cell in result.cells
        for output in cell.outputs
        if output.image is not None and output.image.get("changed")
    )
    return {
        "file_size": size_a,
        "cells": sizes.cells,
        "images_rerendered": changed["images_rerendered"],
        "images_compare_s": median(samples["ours"]),
        "no_pixels_s": median(samples["ours_no_pixels"]),
        "nbdime_s": nbdime_s,
        "samples": samples,
        "summary": result.summary,
        "images_found_changed": images_changed,
        "nbdime_cell_ops": nbdime_cell_ops(nbdime_diff) if nbdime_s is not None else None,
    }


def w5_long_outputs(args: argparse.Namespace) -> dict[str, Any]:
    """A cell whose long text output changed: one line of 3,000, and every line of 5,000."""
    from nepnb.notebooks.compare import compare_notebooks, side_of_notebook

    def pair(size: int, every_line: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        old = [f"row {k:05d} value {k * 7 % 13}" for k in range(size)]
        new = [f"new {k}" for k in range(size)] if every_line else list(old)
        if not every_line:
            new[size // 2] = "row changed"
        return tuple(  # type: ignore[return-value]
            nbformat.v4.new_notebook(
                cells=[
                    nbformat.v4.new_code_cell(
                        "dump()", outputs=[nbformat.v4.new_output("stream", text="\n".join(lines))]
                    )
                ]
            )
            for lines in (old, new)
        )

    figures: dict[str, Any] = {}
    for key, size, every_line in (("one_line_s", 3000, False), ("long_output_s", 5000, True)):
        a, b = pair(size, every_line)
        samples = [
            timed(
                lambda a=a, b=b: compare_notebooks(
                    side_of_notebook(a, "A"), side_of_notebook(b, "B")
                )
            )[0]
            for _ in range(args.repeat)
        ]
        figures[key] = median(samples)
        node_a, node_b = nbformat.from_dict(a), nbformat.from_dict(b)
        figures[key.replace("_s", "_nbdime_s")] = timed(
            lambda x=node_a, y=node_b: diff_notebooks(x, y)
        )[0]
    return figures


def _one_output(lines: list[str]) -> dict[str, Any]:
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "train()", outputs=[nbformat.v4.new_output("stream", text="\n".join(lines))]
            )
        ]
    )


def _nbdime_in_process(path_a: Path, path_b: Path, timeout: float) -> float | None:
    """Seconds nbdime's diff_notebooks takes on two files, in a process of its own (reading
    and importing not counted); None when it is still running after ``timeout`` seconds."""
    import subprocess

    code = (
        "import sys, time, nbformat\n"
        "from nbdime.diffing.notebooks import diff_notebooks\n"
        "a, b = (nbformat.read(p, as_version=4) for p in sys.argv[1:3])\n"
        "t = time.perf_counter(); diff_notebooks(a, b); print(time.perf_counter() - t)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(path_a), str(path_b)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return float(done.stdout.strip().splitlines()[-1])


def w6_repeated_lines(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """One line inserted into 10,000 identical lines, and into a 50 MB output."""
    from nepnb.notebooks.compare import compare_notebooks, side_of_notebook

    warning = "UserWarning: this option is deprecated and will be removed in a future release"
    row = "0.123456789 " * 8
    cases = {
        "repeated": [warning] * 10_000,
        "huge": [f"{k:08d} {row}" for k in range(int(500_000 * min(args.scale, 1.0)))],
    }
    figures: dict[str, Any] = {}
    for key, lines in cases.items():
        changed = [*lines[: len(lines) // 2], "epoch 3: loss nan", *lines[len(lines) // 2 :]]
        a, b = _one_output(lines), _one_output(changed)
        figures[f"{key}_mb"] = len("\n".join(lines)) / MB
        repeat = args.repeat if key == "repeated" else 1
        samples, result = [], None
        for _ in range(repeat):
            seconds, result = timed(
                lambda a=a, b=b: compare_notebooks(
                    side_of_notebook(a, "A"), side_of_notebook(b, "B")
                )
            )
            samples.append(seconds)
        assert result is not None
        inserted = [
            op.lines for op in result.cells[0].outputs[0].text_diff or [] if op.op == "insert"
        ]
        assert inserted == [["epoch 3: loss nan"]], inserted  # the diff is the right one
        figures[f"{key}_s"] = median(samples)
        path_a, path_b = tmp / f"{key}-a.ipynb", tmp / f"{key}-b.ipynb"
        nbformat.write(a, path_a)
        nbformat.write(b, path_b)
        log(f"6: {key}: nepnb {figures[f'{key}_s']:.3f} s; nbdime ...")
        figures[f"{key}_nbdime_s"] = _nbdime_in_process(path_a, path_b, args.nbdime_timeout)
    figures["nbdime_timeout_s"] = args.nbdime_timeout
    return figures


def w7_commands(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Wall time of `nepnb checkpoint diff` and `nbdiff` on the same two 1,000-cell files."""
    import subprocess

    bin_dir = Path(sys.executable).parent
    sizes = Sizes(args.scale)
    gen_a = _notebooks.SyntheticNotebook(sizes.cells, sizes.compare_size, seed=7)
    gen_b = gen_a.copy()
    rng = random.Random(7)
    gen_b.change(sizes.share(COMPARE_CHANGE), rng=rng, image_share=IMAGE_RERENDER, code_only=False)
    path_a, path_b = tmp / "w7-a.ipynb", tmp / "w7-b.ipynb"
    write_notebook(gen_a, path_a)
    write_notebook(gen_b, path_b)
    env = {**os.environ, NEPNB_HOME_ENV: str(tmp / "w7-home")}

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)

    work = tmp / "w7.ipynb"
    shutil.copy(path_a, work)
    first = run(str(bin_dir / "nepnb"), "checkpoint", "upload", str(work), "-m", "A")
    checkpoint = first.stdout.split()[1]
    text = json.loads(work.read_text())
    changed = json.loads(path_b.read_text())
    changed["metadata"] = text["metadata"]  # the same notebook id
    work.write_text(json.dumps(changed))
    second = run(str(bin_dir / "nepnb"), "checkpoint", "upload", str(work), "-m", "B")
    checkpoint_b = second.stdout.split()[1]
    commands = {
        "nepnb_s": [str(bin_dir / "nepnb"), "checkpoint", "diff", str(work), checkpoint,
                    checkpoint_b, "--color", "never"],
        "nepnb_file_s": [str(bin_dir / "nepnb"), "checkpoint", "diff", str(work), checkpoint,
                         "--color", "never"],
        "nbdiff_s": [str(bin_dir / "nbdiff"), "--no-color", str(path_a), str(path_b)],
        "python_s": [sys.executable, "-c", "pass"],
    }  # fmt: skip
    samples: dict[str, list[float]] = {key: [] for key in commands}
    for r in range(args.repeat):
        for key, command in commands.items():
            seconds, done = timed(lambda command=command: run(*command))
            assert done.returncode in (0, 1), (command, done.stderr[-500:])
            samples[key].append(seconds)
        log(
            f"7: round {r}: nepnb {samples['nepnb_s'][-1]:.2f} s, nbdiff {samples['nbdiff_s'][-1]:.2f} s"
        )
    figures = {key: median(values) for key, values in samples.items()}
    figures["speedup"] = figures["nbdiff_s"] / figures["nepnb_s"]
    figures["cells"] = sizes.cells
    figures["samples"] = samples
    return figures


def extra_rows(results: dict[str, Any]) -> list[list[str]]:
    """Rows of workloads 6 and 7 (those that ran)."""
    rows: list[list[str]] = []
    w6, w7 = results.get("w6"), results.get("w7")
    if w6:
        for key, what in (
            ("repeated", f"6 compare, 1 line into 10,000 identical lines ({w6['repeated_mb']:.1f} MB) s"),
            ("huge", f"6 compare, 1 line into a {w6['huge_mb']:.1f} MB output s"),
        ):  # fmt: skip
            theirs = w6[f"{key}_nbdime_s"]
            rows.append(
                [
                    what,
                    fmt_s(w6[f"{key}_s"]),
                    fmt_s(theirs) if theirs is not None else f"> {w6['nbdime_timeout_s']:g}",
                    f"{(theirs or w6['nbdime_timeout_s']) / w6[f'{key}_s']:.1f}x"
                    + ("" if theirs is not None else "+"),
                    "nbdime/nepnb >= 1",
                ]
            )
    if w7:
        rows += [
            [
                f"7 nepnb checkpoint diff A B ({w7['cells']:,} cells)  |  nbdiff a b, wall s",
                fmt_s(w7["nepnb_s"]),
                fmt_s(w7["nbdiff_s"]),
                f"{w7['speedup']:.1f}x",
                f"< 1 s, >= 1.5x {'PASS' if w7['nepnb_s'] < 1 and w7['speedup'] >= 1.5 else 'FAIL'}",
            ],
            ["7 nepnb checkpoint diff A (file), wall s", fmt_s(w7["nepnb_file_s"]), "", "", ""],
            ["7 python -c pass (interpreter start), wall s", fmt_s(w7["python_s"]), "", "", ""],
        ]
    return rows


# ---------------------------------------------------------------------------------------------
# Profiles.


def upload_stages(notebook: dict[str, Any], home: Path, repeat: int) -> list[str]:
    """The steps of Checkpoints.upload timed one by one (no profiler), in fresh stores, with
    the zlib compression that put_parts does measured apart for image and other parts."""
    from nepnb.notebooks.format import normalize_notebook
    from nepnb.notebooks.snapshot import take_snapshot

    timings: dict[str, list[float]] = {}
    sizes: dict[str, tuple[int, int, int]] = {}
    for r in range(repeat):
        cps = open_checkpoints(home / str(r))
        steps: dict[str, float] = {}
        steps["normalize_notebook"], nb = timed(lambda: normalize_notebook(notebook, "big.ipynb"))
        steps["take_snapshot (canonical JSON, SHA-256)"], snap = timed(
            lambda n=nb: take_snapshot(n)
        )
        parts = snap.parts
        images = {d: b for d, b in parts.items() if b'"image/' in b}
        others = {d: b for d, b in parts.items() if d not in images}
        for label, group in (("image", images), ("other", others)):
            seconds, packed = timed(lambda g=group: [zlib.compress(b, 1) for b in g.values()])
            steps[f"  zlib.compress(level 1) of the {label} parts alone"] = seconds
            raw = sum(len(b) for b in group.values())
            sizes[label] = (len(group), raw, sum(len(b) for b in packed))
        steps["store.put_parts (zlib + SQLite insert + commit)"], _ = timed(
            lambda c=cps, p=parts: c.store.put_parts(p)
        )
        steps["store.add_checkpoint"], _ = timed(
            lambda c=cps, m=snap.manifest: c.store.add_checkpoint(
                PROJECT, "0" * 32, path="big.ipynb", summary="s", body="", author=AUTHOR, manifest=m
            )
        )
        cps.store.close()
        for name, seconds in steps.items():
            timings.setdefault(name, []).append(seconds)
    lines = [f"upload, step by step (medians of {repeat}, each in a new empty store, no profiler):"]
    for name, values in timings.items():
        lines.append(f"  {median(values):7.3f} s  {name}")
    for label, (count, raw, packed) in sizes.items():
        lines.append(
            f"  {label} parts: {count:,}, {fmt_mb(raw)} -> {fmt_mb(packed)} compressed "
            f"({1 - packed / max(raw, 1):.0%} smaller)"
        )
    return lines


def _where(key: tuple[str, int, str]) -> str:
    filename, line, function = key
    for marker in ("/site-packages/", str(ROOT) + "/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    if filename == "~":
        return function
    return f"{filename}:{line}({function})"


def profile(setup: Callable[[], Callable[[], Any]], top: int) -> dict[str, Any]:
    thunk = setup()
    profiler = cProfile.Profile()
    gc.collect()
    t0 = time.perf_counter()
    profiler.enable()
    thunk()
    profiler.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(profiler)
    entries = stats.stats.items()  # type: ignore[attr-defined]
    rows = sorted(entries, key=lambda kv: kv[1][3], reverse=True)
    table = [
        {"where": _where(key), "ncalls": nc, "tottime": tt, "cumtime": ct}
        for key, (_, nc, tt, ct, _) in rows[:top]
    ]
    by_self = sorted(entries, key=lambda kv: kv[1][2], reverse=True)
    self_table = [
        {"where": _where(key), "ncalls": nc, "tottime": tt, "cumtime": ct}
        for key, (_, nc, tt, ct, _) in by_self[: max(10, top // 2)]
    ]
    return {"wall_s": wall, "cumulative": table, "self": self_table}


def print_profile(name: str, prof: dict[str, Any]) -> None:
    print()
    print(f"profile: {name} ({prof['wall_s']:.3f} s under cProfile, which slows Python code)")
    for title, rows in (("by cumulative time", prof["cumulative"]), ("by own time", prof["self"])):
        print(f"  {title}:")
        print(f"  {'cum s':>8} {'own s':>8} {'calls':>9}  function")
        for row in rows:
            print(
                f"  {row['cumtime']:8.3f} {row['tottime']:8.3f} {row['ncalls']:9,}  {row['where']}"
            )


# ---------------------------------------------------------------------------------------------
# The table.


def fmt_s(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.3f}" if value < 100 else f"{value:,.0f}"


def spread(values: list[float]) -> str:
    return f"min {min(values):.3f} / median {median(values):.3f} / max {max(values):.3f} s"


def fmt_mb(value: float) -> str:
    return f"{value / MB:.2f} MB" if abs(value) >= MB / 10 else f"{value / 1000:.1f} KB"


def passes(value: float, op: str, threshold: float) -> bool:
    return {"<": value < threshold, "<=": value <= threshold, ">=": value >= threshold}[op]


def verdict(key: str, value: float) -> str:
    op, threshold, _ = TARGETS[key]
    unit = "x" if key in ("growth_next_ratio", "compare_speedup") else " s"
    return f"{op} {threshold:g}{unit} {'PASS' if passes(value, op, threshold) else 'FAIL'}"


def build_rows(r: dict[str, Any]) -> list[list[str]]:
    """[metric, nepnb, nbdime, nbdime/nepnb, target] rows."""
    w1, w2, w3, w4, w5 = r["w1"], r["w2"], r["w3"], r["w4"], r["w5"]
    nb = w1["notebook"]
    rows = [
        [
            f"1 notebook: {nb['cells']:,} cells ({nb['code_cells']} code, {nb['images']} plots, "
            f"{nb['tables']} tables)",
            fmt_mb(w1["file_size"]),
            "",
            "",
            "",
        ],
        ["1 read_notebook() s", fmt_s(w1["read_s"]), "", "", ""],
        [
            "1 Checkpoints.upload(), empty store, s",
            fmt_s(w1["upload_s"]),
            "",
            "",
            verdict("upload_s", w1["upload_s"]),
        ],
        ["1 read + upload s", fmt_s(w1["read_upload_s"]), "", "", ""],
        ["1 second upload, unchanged, s", fmt_s(w1["upload_again_s"]), "", "", ""],
        [
            f"2 first checkpoint: store grew by ({w2['store_after_first']['parts']:,} parts)",
            f"{fmt_mb(w2['first_bytes'])} = {w2['first_ratio']:.3f}x",
            "",
            "",
            "",
        ],
        [
            f"2 next {w2['checkpoints']} checkpoints: store grew by",
            f"{fmt_mb(w2['growth_next_bytes'])} = {w2['growth_next_ratio']:.3f}x",
            "",
            "",
            verdict("growth_next_ratio", w2["growth_next_ratio"]),
        ],
        [
            "2   per checkpoint",
            f"{w2['growth_per_checkpoint_bytes'] / 1000:.1f} KB",
            "",
            "",
            "",
        ],
        [
            f"2 all {w2['checkpoints'] + 1} checkpoints: store grew by",
            f"{fmt_mb(w2['growth_all_bytes'])} = {w2['growth_all_ratio']:.3f}x",
            "",
            "",
            "",
        ],
        [
            "2 upload of a changed checkpoint s, median / max",
            f"{fmt_s(w2['upload_median_s'])} / {fmt_s(w2['upload_max_s'])}",
            "",
            "",
            "",
        ],
    ]
    ratio = w3["nbdime_s"]
    rows += [
        [
            f"3 notebooks: {w3['notebook']['cells']:,} cells ({w3['notebook']['images']} plots)",
            " / ".join(fmt_mb(s) for s in w3["file_sizes"]),
            "",
            "",
            "",
        ],
        [
            "3 compare(id_a, id_b) s  |  diff_notebooks(a, b) s",
            fmt_s(w3["ours_s"]),
            fmt_s(ratio),
            f"{w3['compare_speedup']:.1f}x",
            verdict("compare_speedup", w3["compare_speedup"]),
        ],
        [
            "3 compare(id_a, id_b).to_json() s",
            fmt_s(w3["ours_json_s"]),
            "",
            f"{ratio / w3['ours_json_s']:.1f}x",
            "",
        ],
        [
            "3 compare(id_a, current notebook dict) s",
            fmt_s(w3["ours_current_s"]),
            "",
            f"{w3['current_speedup']:.1f}x",
            "",
        ],
        [
            "3 compare(id_a, id_b), outputs hidden s",
            fmt_s(w3["ours_hidden_s"]),
            "",
            f"{w3['hidden_speedup']:.1f}x",
            "",
        ],
        [
            f"4 notebook: {w4['cells']:,} cells, one plot each; "
            f"{w4['images_rerendered']} re-rendered",
            fmt_mb(w4["file_size"]),
            "",
            "",
            "",
        ],
        [
            "4 compare(id_a, id_b) s  |  diff_notebooks(a, b) s",
            fmt_s(w4["images_compare_s"]),
            fmt_s(w4["nbdime_s"]),
            "" if w4["nbdime_s"] is None else f"{w4['nbdime_s'] / w4['images_compare_s']:.1f}x",
            verdict("images_compare_s", w4["images_compare_s"]),
        ],
        [
            "4 compare, images by bytes only (images=False) s",
            fmt_s(w4["no_pixels_s"]),
            "",
            "",
            "",
        ],
        [
            "5 compare, 3,000-line output, one line changed s",
            fmt_s(w5["one_line_s"]),
            fmt_s(w5["one_line_nbdime_s"]),
            f"{w5['one_line_nbdime_s'] / w5['one_line_s']:.1f}x",
            "",
        ],
        [
            "5 compare, 5,000-line output, every line changed s",
            fmt_s(w5["long_output_s"]),
            fmt_s(w5["long_output_nbdime_s"]),
            f"{w5['long_output_nbdime_s'] / w5['long_output_s']:.1f}x",
            verdict("long_output_s", w5["long_output_s"]),
        ],
    ]
    return rows + extra_rows(r)


def versions() -> dict[str, str]:
    import importlib.metadata as md

    found = {}
    for name in ("nepnb", "nbdime", "nbformat", "numpy", "pillow"):
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = "?"
    return found


def growth_breakdown(w2: dict[str, Any]) -> str:
    """What the growth after the first checkpoint is made of."""
    kinds = sorted(w2["parts_next_by_kind"].items(), key=lambda kv: -kv[1]["stored"])
    stored = w2["parts_compressed_next_bytes"]
    text = (
        f"Growth after the first: {fmt_mb(stored)} of new compressed parts ("
        + ", ".join(f"{name} {fmt_mb(v['stored'])} in {v['parts']:,}" for name, v in kinds)
        + f"), and {fmt_mb(w2['growth_next_bytes'] - stored)} more in the files"
    )
    first, final = w2["pages_first"].get("parts"), w2["pages_final"].get("parts")
    if first and final:
        pages = final["pages"] - first["pages"]
        unused = final["unused"] - first["unused"]
        text += (
            f": the parts table's pages grew by {fmt_mb(pages)}, {fmt_mb(unused)} of it unused "
            f"space in its pages ({unused / max(pages, 1):.0%}; parts is a WITHOUT ROWID table "
            "keyed by random digests)"
        )
    return text + "."


def report(args: argparse.Namespace, results: dict[str, Any]) -> dict[str, Any]:
    machine = machine_info()
    sizes = Sizes(args.scale)
    w2, w3, w4 = results["w2"], results["w3"], results["w4"]
    print()
    print(
        f"machine: {machine['cpu_model']}, {machine['cpu_count']} CPUs "
        f"({machine['cpus_usable']} usable), {machine['platform']}, python {machine['python']}"
    )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    print(
        f"scale {args.scale:g}: {sizes.cells:,} cells, {sizes.size / MB:.1f} MB and "
        f"{sizes.compare_size / MB:.2f} MB notebooks, {sizes.checkpoints} checkpoints; "
        f"times are medians of {args.repeat} runs"
    )
    print()
    header = ["workload / metric", "nepnb", "nbdime", "nbdime/nepnb", "target"]
    rows = build_rows(results)
    print(render(header, rows))
    print()
    made = w3["made"]
    w1 = results["w1"]
    note(
        f"1: {args.repeat} runs, each into a new empty store: upload "
        f"{spread(w1['samples']['upload_s'])}"
        f"; read_notebook {spread(w1['samples']['read_s'])}. The first upload gives the notebook "
        f"its id ({w1['new_parts']:,} parts stored); the unchanged one stores "
        f"{w1['new_parts_again']} new parts."
    )
    note(
        f"2: each checkpoint edits the source of {w2['cells_changed_each']} code cell(s) and "
        f"re-runs them (new execution counts, new numbers in their logs and tables); each plot "
        f"of a re-run cell is re-rendered with probability {IMAGE_RERENDER:g} "
        f"({w2['changed_total']['images_rerendered']} plots re-rendered, "
        f"{w2['changed_total']['images_kept']} unchanged over the run)."
    )
    note(
        "   'store grew by' is all files in NEPNB_HOME (nepnb.db after PRAGMA "
        "wal_checkpoint(TRUNCATE), its -wal and -shm, blobs/), against the notebook's file size. "
        "The target is checked on the growth over the checkpoints AFTER the first one; the first "
        f"costs {w2['first_ratio']:.3f}x by itself, and all {w2['checkpoints'] + 1} together "
        f"{w2['growth_all_ratio']:.3f}x ("
        + ("also" if w2["growth_all_ratio"] < 1.2 else "NOT")
        + " under 1.2x)."
    )
    note("   " + growth_breakdown(w2))
    note(
        f"3: b = a with {made['changed']['cells']} cells changed ({made['changed']['code']} code "
        f"cells edited and re-run, {made['changed']['markdown']} markdown edited, "
        f"{made['changed']['images_rerendered']} plots re-rendered), {made['inserted']} inserted, "
        f"{made['deleted']} deleted. nbdime gets both as NotebookNodes already in memory; nepnb "
        'reads both checkpoints from the store ("current notebook": b is a dict in memory).'
    )
    summary = w3["summary"]
    ops = w3["nbdime_cell_ops"]
    note(
        f"   nepnb found {summary['changed']} changed, {summary['added']} added, "
        f"{summary['removed']} removed, {summary['moved']} moved, {summary['unchanged']} "
        f"unchanged; nbdime: {ops['patch']} patched, {ops['added']} added, {ops['removed']} "
        f"removed cells. First (warm-up) calls: nepnb {w3['first_call_s']['ours']:.3f} s, "
        f"nbdime {w3['first_call_s']['nbdime']:.3f} s (not in the medians). Runs: nepnb "
        f"{spread(w3['samples']['ours'])}; nbdime {spread(w3['samples']['nbdime'])}."
    )
    note(
        f"4: {w4['images_rerendered']} plots re-rendered with new data; nepnb compared them "
        f"visually and found {w4['images_found_changed']} changed ({w4['summary']['changed']} "
        "changed cells). nbdime's figure is from one call."
    )
    verdicts = []
    for key, (op, threshold, what) in TARGETS.items():
        value = {
            "upload_s": results["w1"]["upload_s"],
            "growth_next_ratio": w2["growth_next_ratio"],
            "compare_speedup": w3["compare_speedup"],
            "images_compare_s": w4["images_compare_s"],
            "long_output_s": results["w5"]["long_output_s"],
        }[key]
        ok = passes(value, op, threshold)
        verdicts.append(
            {
                "target": key,
                "what": what,
                "value": value,
                "op": op,
                "threshold": threshold,
                "ok": ok,
            }
        )
    print()
    at = "" if args.scale == 1 else f" (stated for scale 1, run at {args.scale:g})"
    print(f"nepnb targets{at}")
    for v in verdicts:
        print(
            f"  {'PASS' if v['ok'] else 'FAIL'}  {v['what']}: {v['value']:.3f} "
            f"(target {v['op']} {v['threshold']:g})"
        )
    return {
        "machine": machine,
        "versions": versions(),
        "args": {k: v for k, v in vars(args).items() if k != "json"},
        "results": results,
        "table": {"header": header, "rows": rows},
        "verdicts": verdicts,
    }


# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies cells and sizes")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure (median)")
    parser.add_argument("--json", metavar="PATH", help="also write every figure to PATH")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (stores, files)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile nepnb's call for every target (failed targets are always profiled)",
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="do not profile, even failed targets"
    )
    parser.add_argument("--top", type=int, default=25, help="functions shown per profile")
    parser.add_argument(
        "--no-nbdime-images",
        action="store_true",
        help="skip nbdime on the notebook of plots (workload 4)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("6", "7"),
        help="run only these workloads (no store needed) and print their rows",
    )
    parser.add_argument(
        "--nbdime-timeout",
        type=float,
        default=300.0,
        help="seconds nbdime may take on one pair of workload 6 before it is stopped",
    )
    args = parser.parse_args(argv)
    if not args.scale > 0:
        parser.error("--scale must be positive")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def run_only(args: argparse.Namespace, tmp: Path, results: dict[str, Any]) -> int:
    """Workloads 6 and/or 7 alone, with the machine line and their rows."""
    if "6" in args.only:
        results["w6"] = w6_repeated_lines(args, tmp)
    if "7" in args.only:
        results["w7"] = w7_commands(args, tmp)
    machine = machine_info()
    print()
    print(
        f"machine: {machine['cpu_model']}, {machine['cpu_count']} CPUs "
        f"({machine['cpus_usable']} usable), load average {os.getloadavg()[0]:.1f}, "
        f"python {machine['python']}"
    )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    print(f"times are medians of {args.repeat} runs (the 50 MB pair: one run)")
    print()
    header = ["workload / metric", "nepnb", "nbdime", "nbdime/nepnb", "target"]
    print(render(header, extra_rows(results)))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
        log(f"wrote {args.json}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="nepnb-bench-checkpoints-"))
    saved_home = os.environ.get(NEPNB_HOME_ENV)
    profiles: Profiles = {}
    diagnostics: Diagnostics = {}
    try:
        results: dict[str, Any] = {}
        if args.only:
            return run_only(args, tmp, results)
        w1 = w1_upload(args, tmp, profiles, diagnostics)
        generator = w1.pop("generator")
        results["w1"] = w1
        results["w2"] = w2_series(args, tmp, generator, w1["file_size"])
        del generator
        results["w3"] = w3_compare(args, tmp, profiles)
        results["w4"] = w4_images(args, tmp, profiles)
        results["w5"] = w5_long_outputs(args)
        results["w6"] = w6_repeated_lines(args, tmp)
        results["w7"] = w7_commands(args, tmp)
        document = report(args, results)
        failed = {v["target"] for v in document["verdicts"] if not v["ok"]}
        wanted = set(profiles) if args.profile else failed & set(profiles)
        if failed - set(profiles) and not args.no_profile:
            print(f"\n(no profile for {', '.join(sorted(failed - set(profiles)))}: not a timing)")
        document["profiles"] = {}
        if not args.no_profile:
            for key in [k for k in TARGETS if k in wanted]:
                log(f"profiling {key} ...")
                prof = profile(profiles[key], args.top)
                print_profile(TARGETS[key][2], prof)
                if key in diagnostics:
                    prof["diagnostics"] = diagnostics[key]()
                    print()
                    print("\n".join(prof["diagnostics"]))
                document["profiles"][key] = prof
        if args.json:
            Path(args.json).write_text(json.dumps(document, indent=1, default=str))
            log(f"wrote {args.json}")
    finally:
        if saved_home is None:
            os.environ.pop(NEPNB_HOME_ENV, None)
        else:
            os.environ[NEPNB_HOME_ENV] = saved_home
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
