"""The runs panel in Chromium: list, filter, sort, pick a column, open a run's charts, compare runs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page

from tests.helpers.lab import drag_across
from tests.helpers.runs import (
    PANEL,
    ROWS,
    LoggedRun,
    chart_points,
    log_run,
    row,
    shown_ids,
    wait_drawn,
    wait_rows,
)
from tests.helpers.servers import JupyterLab, running_jupyter_lab

pytestmark = pytest.mark.browser


def query_number(url: str, name: str) -> float:
    return float(parse_qs(urlparse(url).query)[name][0])


def widen_left_sidebar(page: Page, by: int) -> None:
    """Drag the handle between the left sidebar and the main area, as a user would."""
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + by, y, steps=5)
    page.mouse.up()


def test_runs_panel_lists_filters_sorts_opens_and_compares(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path, logged_runs: list[LoggedRun]
) -> None:
    baseline, wide, transformer = logged_runs
    series_requests: list[str] = []
    page.on("request", lambda r: series_requests.append(r.url) if "/series?" in r.url else None)

    page.goto(jupyter_lab.lab_url())
    page.wait_for_selector("body[data-nepnb-activated='true']", state="attached", timeout=60_000)
    page.locator(".jp-SideBar.jp-mod-left li[data-id='nepnb-runs-panel']").click()
    wait_rows(page, 3)
    widen_left_sidebar(page, 330)
    # Newest first; the open run is marked as running.
    assert shown_ids(page) == [transformer.id, wide.id, baseline.id]
    assert row(page, transformer.id).get_attribute("data-status") == "running"
    assert row(page, baseline.id).get_attribute("data-status") == "inactive"
    assert row(page, wide.id).locator("td[data-column='name']").inner_text() == "wide"
    assert "3 runs" in page.locator(f"{PANEL} .nepnb-Panel-subtitle").inner_text()
    page.screenshot(path=str(artifacts_dir / "01-panel.png"))

    # Filter by text (name, id or tag), then by a tag chip.
    page.fill(f"{PANEL} .nepnb-RunsPanel-filter", "WIDE")
    wait_rows(page, 1)
    assert shown_ids(page) == [wide.id]
    page.fill(f"{PANEL} .nepnb-RunsPanel-filter", "")
    wait_rows(page, 3)
    row(page, baseline.id).locator(".nepnb-TagChip[data-tag='cnn']").click()
    wait_rows(page, 2)
    assert sorted(shown_ids(page)) == sorted([baseline.id, wide.id])
    page.screenshot(path=str(artifacts_dir / "02-tag-filter.png"))
    page.locator(f"{PANEL} .nepnb-RunsPanel-tagFilters [data-tag='cnn']").click()
    wait_rows(page, 3)

    # Sort by name: ascending, then descending.
    header = page.locator(f"{PANEL} th[data-column='name']")
    header.click()
    assert shown_ids(page) == [baseline.id, transformer.id, wide.id]
    header.click()
    assert shown_ids(page) == [wide.id, transformer.id, baseline.id]
    assert header.get_attribute("aria-sort") == "descending"

    # Add the metrics/acc column: it shows each run's last value and sorts numerically.
    page.select_option(f"{PANEL} .nepnb-RunsPanel-columnPicker", "metrics/acc")
    acc_cells = page.locator(f"{ROWS} td[data-column='metrics/acc']")
    page.wait_for_function(
        f"() => [...document.querySelectorAll(\"{ROWS} td[data-column='metrics/acc']\")]"
        ".every(td => td.textContent !== '')",
        timeout=30_000,
    )
    assert acc_cells.count() == 3
    for run in logged_runs:
        text = row(page, run.id).locator("td[data-column='metrics/acc']").inner_text()
        assert float(text) == pytest.approx(run.last_acc, abs=1e-3)
    acc_header = page.locator(f"{PANEL} th[data-column='metrics/acc']")
    acc_header.click()
    acc_header.click()
    assert shown_ids(page) == [wide.id, baseline.id, transformer.id]
    page.screenshot(path=str(artifacts_dir / "03-acc-column-sorted.png"))

    # Open a run: its chart is drawn from downsampled buckets, its fields as a tree.
    row(page, wide.id).locator("td[data-column='name']").dblclick()
    detail = page.locator(".nepnb-RunDetail")
    detail.wait_for(timeout=30_000)
    chart = detail.locator(".nepnb-RunDetail-chartCard[data-path='metrics/acc'] .nepnb-Chart")
    points = wait_drawn(chart)
    assert 0 < points <= 2000
    assert detail.locator(".nepnb-RunDetail-title").inner_text() == f"{wide.id} · wide"
    lr = detail.locator(".nepnb-FieldTree-field[data-path='params/lr'] .nepnb-FieldTree-value")
    assert float(lr.inner_text()) == pytest.approx(0.001 * 5)
    page.screenshot(path=str(artifacts_dir / "04-run-detail.png"))

    # Zoom by dragging over the plot: the chart asks for the visible range again.
    over = chart.locator(".u-over")
    before = len(series_requests)
    drag_across(page, chart, 0.3, 0.5)
    page.wait_for_function(
        "chart => !chart.querySelector('.nepnb-Chart-reset').disabled",
        arg=chart.element_handle(),
        timeout=10_000,
    )
    page.wait_for_timeout(1000)
    zoomed = [url for url in series_requests[before:] if "start=" in url and "end=" in url]
    assert zoomed, series_requests[before:]
    assert wait_drawn(chart) > 0
    page.screenshot(path=str(artifacts_dir / "05-zoomed.png"))

    # Shift + drag pans: the chart asks for the range further left.
    before = len(series_requests)
    drag_across(page, chart, 0.4, 0.6, shift=True)
    page.wait_for_timeout(1000)
    panned = [url for url in series_requests[before:] if "start=" in url]
    assert panned, series_requests[before:]
    assert query_number(panned[-1], "start") < query_number(zoomed[-1], "start")
    over.dblclick()
    page.wait_for_function(
        "chart => chart.querySelector('.nepnb-Chart-reset').disabled",
        arg=chart.element_handle(),
        timeout=10_000,
    )

    # Select two runs and compare them: one chart, one line per run.
    row(page, baseline.id).locator("td[data-column='id']").click()
    row(page, wide.id).locator("input[type='checkbox']").check()
    compare_button = page.locator(f"{PANEL} .nepnb-compare")
    assert compare_button.inner_text() == "Compare 2"
    compare_button.click()
    compare = page.locator(".nepnb-CompareRuns")
    compare.wait_for(timeout=30_000)
    compare_chart = compare.locator(".nepnb-Chart")
    page.wait_for_function(
        "chart => chart.dataset.series === '2' && Number(chart.dataset.points) > 0",
        arg=compare_chart.element_handle(),
        timeout=30_000,
    )
    assert chart_points(compare_chart) <= 2 * 2000
    assert compare.locator(".nepnb-CompareRuns-paths input[value='metrics/acc']").is_checked()
    legend = compare_chart.locator(".u-legend").inner_text()
    assert f"{baseline.id} baseline" in legend and f"{wide.id} wide" in legend
    page.screenshot(path=str(artifacts_dir / "06-compare.png"))

    # A click on a legend entry hides that run's line; another shows it again.
    entry = compare_chart.locator(".u-legend .u-series:not(.nepnb-Chart-aux)", has_text=baseline.id)
    entry.click()
    page.wait_for_function(
        "chart => chart.dataset.series === '1'", arg=compare_chart.element_handle()
    )
    entry.click()
    page.wait_for_function(
        "chart => chart.dataset.series === '2'", arg=compare_chart.element_handle()
    )

    # Log y, time on x and smoothing redraw the same two lines.
    compare_chart.locator(".nepnb-Chart-log").check()
    before = len(series_requests)
    compare_chart.locator(".nepnb-Chart-xaxis").select_option("time")
    page.wait_for_function(
        "chart => chart.dataset.series === '2' && Number(chart.dataset.points) > 0",
        arg=compare_chart.element_handle(),
        timeout=30_000,
    )
    assert any("x=time" in url for url in series_requests[before:])
    compare_chart.locator(".nepnb-Chart-smoothing").fill("0.9")
    assert wait_drawn(compare_chart) > 0
    page.screenshot(path=str(artifacts_dir / "07-compare-time-log-smoothed.png"))

    # A new run shows up after Refresh (the panel also polls while visible).
    _, fourth = log_run("fourth", [], 0.7, 100)
    page.locator(f"{PANEL} .nepnb-refresh").click()
    wait_rows(page, 4)
    assert fourth.id in shown_ids(page)


@pytest.mark.server
def test_runs_panel_opens_in_notebook_7(
    tmp_path: Path, page: Page, artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_jupyter_lab(tmp_path, artifacts_dir / "notebook.log", app="notebook") as server:
        monkeypatch.setenv("NEPNB_HOME", str(server.home))
        monkeypatch.delenv("NEPTUNE_API_TOKEN", raising=False)
        _, logged = log_run("nb7", ["notebook"], 0.5, 500)

        page.goto(server.lab_url("tree"))
        page.wait_for_selector(
            "body[data-nepnb-activated='true']", state="attached", timeout=60_000
        )
        # Notebook 7 lists left-area panels under View > Left Sidebar, by their caption.
        page.get_by_role("menuitem", name="View").click()
        page.locator(".lm-Menu-item", has_text="Left Sidebar").hover()
        page.locator(".lm-Menu-item", has_text="Show nepnb runs").click()
        wait_rows(page, 1)
        assert shown_ids(page) == [logged.id]
        assert (
            page.locator(f"{PANEL} .nepnb-Panel-subtitle").inner_text() == "local/default · 1 run"
        )
        page.screenshot(path=str(artifacts_dir / "01-notebook7-panel.png"))

        # Notebook 7's main area holds the page's document: the run opens in a dialog.
        row(page, logged.id).locator("td[data-column='name']").dblclick()
        chart = page.locator(".jp-Dialog .nepnb-RunDetail .nepnb-Chart").first
        chart.wait_for(timeout=30_000)
        assert wait_drawn(chart) > 0
        page.screenshot(path=str(artifacts_dir / "02-notebook7-run.png"))
