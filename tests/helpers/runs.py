"""Runs logged for the browser tests of the runs panel, and the panel's table as a test reads it."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from playwright.sync_api import Locator, Page

import nepnb

PANEL = "#nepnb-runs-panel"
ROWS = f"{PANEL} tr[data-run-id]"


@dataclass(frozen=True)
class LoggedRun:
    id: str
    name: str
    tags: tuple[str, ...]
    last_acc: float


def accuracy_curve(final: float, points: int) -> list[float]:
    """A rising, slightly noisy accuracy curve ending near `final`."""
    return [
        final * (1 - math.exp(-step / (points / 6))) + 0.01 * math.sin(step / 7)
        for step in range(points)
    ]


def log_run(
    name: str, tags: list[str], final: float, points: int, stop: bool = True
) -> tuple[nepnb.Run, LoggedRun]:
    """Log a run to the local store (``$NEPNB_HOME``); leave it open unless ``stop``."""
    run = nepnb.init_run(
        project="local/default",
        mode="sync",
        name=name,
        tags=tags,
        capture_stdout=False,
        capture_stderr=False,
        capture_hardware_metrics=False,
    )
    values = accuracy_curve(final, points)
    started = time.time() - points  # one point a second, up to now
    run["metrics/acc"].extend(
        values, steps=range(points), timestamps=[started + step for step in range(points)]
    )
    run["params/lr"] = 0.001 * (1 + len(name))
    logged = LoggedRun(run["sys/id"].fetch(), name, tuple(tags), values[-1])
    if stop:
        run.stop()
    return run, logged


def row(page: Page, run_id: str) -> Locator:
    """The runs table's row of a run."""
    return page.locator(f"{ROWS}[data-run-id='{run_id}']")


def shown_ids(page: Page) -> list[str]:
    """The ids of the rows the runs table shows, top to bottom."""
    return page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.runId)")


def wait_rows(page: Page, count: int) -> None:
    page.wait_for_function(
        f'() => document.querySelectorAll("{ROWS}").length === {count}', timeout=30_000
    )


def open_runs_panel(page: Page) -> None:
    """Click the runs panel's icon in the left sidebar."""
    page.locator(".jp-SideBar.jp-mod-left li[data-id='nepnb-runs-panel']").click()


def chart_points(chart: Locator) -> int:
    return int(chart.get_attribute("data-points") or 0)


def wait_drawn(chart: Locator) -> int:
    """Wait until the chart drew points; how many."""
    chart.page.wait_for_function(
        "chart => Number(chart.dataset.points) > 0", arg=chart.element_handle(), timeout=30_000
    )
    return chart_points(chart)
