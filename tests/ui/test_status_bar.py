"""The open-runs item of the status bar in Chromium: its popup names the runs, closes on
Escape, ages runs consistently (idle never more than open), and a stop from it is said in
JupyterLab."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.helpers.lab import open_notebook, run_cells, shot, toast, use_theme
from tests.helpers.nbrun import notebook_dict, write_notebook
from tests.helpers.servers import JupyterLab

pytestmark = pytest.mark.browser

SECONDS = r"(?:(\d+) min )?(\d+) s"


def seconds(text: str, word: str) -> int:
    """The seconds after ``word`` in "open 1 min 5 s, idle 12 s"."""
    match = re.search(rf"{word} {SECONDS}", text)
    assert match, text
    return int(match.group(1) or 0) * 60 + int(match.group(2))


def test_status_bar_popup_closes_on_escape_ages_consistently_and_says_a_stop(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path
) -> None:
    write_notebook(
        jupyter_lab.root_dir / "walk.ipynb",
        notebook_dict("%load_ext nepnb", "%neptune init_run --name walk --no-checkpoint"),
    )
    open_notebook(page, jupyter_lab.lab_url("lab/tree/walk.ipynb"))
    status = page.locator(".nepnb-OpenRuns")
    run_cells(page, 2)
    expect(status).to_have_text(re.compile(r"nepnb: \S+ open"), timeout=30_000)
    run_id = status.inner_text().split()[1]

    # The popup closes on Escape, as JupyterLab's own popups do.
    status.click()
    popup = page.locator(".nepnb-OpenRunsPopup")
    expect(popup).to_contain_text(run_id)
    # Each run is named as it was opened (--name walk), not only by its id.
    expect(popup.locator(f"[data-run-id='{run_id}']")).to_contain_text(f"{run_id} walk")
    page.keyboard.press("Escape")
    expect(popup).to_have_count(0)

    # Left alone for a while, the run ages: idle grows, never past open.
    page.wait_for_timeout(12_000)
    status.click()
    expect(popup).to_contain_text(run_id)
    text = popup.locator(f"[data-run-id='{run_id}']").inner_text()
    idle, opened = seconds(text, "idle"), seconds(text, "open")
    assert 10 <= idle <= opened, text
    shot(page, artifacts_dir, "01-popup-light")

    # A stop from the popup is said where the user looks, not only in the server's log.
    popup.get_by_role("button", name="Stop").click()
    expect(status).to_have_text("nepnb: no open runs", timeout=30_000)
    message = toast(page, f"Stopped run {run_id}")
    expect(message).to_contain_text("walk.ipynb")
    expect(popup).to_contain_text("No nepnb run is open")
    shot(page, artifacts_dir, "02-stopped-light")
    page.keyboard.press("Escape")
    expect(popup).to_have_count(0)
    use_theme(page, "JupyterLab Dark")
    shot(page, artifacts_dir, "03-stopped-dark")
