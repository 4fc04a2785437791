"""The inline chart widget in Chromium: live while the cell that logs runs, in JupyterLab and
in Notebook 7, with the fallback picture saved in the notebook."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page

from tests.helpers.lab import (
    cell,
    drag_across,
    open_notebook,
    run_cells,
    shot,
    use_theme,
    wait_kernel_idle,
)
from tests.helpers.nbrun import notebook_dict, write_notebook
from tests.helpers.servers import JupyterLab

pytestmark = [pytest.mark.browser, pytest.mark.kernel]

SETUP = "import nepnb, time\n%load_ext nepnb\n%neptune init_run --name live --no-checkpoint"
LOOP = (
    "run['train/loss'].chart()\n"
    "for i in range(70):\n"
    "    for j in range(20):\n"
    "        run['train/loss'].append(1 / (1 + 0.01 * (20 * i + j)))\n"
    "    time.sleep(0.1)"
)
CHART = ".nepnb-ChartWidget .nepnb-Chart"


def points(chart: Locator) -> int:
    return int(chart.get_attribute("data-points") or 0)


def running(page: Page, index: int) -> bool:
    """True while the cell's prompt says it runs ([*])."""
    return "*" in cell(page, index).locator(".jp-InputPrompt").inner_text()


def watch_live_chart(page: Page, index: int, folder: Path) -> list[int]:
    """Run cell ``index`` (which shows a chart and appends in a loop) and sample the chart's
    drawn point count while it runs; returns the samples."""
    cell(page, index).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    chart = page.locator(CHART).first
    chart.wait_for(timeout=60_000)
    page.wait_for_function(
        "c => Number(c.dataset.points) > 0", arg=chart.element_handle(), timeout=30_000
    )
    samples = []
    shot_taken = False
    while running(page, index):
        samples.append(points(chart))
        if not shot_taken and samples[-1] > 300:
            shot(page, folder, "01-live")
            shot_taken = True
        time.sleep(0.25)
    return samples


def test_the_chart_grows_while_the_cell_appends(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path
) -> None:
    notebook = write_notebook(
        jupyter_lab.root_dir / "live.ipynb", notebook_dict(SETUP, LOOP, "run.stop()")
    )
    open_notebook(page, jupyter_lab.lab_url("lab/tree/live.ipynb"))
    run_cells(page, 1)
    samples = watch_live_chart(page, 1, artifacts_dir)
    chart = page.locator(CHART).first
    # Drawn while the kernel was busy with the loop: several growing counts.
    grown = [n for n in samples if n > 0]
    assert len(set(grown)) >= 4, samples
    assert grown == sorted(grown), samples
    assert chart.get_attribute("data-live") == "true"
    # The kernel, free now, answers the chart's own request: one bucket per pixel.
    page.wait_for_function(
        "c => Number(c.dataset.points) >= 900 && !/loading/.test(c.textContent)",
        arg=chart.element_handle(),
        timeout=30_000,
    )
    assert chart.get_attribute("data-series") == "1"
    shot(page, artifacts_dir, "02-loop-done")

    # The run stops: the chart is no longer live.
    cell(page, 2).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "c => c.dataset.live === 'false'", arg=chart.element_handle(), timeout=30_000
    )
    wait_kernel_idle(page)

    # Zoom by dragging: the kernel, free now, answers with the exact points of the range.
    drag_across(page, chart, 0.1, 0.3)
    page.wait_for_function(
        "c => Number(c.dataset.points) < 400 && Number(c.dataset.points) > 100",
        arg=chart.element_handle(),
        timeout=30_000,
    )
    assert "points" in chart.locator(".nepnb-Chart-status").inner_text()
    shot(page, artifacts_dir, "03-zoomed")

    # Saved, the notebook holds the final picture for where widgets do not render.
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
    saved = json.loads(notebook.read_text())
    (output,) = [o for o in saved["cells"][1]["outputs"] if "image/png" in o.get("data", {})]
    assert "1,400 points" in "".join(output["data"]["text/plain"])


def test_the_chart_renders_in_notebook_7(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path
) -> None:
    write_notebook(jupyter_lab.root_dir / "nb7.ipynb", notebook_dict(SETUP, LOOP, "run.stop()"))
    open_notebook(page, jupyter_lab.lab_url("notebooks/nb7.ipynb"))
    run_cells(page, 1)
    samples = watch_live_chart(page, 1, artifacts_dir)
    assert len({n for n in samples if n > 0}) >= 3, samples
    chart = page.locator(CHART).first
    assert chart.locator("canvas").count() >= 1
    legend = chart.locator(".u-legend").inner_text()
    assert "train/loss" in legend
    shot(page, artifacts_dir, "02-notebook7")


#: The colour a CSS variable of the theme resolves to, as getComputedStyle gives colours.
THEME_COLOR = """v => { const e = document.createElement('div'); e.style.color = `var(${v})`;
  document.body.append(e); const c = getComputedStyle(e).color; e.remove(); return c; }"""
STYLE_OF = "(e, p) => getComputedStyle(e).getPropertyValue(p)"


def test_the_chart_looks_like_jupyterlab_in_light_and_dark(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path
) -> None:
    steps = "for i in range(60):\n    run['train/loss'].append(1 / (1 + i))"
    write_notebook(
        jupyter_lab.root_dir / "look.ipynb",
        notebook_dict(SETUP, steps, "run['train/loss'].chart()"),
    )
    open_notebook(page, jupyter_lab.lab_url("lab/tree/look.ipynb"))
    run_cells(page, 3)
    chart = page.locator(CHART).first
    page.wait_for_function(
        "c => Number(c.dataset.points) === 60", arg=chart.element_handle(), timeout=30_000
    )
    page.mouse.move(0, 0)  # the cursor off the plot: the legend shows the last values

    # The y axis says what it shows.
    assert chart.get_attribute("data-y-label") == "train/loss"
    # The legend: a solid swatch in the line's colour, and the last value rather than a dash.
    row = chart.locator(".u-legend .u-series:not(.nepnb-Chart-aux)").nth(1)
    assert row.locator(".u-marker").evaluate(STYLE_OF, "background-color") == "rgb(78, 121, 167)"
    assert row.locator(".u-value").inner_text() == "0.01667"  # 1 / 60
    assert chart.locator(".u-legend .u-value").first.inner_text() == "59"  # the last step

    def assert_themed(theme: str) -> None:
        select = chart.locator("select.nepnb-Chart-xaxis")
        button = chart.locator("button.nepnb-Chart-reset")
        for control in (select, button):
            assert control.evaluate(STYLE_OF, "font-family") == page.evaluate(
                "() => getComputedStyle(document.body).getPropertyValue('--jp-ui-font-family').trim()"
            ), theme
        assert select.evaluate(STYLE_OF, "border-top-color") == page.evaluate(
            THEME_COLOR, "--jp-border-color1"
        ), theme
        # not zoomed: the reset button looks disabled, in the theme's faint text
        assert button.is_disabled()
        assert button.evaluate(STYLE_OF, "color") == page.evaluate(
            THEME_COLOR, "--jp-ui-font-color3"
        ), theme
        assert button.evaluate(STYLE_OF, "background-color") == "rgba(0, 0, 0, 0)", theme
        assert select.evaluate(STYLE_OF, "background-color") == page.evaluate(
            THEME_COLOR, "--jp-layout-color1"
        ), theme
        assert select.evaluate(STYLE_OF, "color") == page.evaluate(
            THEME_COLOR, "--jp-ui-font-color1"
        ), theme
        # the axes were drawn in the theme's colours, in a font size uPlot can lay out
        drawn = json.loads(chart.get_attribute("data-theme") or "{}")
        assert re.match(r"\d+px ", drawn.get("font", "")), drawn
        assert page.evaluate(THEME_COLOR, "--jp-ui-font-color1") == page.evaluate(
            "c => { const e = document.createElement('div'); e.style.color = c;"
            " document.body.append(e); const r = getComputedStyle(e).color; e.remove(); return r; }",
            drawn.get("text", ""),
        ), theme

    assert_themed("light")
    chart.scroll_into_view_if_needed()
    shot(page, artifacts_dir, "01-light")

    use_theme(page, "JupyterLab Dark")
    assert_themed("dark")
    chart.scroll_into_view_if_needed()
    shot(page, artifacts_dir, "02-dark")
