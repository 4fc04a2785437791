"""JupyterLab sends the notebook as the user sees it to the kernel when a cell opens a run."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import nepnb
from nepnb.client.config import local_store
from nepnb.notebooks import Checkpoints
from tests.helpers.lab import dark_theme, open_notebook, run_cells, upload, wait_kernel_idle
from tests.helpers.nbrun import notebook_dict, write_notebook
from tests.helpers.servers import JupyterLab

pytestmark = [pytest.mark.browser, pytest.mark.kernel]


def run_in_new_cell(page: Page, source: str) -> None:
    """Type ``source`` into the cell JupyterLab added after the last run, and run it."""
    page.keyboard.type(source)
    page.keyboard.press("Shift+Enter")


def test_init_run_checkpoints_the_unsaved_notebook_and_the_id_reaches_the_model(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEPNB_HOME", str(jupyter_lab.home))
    notebook = write_notebook(jupyter_lab.root_dir / "demo.ipynb", notebook_dict("%load_ext nepnb"))
    open_notebook(page, jupyter_lab.lab_url("lab/tree/demo.ipynb"))
    page.locator(".jp-Cell .jp-InputArea-editor").first.click()
    page.keyboard.press("Shift+Enter")  # %load_ext nepnb; JupyterLab adds a cell below
    page.wait_for_function(
        "() => document.querySelector('.jp-InputPrompt').textContent.includes('[1]')",
        timeout=60_000,
    )
    run_in_new_cell(page, "print('unsaved edit')")
    page.wait_for_selector("text=unsaved edit", timeout=60_000)
    run_in_new_cell(page, "%neptune init_run --name live")
    page.wait_for_selector("text=is open as `run`", timeout=60_000)
    wait_kernel_idle(page)
    page.screenshot(path=str(artifacts_dir / "run-opened.png"))

    # Nothing was saved: the file still has one cell …
    assert [c["source"] for c in json.loads(notebook.read_text())["cells"]] == ["%load_ext nepnb"]
    # … but the checkpoint linked to the run is the notebook as it was on screen.
    run = nepnb.init_run(with_id="DEF-1", mode="read-only")
    deadline = time.monotonic() + 30  # the run is async: its fields arrive within a flush
    while not run.exists("source_code/notebook") and time.monotonic() < deadline:
        time.sleep(0.2)
    ref = run["source_code/notebook"].fetch()
    assert ref["path"] == str(notebook.resolve())
    content = Checkpoints(local_store(), "local/default").content(ref["checkpoint_id"])
    sources = [cell["source"] for cell in content["cells"]]
    assert sources[:3] == [
        "%load_ext nepnb",
        "print('unsaved edit')",
        "%neptune init_run --name live",
    ]
    printed = content["cells"][1]["outputs"][0]["text"]
    assert printed in ("unsaved edit\n", ["unsaved edit\n"])

    # The kernel handed the notebook id to the frontend, which saves it with the notebook.
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
    saved = json.loads(notebook.read_text())
    assert saved["metadata"]["nepnb"]["notebook_id"] == ref["notebook_id"]
    # JupyterLab sends each cell's id with its execution: the run knows which cell ran.
    while not run.exists("notebook/cells/id") and time.monotonic() < deadline:
        time.sleep(0.2)
    ids = run["notebook/cells/id"].fetch_values()
    assert ids["step"].tolist() == [3.0]
    assert ids["value"].tolist() == [saved["cells"][2]["id"]]
    page.screenshot(path=str(artifacts_dir / "saved.png"))


def test_readme_first_cell_then_upload_keeps_one_history_with_the_run_open_checkpoint(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEPNB_HOME", str(jupyter_lab.home))
    # The README's first cell loads nepnb and opens the run at once, in a notebook saved before
    # (no nepnb id yet): the kernel checkpoints the saved file, before JupyterLab's comm exists.
    notebook = write_notebook(
        jupyter_lab.root_dir / "walk.ipynb",
        notebook_dict("%load_ext nepnb\n%neptune init_run --name walk", "x = 1"),
    )
    open_notebook(page, jupyter_lab.lab_url("lab/tree/walk.ipynb"))
    run_cells(page, 1)
    page.wait_for_selector("text=is open as `run`", timeout=60_000)
    wait_kernel_idle(page)
    page.locator(".jp-SideBar.jp-mod-right li[data-id='nepnb-checkpoints-panel']").click()
    panel = page.locator("#nepnb-checkpoints-panel")
    # The run-open checkpoint is in the panel, before any upload.
    expect(panel.locator(".nepnb-Checkpoint").first).to_contain_text(
        "Run DEF-1 opened", timeout=30_000
    )
    page.screenshot(path=str(artifacts_dir / "run-open-checkpoint.png"))

    upload(page, "First upload")
    expect(panel.locator(".nepnb-Checkpoint")).to_have_count(2, timeout=30_000)
    summaries = panel.locator(".nepnb-Checkpoint-summary").all_inner_texts()
    assert summaries == ["First upload", "Run DEF-1 opened"]
    # The kernel's checkpoint and the toolbar's are signed by one identity, shown alike (not
    # JupyterLab's random "Anonymous Dia" for one of them).
    authors = panel.locator(".nepnb-author").all_inner_texts()
    assert authors[0] == authors[1] and not authors[0].startswith("Anonymous"), authors
    notebooks = page.request.get(jupyter_lab.lab_url("nepnb/api/notebooks")).json()["notebooks"]
    assert len(notebooks) == 1, notebooks
    assert notebooks[0]["checkpoints"] == 2
    saved = json.loads(notebook.read_text())["metadata"]["nepnb"]["notebook_id"]
    assert notebooks[0]["notebook_id"] == saved
    run = nepnb.init_run(with_id="DEF-1", mode="read-only")
    deadline = time.monotonic() + 30
    while not run.exists("source_code/notebook") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert run["source_code/notebook"].fetch()["notebook_id"] == saved
    run.stop()
    page.screenshot(path=str(artifacts_dir / "one-history-light.png"))
    dark_theme(page)
    page.screenshot(path=str(artifacts_dir / "one-history-dark.png"))
