"""The JupyterLab UI in Debian's Chromium: how long the user waits, on big notebooks and projects.

    .venv/bin/python bench/ui.py                 # full size (about 2 minutes)
    .venv/bin/python bench/ui.py --scale 0.1     # a quick try
    .venv/bin/python bench/ui.py --json out.json

1. "Upload checkpoint" of a 1,000-cell, 20 MB notebook (bench/_notebooks.py, plots included):
   from the click on the dialog's Upload button to the notification (JupyterLab saves the
   notebook first, then the server extension snapshots it);
2. the compare view of two checkpoints of it that differ in 5% of their cells: from the click on
   "Compare selected" until every cell of the view is laid out;
3. the runs panel of a project of 500 runs (each with a 1,000-point series): from opening the
   panel until the table is drawn, then adding the series as a column (a new server query);
4. a run's detail with its series chart, and a compare chart of 10 runs.

Each figure is the median of ``--repeat`` tries (the page reloaded in between where it matters).
Everything runs against a real `jupyter lab` on a loopback port with a temporary store.
"""

from __future__ import annotations

import os
import sys

if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.dirname(
    os.path.realpath(__file__)
):
    sys.path.pop(0)  # bench/logging.py must not shadow the standard library's logging
sys.path.append(os.path.dirname(os.path.realpath(__file__)))
sys.path.append(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import _notebooks
from _report import machine_info, render
from playwright.sync_api import Page, sync_playwright

from nepnb.notebooks import Checkpoints
from nepnb.store.local import LocalStore
from tests.helpers.lab import CHROMIUM, CHROMIUM_ARGS, open_notebook, toast
from tests.helpers.servers import running_jupyter_lab


@contextmanager
def stopwatch(into: list[float]) -> Iterator[None]:
    """Append how long the block took to ``into``."""
    start = time.perf_counter()
    yield
    into.append(time.perf_counter() - start)


def median(values: list[float]) -> float:
    return statistics.median(values)


def bench_checkpoints(page: Page, lab: Any, cells: int, size: int, repeat: int) -> dict[str, Any]:
    generator = _notebooks.SyntheticNotebook(cells, size, seed=1)
    notebook = generator.notebook()
    path = lab.root_dir / "big.ipynb"
    path.write_text(json.dumps(notebook))
    file_mb = path.stat().st_size / 1e6
    open_notebook(page, lab.lab_url("lab/tree/big.ipynb"))
    uploads = []
    for attempt in range(repeat):
        page.locator(".jp-NotebookPanel-toolbar .nepnb-UploadButton").click()
        page.locator(".nepnb-MessageForm-summary").fill(f"Upload {attempt}")
        with stopwatch(uploads):
            page.locator(".jp-Dialog .jp-mod-accept").click()
            toast(page, f'"Upload {attempt}"')
    # A second version: 5% of the cells edited and re-run, checkpointed into the same history.
    saved = json.loads(path.read_text())
    generator.change(max(1, cells // 20), rng=random.Random(7))
    changed = generator.notebook()
    changed["metadata"] = saved["metadata"]
    store = Checkpoints(LocalStore(lab.home), "local/default")
    second = store.upload(
        changed, path="big.ipynb", message="5% changed", author="bench"
    ).checkpoint.id
    first = store.history(saved["metadata"]["nepnb"]["notebook_id"])[1].id
    page.locator(".jp-SideBar.jp-mod-right li[data-id='nepnb-checkpoints-panel']").click()
    panel = page.locator("#nepnb-checkpoints-panel")
    panel.get_by_role("button", name="Refresh").click()
    panel.locator(f"[data-checkpoint-id='{second}'] input").check()
    panel.locator(f"[data-checkpoint-id='{first}'] input").check()
    compares = []
    view_id = f"#nepnb-compare-{first}-{second}"
    for _ in range(repeat):
        with stopwatch(compares):
            panel.get_by_role("button", name="Compare selected").click()
            page.wait_for_selector(f"{view_id}[data-loaded='true']", timeout=120_000)
            page.evaluate(f"() => document.querySelector('{view_id}').getBoundingClientRect()")
        page.locator(f".lm-TabBar-tab[data-id='{view_id[1:]}'] .lm-TabBar-tabCloseIcon").click()
    return {
        "notebook_mb": round(file_mb, 1),
        "cells": cells,
        "upload_s": median(uploads),
        "compare_s": median(compares),
    }


def log_runs(home: Path, count: int, points: int) -> None:
    os.environ["NEPNB_HOME"] = str(home)
    import nepnb

    for index in range(count):
        run = nepnb.init_run(
            project="local/default",
            mode="sync",
            name=f"run {index}",
            tags=["bench", f"group-{index % 5}"],
            capture_hardware_metrics=False,
            capture_stdout=False,
            capture_stderr=False,
            capture_traceback=False,
            source_files=[],
            git_ref=False,
        )
        run["params/lr"] = 10 ** -(index % 4)
        run["metrics/acc"].extend([i / points for i in range(points)])
        run.stop()


def bench_runs(page: Page, lab: Any, runs: int, repeat: int) -> dict[str, Any]:
    rows = "#nepnb-runs-panel tr[data-run-id]"
    opens: list[float] = []
    columns: list[float] = []
    for _ in range(repeat):
        page.goto(lab.lab_url("lab"))
        page.wait_for_function("() => document.body.dataset.nepnbActivated === 'true'")
        page.wait_for_load_state("networkidle")  # JupyterLab done starting: time the panel only
        tab = page.locator(".jp-SideBar.jp-mod-left li[data-id='nepnb-runs-panel']")
        if page.locator("#nepnb-runs-panel").is_visible():  # the workspace restored it open
            tab.click()
        with stopwatch(opens):
            tab.click()
            page.wait_for_function(
                f'n => document.querySelectorAll("{rows}").length >= n', arg=runs, timeout=120_000
            )
        if page.locator("#nepnb-runs-panel td[data-column='metrics/acc']").count() == 0:
            with stopwatch(columns):
                page.select_option("#nepnb-runs-panel .nepnb-RunsPanel-columnPicker", "metrics/acc")
                page.wait_for_selector(
                    "#nepnb-runs-panel td[data-column='metrics/acc']", timeout=60_000
                )
    first = page.locator(rows).first

    detail: list[float] = []
    with stopwatch(detail):
        first.locator("td[data-column='name']").dblclick()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.nepnb-RunDetail .nepnb-Chart')]"
            ".some(c => Number(c.dataset.points) > 0)",
            timeout=60_000,
        )
    for index in range(10):
        page.locator(rows).nth(index).locator("input[type='checkbox']").check()

    compare: list[float] = []
    with stopwatch(compare):
        page.locator("#nepnb-runs-panel .nepnb-compare").click()
        page.wait_for_function(
            "() => { const c = document.querySelector('.nepnb-CompareRuns .nepnb-Chart');"
            " return c && Number(c.dataset.series) >= 10 && Number(c.dataset.points) > 0; }",
            timeout=60_000,
        )
    return {
        "runs": runs,
        "panel_open_s": median(opens),
        "add_column_s": median(columns),
        "detail_chart_s": detail[0],
        "compare_10_runs_s": compare[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    cells = max(20, int(1000 * args.scale))
    size = max(200_000, int(20_000_000 * args.scale))
    runs = max(10, int(500 * args.scale))
    with tempfile.TemporaryDirectory(prefix="nepnb-bench-ui-") as tmp:
        work = Path(tmp)
        with running_jupyter_lab(work, work / "lab.log") as lab, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
            figures = {"checkpoints": bench_checkpoints(page, lab, cells, size, args.repeat)}
            log_runs(lab.home, runs, 1000)
            figures["runs"] = bench_runs(page, lab, runs, args.repeat)
            browser.close()
    c, r = figures["checkpoints"], figures["runs"]
    print(
        render(
            ["UI (Chromium, median)", "seconds"],
            [
                [
                    f"upload checkpoint, {c['cells']} cells / {c['notebook_mb']} MB",
                    f"{c['upload_s']:.2f}",
                ],
                ["compare view of two checkpoints, 5% of cells changed", f"{c['compare_s']:.2f}"],
                [f"runs panel open, {r['runs']} runs", f"{r['panel_open_s']:.2f}"],
                ["add a series column (server query)", f"{r['add_column_s']:.2f}"],
                ["run detail with its chart", f"{r['detail_chart_s']:.2f}"],
                ["compare chart of 10 runs", f"{r['compare_10_runs_s']:.2f}"],
            ],
        )
    )
    if args.json:
        args.json.write_text(json.dumps({"machine": machine_info(), **figures}, indent=2))


if __name__ == "__main__":
    main()
