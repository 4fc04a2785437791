"""nepnb's commands and small words in Chromium: one palette category, labels that cannot be
taken for JupyterLab's own checkpoints, a summary counter that matches what the field accepts,
a disabled button that looks disabled."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.helpers.lab import UPLOAD_BUTTON, open_notebook, use_theme
from tests.helpers.nbrun import notebook_dict, write_notebook
from tests.helpers.runs import PANEL, log_run, open_runs_panel, wait_rows
from tests.helpers.servers import JupyterLab

pytestmark = pytest.mark.browser


def test_palette_category_words_counter_and_disabled_button(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEPNB_HOME", str(jupyter_lab.home))
    monkeypatch.delenv("NEPTUNE_API_TOKEN", raising=False)
    log_run("one", [], 0.5, 20)
    write_notebook(jupyter_lab.root_dir / "walk.ipynb", notebook_dict("x = 1"))
    open_notebook(page, jupyter_lab.lab_url("lab/tree/walk.ipynb"))

    # Every nepnb command of the palette sits under one "nepnb" header.
    page.keyboard.press("Control+Shift+c")
    page.locator(".lm-CommandPalette-input").fill("")
    entries = page.locator(".lm-CommandPalette-content").evaluate(
        """content => {
            let header = '';
            const found = [];
            for (const node of content.children) {
                if (node.classList.contains('lm-CommandPalette-header')) {
                    header = node.textContent.trim();
                } else if ((node.dataset.command || '').startsWith('nepnb:')) {
                    found.push([header, node.dataset.command,
                        node.querySelector('.lm-CommandPalette-itemLabel').textContent]);
                }
            }
            return found;
        }"""
    )
    assert {command for _, command, _ in entries} >= {
        "nepnb:upload-checkpoint",
        "nepnb:show-checkpoints",
        "nepnb:open-runs",
        "nepnb:open-runs-table",
        "nepnb:set-token",
    }
    assert {header for header, _, _ in entries} == {"nepnb"}
    labels = {command: label for _, command, label in entries}
    # Beside JupyterLab's "Save and create checkpoint" and "Revert Notebook to Checkpoint…".
    assert labels["nepnb:upload-checkpoint"] == "Upload a nepnb checkpoint of this notebook"
    assert "nepnb" in labels["nepnb:show-checkpoints"]
    assert not any(re.match(r"(revert|save)", label, re.I) for label in labels.values())
    page.screenshot(path=str(artifacts_dir / "01-palette.png"))
    page.keyboard.press("Escape")

    # The summary counter counts to the length the field accepts.
    page.locator(UPLOAD_BUTTON).click()
    dialog = page.locator(".jp-Dialog")
    summary = dialog.get_by_label("Checkpoint summary")
    expect(dialog.locator(".nepnb-MessageForm-count")).to_have_text("0 / 512")
    assert summary.evaluate("input => input.maxLength") == 512
    summary.fill("x" * 600)
    expect(dialog.locator(".nepnb-MessageForm-count")).to_have_text("512 / 512")
    dialog.get_by_role("button", name="Cancel").click()

    # With no run selected, "Open" is disabled and looks it (not like the primary button).
    open_runs_panel(page)
    wait_rows(page, 1)
    open_button = page.locator(f"{PANEL} .nepnb-open")
    assert open_button.is_disabled()
    assert float(open_button.evaluate("b => getComputedStyle(b).opacity")) <= 0.5
    page.screenshot(path=str(artifacts_dir / "02-disabled-open-light.png"))
    use_theme(page, "JupyterLab Dark")
    page.screenshot(path=str(artifacts_dir / "03-disabled-open-dark.png"))
