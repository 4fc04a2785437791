"""Run detail and compare runs in Chromium: they follow the run's state, show the user's fields
first, and compare runs with one chart per metric and one colour per run."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page

from tests.helpers.lab import use_theme
from tests.helpers.runs import PANEL, log_run, open_runs_panel, row, wait_drawn, wait_rows
from tests.helpers.servers import JupyterLab

pytestmark = pytest.mark.browser

#: The namespaces nepnb fills, in the order they come after the user's own.
SYSTEM = ["sys", "monitoring", "source_code", "notebook"]


@pytest.fixture
def local_store(jupyter_lab: JupyterLab, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs logged by the test go to the Lab's local store."""
    monkeypatch.setenv("NEPNB_HOME", str(jupyter_lab.home))
    monkeypatch.delenv("NEPTUNE_API_TOKEN", raising=False)


def detail_of(page: Page, run_id: str) -> Locator:
    """The detail tab of a run (shown or not)."""
    return page.locator(
        ".nepnb-RunDetail", has=page.locator(".nepnb-RunDetail-title", has_text=run_id)
    )


def tab(page: Page, label: str) -> Locator:
    return page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=label)


def test_run_detail_follows_the_run_state_as_the_table_does(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path, local_store: None
) -> None:
    _, done = log_run("done", ["cnn"], 0.8, 300)
    live_run, live = log_run("live", ["cnn"], 0.6, 300, stop=False)
    try:
        page.goto(jupyter_lab.lab_url())
        page.wait_for_selector(
            "body[data-nepnb-activated='true']", state="attached", timeout=60_000
        )
        open_runs_panel(page)
        wait_rows(page, 2)
        assert row(page, live.id).get_attribute("data-status") == "running"

        # The live run's detail says running; then the user looks at another run's tab.
        row(page, live.id).locator("td[data-column='name']").dblclick()
        live_badge = detail_of(page, live.id).locator(".nepnb-RunState")
        live_badge.wait_for(timeout=30_000)
        page.wait_for_function(
            "badge => badge.textContent === 'running'",
            arg=live_badge.element_handle(),
            timeout=30_000,
        )
        row(page, done.id).locator("td[data-column='name']").dblclick()
        detail_of(page, done.id).locator(".nepnb-RunState").wait_for(timeout=30_000)
        assert not live_badge.is_visible()

        # The run stops; the table lists it inactive: its detail says so with the table.
        live_run.stop()
        page.locator(f"{PANEL} .nepnb-refresh").click()
        page.wait_for_function(
            f"""() => document.querySelector(
                "{PANEL} tr[data-run-id='{live.id}']")?.dataset.status === 'inactive'""",
            timeout=30_000,
        )
        assert live_badge.text_content() == "inactive"

        tab(page, f"Run {live.id}").click()
        assert live_badge.is_visible()
        assert live_badge.text_content() == "inactive"
        page.screenshot(path=str(artifacts_dir / "01-detail-inactive-light.png"))
        use_theme(page, "JupyterLab Dark")
        page.screenshot(path=str(artifacts_dir / "02-detail-inactive-dark.png"))
    finally:
        live_run.stop()


def log_with_system_series(name: str, final: float, loss: bool) -> str:
    """A stopped run with the user's metrics (acc, and loss when asked) beside series in
    monitoring/ and notebook/, as a kernel's run has them; its id."""
    run, logged = log_run(name, ["cmp"], final, 200, stop=False)
    steps = range(200)
    if loss:
        run["metrics/loss"].extend([1 / (1 + s) for s in steps], steps=steps)
    run["monitoring/cpu"].extend([50.0 + s % 7 for s in steps], steps=steps)
    run["notebook/cells/duration"].extend([0.1 * (s % 5) for s in steps], steps=steps)
    run.stop()
    return logged.id


def test_user_fields_first_and_compare_draws_one_chart_per_metric(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path, local_store: None
) -> None:
    first = log_with_system_series("first", 0.8, loss=True)
    second = log_with_system_series("second", 0.9, loss=True)

    page.goto(jupyter_lab.lab_url())
    page.wait_for_selector("body[data-nepnb-activated='true']", state="attached", timeout=60_000)
    open_runs_panel(page)
    wait_rows(page, 2)

    # Run detail: the user's namespaces and charts first, the system ones after them.
    row(page, first).locator("td[data-column='name']").dblclick()
    detail = detail_of(page, first)
    detail.locator(".nepnb-FieldTree").wait_for(timeout=30_000)
    top = detail.locator(".nepnb-FieldTree > [data-path]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.path)"
    )
    system = [path for path in top if path in SYSTEM]
    assert top == ["metrics", "params", *system]
    assert system == sorted(system, key=SYSTEM.index)
    assert {"sys", "monitoring", "notebook"} <= set(system)
    charts = detail.locator(".nepnb-RunDetail-chartCard").evaluate_all(
        "cards => cards.map(c => c.dataset.path)"
    )
    assert charts[:2] == ["metrics/acc", "metrics/loss"]
    assert charts.index("monitoring/cpu") < charts.index("notebook/cells/duration")
    # the user's namespaces start open, the system ones closed
    assert detail.locator("details[data-path='metrics']").get_attribute("open") is not None
    assert detail.locator("details[data-path='notebook']").get_attribute("open") is None
    page.screenshot(path=str(artifacts_dir / "01-detail-user-fields-first.png"))

    # Compare: one chart per user metric, each with one line per run, a run's colour the same
    # on every chart.
    row(page, first).locator("input[type='checkbox']").check()
    row(page, second).locator("input[type='checkbox']").check()
    page.locator(f"{PANEL} .nepnb-compare").click()
    compare = page.locator(".nepnb-CompareRuns")
    compare.locator(".nepnb-CompareRuns-charts .nepnb-Chart").first.wait_for(timeout=30_000)
    cards = compare.locator(".nepnb-CompareRuns-charts .nepnb-RunDetail-chartCard")
    assert cards.evaluate_all("cards => cards.map(c => c.dataset.path)") == [
        "metrics/acc",
        "metrics/loss",
    ]
    picker = compare.locator(".nepnb-CompareRuns-paths input").evaluate_all(
        "boxes => boxes.map(b => [b.value, b.checked])"
    )
    assert picker[:2] == [["metrics/acc", True], ["metrics/loss", True]]
    assert [path.split("/")[0] for path, _ in picker[2:]] == sorted(
        (path.split("/")[0] for path, _ in picker[2:]), key=SYSTEM.index
    )
    assert not any(checked for _, checked in picker[2:])
    colours: list[dict[str, str]] = []
    for index in range(2):
        chart = cards.nth(index).locator(".nepnb-Chart")
        wait_drawn(chart)
        assert chart.get_attribute("data-series") == "2"
        colours.append(
            chart.locator(".u-legend .u-series:not(.nepnb-Chart-aux)").evaluate_all(
                """entries => Object.fromEntries(entries.slice(1).map(e => [
                    e.querySelector('.u-label').textContent.split(' ')[0],
                    getComputedStyle(e.querySelector('.u-marker')).backgroundColor]))"""
            )
        )
    assert set(colours[0]) == {first, second}
    assert colours[0] == colours[1]
    assert colours[0][first] != colours[0][second]
    key = compare.locator(".nepnb-CompareRuns-keyEntry").evaluate_all(
        "entries => entries.map(e => e.dataset.runId)"
    )
    assert sorted(key) == sorted([first, second])
    page.screenshot(path=str(artifacts_dir / "02-compare-one-chart-per-metric-light.png"))
    use_theme(page, "JupyterLab Dark")
    page.screenshot(path=str(artifacts_dir / "03-compare-one-chart-per-metric-dark.png"))


def test_runs_table_opens_as_a_full_width_tab_with_tooltips_and_dashes(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path, local_store: None
) -> None:
    comment = "a long comment about this run, " * 6
    _, plain = log_run("plain", [], 0.7, 50)
    described_run, described = log_run("described", ["cnn"], 0.9, 50, stop=False)
    described_run["params/comment"] = comment
    described_run["params/ratio"] = 0.912345678
    described_run.stop()

    page.goto(jupyter_lab.lab_url())
    page.wait_for_selector("body[data-nepnb-activated='true']", state="attached", timeout=60_000)
    open_runs_panel(page)
    wait_rows(page, 2)

    # The sidebar's "Open as tab" opens the table in the main area, at full width.
    page.locator(f"{PANEL} .nepnb-openTable").click()
    table = page.locator("#nepnb-runs-table")
    rows = "#nepnb-runs-table tr[data-run-id]"
    page.wait_for_function(
        f'() => document.querySelectorAll("{rows}").length === 2', timeout=30_000
    )
    box = table.bounding_box()
    assert box is not None and box["width"] > 900
    for column in ("params/comment", "params/ratio"):
        table.locator(".nepnb-RunsPanel-columnPicker").select_option(column)
        page.wait_for_selector(
            f"{rows}[data-run-id='{described.id}'] td[data-column='{column}']", timeout=30_000
        )
    page.wait_for_function(
        f"""() => document.querySelector(
            "{rows}[data-run-id='{described.id}'] td[data-column='params/ratio']"
        )?.title === '0.912345678'""",
        timeout=30_000,
    )

    def cell(run_id: str, column: str) -> Locator:
        return table.locator(f"tr[data-run-id='{run_id}'] td[data-column='{column}']")

    # Empty cells show a dash; long or rounded values give their whole value as a tooltip.
    assert cell(plain.id, "params/comment").inner_text() == "—"
    assert cell(plain.id, "params/comment").get_attribute("title") == "No value"
    assert cell(plain.id, "tags").inner_text() == "—"
    assert cell(described.id, "params/comment").get_attribute("title") == comment
    assert cell(described.id, "params/ratio").inner_text() != "0.912345678"
    # No column is cut at this width: "Created" shows whole.
    created = cell(described.id, "creation_time")
    assert created.evaluate("td => td.scrollWidth <= td.clientWidth")
    page.screenshot(path=str(artifacts_dir / "01-runs-table-tab-light.png"))
    use_theme(page, "JupyterLab Dark")
    page.screenshot(path=str(artifacts_dir / "02-runs-table-tab-dark.png"))
