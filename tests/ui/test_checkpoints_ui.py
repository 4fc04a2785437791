"""The checkpoint UI in a real JupyterLab: upload, list, compare, restore, open runs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from nepnb.notebooks import Checkpoints
from nepnb.store.local import LocalStore
from tests.helpers.lab import (
    UPLOAD_BUTTON,
    cell,
    dark_theme,
    open_notebook,
    replace_cell_source,
    run_cells,
    shot,
    toast,
    upload,
    wait_kernel_idle,
)
from tests.helpers.nbrun import notebook_dict, write_notebook
from tests.helpers.servers import JupyterLab

pytestmark = [pytest.mark.browser, pytest.mark.kernel]


def store_checkpoints(lab: JupyterLab) -> Checkpoints:
    return Checkpoints(LocalStore(lab.home), "local/default")


def test_upload_two_checkpoints_compare_them_and_open_one(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path
) -> None:
    notebook = write_notebook(
        jupyter_lab.root_dir / "train.ipynb",
        notebook_dict(
            "%load_ext nepnb", "lr = 0.1\nprint('lr is', lr)", "%neptune init_run --name ui"
        ),
    )
    open_notebook(page, jupyter_lab.lab_url("lab/tree/train.ipynb"))
    # The button is there, with its label, next to JupyterLab's own save button.
    expect(page.locator(UPLOAD_BUTTON)).to_contain_text("Upload checkpoint")
    run_cells(page, 3)
    page.wait_for_selector("text=is open as `run`", timeout=60_000)
    status = page.locator(".nepnb-OpenRuns")
    expect(status).to_have_text(re.compile(r"nepnb: [A-Z]+-1 open"), timeout=30_000)
    run_id = status.inner_text().split()[1]
    shot(page, artifacts_dir, "01-run-open")

    # First checkpoint, with a body; the open run is linked.
    page.locator(UPLOAD_BUTTON).click()
    page.locator(".nepnb-MessageForm-summary").fill("Baseline, lr 0.1")
    page.locator(".nepnb-MessageForm-body").fill("First try.\nNothing tuned yet.")
    shot(page, artifacts_dir, "02-upload-dialog")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    message = toast(page, 'uploaded: "Baseline, lr 0.1"')
    first = re.search(r"Checkpoint ([0-9a-f]{12})", message.inner_text()).group(1)  # type: ignore[union-attr]
    assert run_id in message.inner_text()
    shot(page, artifacts_dir, "03-notification")
    message.get_by_role("button", name="Show").click()

    panel = page.locator("#nepnb-checkpoints-panel")
    expect(panel).to_be_visible()
    newest = panel.locator(".nepnb-Checkpoint").first
    expect(newest).to_have_attribute("data-checkpoint-id", first)
    expect(newest).to_have_class(re.compile("nepnb-mod-highlighted"))
    expect(newest).to_contain_text("Baseline, lr 0.1")
    expect(newest.locator(".nepnb-Chip")).to_have_text(run_id)
    shot(page, artifacts_dir, "04-panel")

    # The id is in the notebook's own model and saved with it: no "file changed" dialog later.
    saved = json.loads(notebook.read_text())
    history = store_checkpoints(jupyter_lab).history(saved["metadata"]["nepnb"]["notebook_id"])
    assert history[0].id == first and history[0].body == "First try.\nNothing tuned yet."
    assert run_id in history[0].runs

    # Edit a cell, run it, take a second checkpoint with the keyboard shortcut.
    replace_cell_source(page, 1, "lr = 0.01\nprint('lr is', lr)")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=lr is 0.01", timeout=30_000)
    wait_kernel_idle(page)
    second = upload(page, "Smaller learning rate", shortcut=True)
    expect(panel.locator(".nepnb-Checkpoint").first).to_have_attribute("data-checkpoint-id", second)
    assert not page.locator(".jp-Dialog").count(), "no dialog may be left (e.g. file changed)"

    # Compare the two: the edited cell is the one highlighted, with its line diff and output.
    panel.locator(f"[data-checkpoint-id='{first}'] input").check()
    panel.locator(f"[data-checkpoint-id='{second}'] input").check()
    shot(page, artifacts_dir, "05-two-selected")
    panel.get_by_role("button", name="Compare selected").click()
    view = page.locator(f"#nepnb-compare-{first}-{second}")
    expect(view).to_have_attribute("data-loaded", "true", timeout=30_000)
    expect(view.locator(".nepnb-Compare-summary")).to_have_text(re.compile(r"^1 changed"))
    changed = view.locator(".nepnb-DiffCell.nepnb-mod-changed")
    expect(changed).to_have_count(1)
    # re-run, so its execution count changed too: a change (README, "identical")
    expect(changed.locator(".nepnb-DiffCell-badge")).to_have_text(
        "source and outputs and execution count changed"
    )
    expect(changed.locator(".nepnb-Diff-change .nepnb-Diff-a").first).to_have_text("lr = 0.1")
    expect(changed.locator(".nepnb-Diff-change .nepnb-Diff-b").first).to_have_text("lr = 0.01")
    expect(changed.locator(".nepnb-DiffOutputs")).to_contain_text("lr is 0.01")
    shot(page, artifacts_dir, "06-compare-split")
    view.get_by_label("Unified").check()
    expect(changed.locator(".nepnb-Diff-delete").first).to_contain_text("- lr = 0.1")
    expect(changed.locator(".nepnb-Diff-insert").first).to_contain_text("+ lr = 0.01")
    shot(page, artifacts_dir, "07-compare-unified")

    # One checkpoint against the notebook now: nothing changed since the second upload.
    panel.locator(f"[data-checkpoint-id='{first}'] input").uncheck()
    panel.get_by_role("button", name="Compare with current").click()
    now_view = page.locator(f"#nepnb-compare-{second}-current")
    expect(now_view).to_have_attribute("data-loaded", "true", timeout=30_000)
    expect(now_view.locator(".nepnb-Compare-summary")).to_have_text("no changes")

    # Open the first checkpoint as a new notebook: a new file, the original untouched.
    panel.locator(f"[data-checkpoint-id='{second}'] input").uncheck()
    panel.locator(f"[data-checkpoint-id='{first}'] input").check()
    before = notebook.read_text()
    panel.get_by_role("button", name="Open as notebook").click()
    toast(page, f"Opened checkpoint {first} as")
    restored = [p for p in jupyter_lab.root_dir.glob("*.ipynb") if p.name != "train.ipynb"]
    assert len(restored) == 1, restored
    assert "lr = 0.1" in json.dumps(json.loads(restored[0].read_text())["cells"][1]["source"])
    assert notebook.read_text() == before
    expect(
        page.locator(".jp-DocumentWidget.jp-mod-current, .lm-TabBar-tab.lm-mod-current")
        .filter(has_text=restored[0].name)
        .first
    ).to_be_visible()
    shot(page, artifacts_dir, "08-restored")

    # The runs panel lists the run the notebook opened, still running, and opens it.
    page.locator(".jp-SideBar.jp-mod-left li[data-id='nepnb-runs-panel']").click()
    run_row = page.locator(f"#nepnb-runs-panel tr[data-run-id='{run_id}']")
    expect(run_row).to_contain_text("running", timeout=30_000)
    expect(run_row.locator("td[data-column='name']")).to_have_text("ui")
    run_row.locator("td[data-column='name']").dblclick()
    detail = page.locator(".nepnb-RunDetail")
    expect(detail.locator(".nepnb-RunDetail-title")).to_have_text(f"{run_id} · ui")
    # The magic logged each executed cell into it: their durations are charted once the async
    # run has flushed (the view of a running run reloads every 10 s).
    expect(
        detail.locator(".nepnb-RunDetail-chartCard[data-path='notebook/cells/duration']")
    ).to_have_count(1, timeout=40_000)
    shot(page, artifacts_dir, "09-runs-panel")


def test_an_empty_message_is_refused_and_a_failed_upload_loses_nothing(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path
) -> None:
    notebook = write_notebook(jupyter_lab.root_dir / "a.ipynb", notebook_dict("x = 1"))
    open_notebook(page, jupyter_lab.lab_url("lab/tree/a.ipynb"))
    replace_cell_source(page, 0, "x = 'typed, never saved by hand'")

    page.locator(UPLOAD_BUTTON).click()
    page.locator(".jp-Dialog .jp-mod-accept").click()  # no summary
    expect(page.locator(".nepnb-MessageForm-problem")).to_contain_text("Write a summary line")
    shot(page, artifacts_dir, "01-empty-summary")
    assert not store_checkpoints(jupyter_lab).notebooks()

    # The server does not answer the upload (as when it is down).
    def refuse(route: Route) -> None:
        if route.request.method == "POST":
            route.abort("connectionrefused")
        else:
            route.continue_()

    page.route("**/nepnb/api/checkpoints?*", refuse)
    page.route("**/nepnb/api/checkpoints", refuse)
    page.locator(".nepnb-MessageForm-summary").fill("Survives a dead server")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    failure = toast(page, "Checkpoint upload failed")
    expect(failure).to_contain_text("did not answer")
    shot(page, artifacts_dir, "02-upload-failed")
    # The notebook was saved before the upload: the user's edit is on disk, nothing stored.
    assert "typed, never saved by hand" in notebook.read_text()
    assert not store_checkpoints(jupyter_lab).notebooks()

    page.unroute("**/nepnb/api/checkpoints?*")
    page.unroute("**/nepnb/api/checkpoints")
    failure.get_by_role("button", name="Retry").click()
    toast(page, 'uploaded: "Survives a dead server"')
    shot(page, artifacts_dir, "03-retried")
    [stored] = store_checkpoints(jupyter_lab).notebooks()
    [checkpoint] = store_checkpoints(jupyter_lab).history(stored.notebook_id)
    assert checkpoint.summary == "Survives a dead server"
    content = store_checkpoints(jupyter_lab).content(checkpoint.id)
    assert content["cells"][0]["source"] == "x = 'typed, never saved by hand'"


def test_the_status_bar_flags_a_hanging_run_and_stops_it(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path
) -> None:
    write_notebook(
        jupyter_lab.root_dir / "idle.ipynb",
        notebook_dict(
            "%load_ext nepnb\n%config NeptuneMagics.idle_minutes = 0.02",
            "%neptune init_run --name idle",
            "import time\ntime.sleep(2)",
        ),
    )
    open_notebook(page, jupyter_lab.lab_url("lab/tree/idle.ipynb"))
    status = page.locator(".nepnb-OpenRuns")
    expect(status).to_have_text("nepnb: no open runs")
    run_cells(page, 3)
    # Idle for 2 s past a 1.2 s limit, with no cell running: the item turns to a warning.
    expect(status).to_have_class(re.compile("nepnb-mod-warning"), timeout=30_000)
    expect(status).to_have_text(re.compile(r"open · 1 hanging"))
    run_id = status.inner_text().split()[1]
    status.click()
    popup = page.locator(".nepnb-OpenRunsPopup")
    expect(popup).to_contain_text(f"{run_id} idle (run)")
    expect(popup).to_contain_text("hanging")
    shot(page, artifacts_dir, "01-hanging")
    popup.get_by_role("button", name="Stop").click()
    expect(status).to_have_text("nepnb: no open runs", timeout=30_000)
    shot(page, artifacts_dir, "02-stopped")

    # A checkpoint taken by the magic shows up in the open panel without a click on Refresh.
    page.locator(".jp-SideBar.jp-mod-right li[data-id='nepnb-checkpoints-panel']").click()
    panel = page.locator("#nepnb-checkpoints-panel")
    expect(panel.locator(".nepnb-Checkpoint-summary").first).to_have_text(f"Run {run_id} opened")
    cell(page, 3).locator(".jp-InputArea-editor").click()
    page.keyboard.type('%neptune checkpoint -m "From the magic"')
    page.keyboard.press("Shift+Enter")
    expect(panel.locator(".nepnb-Checkpoint-summary").first).to_have_text(
        "From the magic", timeout=30_000
    )
    shot(page, artifacts_dir, "03-magic-checkpoint")

    store = LocalStore(jupyter_lab.home)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        info = store.find_object("local/default", sys_id=run_id)
        fields = store.get_fields(info.uid, ["sys/state"])
        if fields["sys/state"].value == "inactive":
            break
        time.sleep(0.2)
    assert fields["sys/state"].value == "inactive"


def test_upload_works_in_notebook_7(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path
) -> None:
    notebook = write_notebook(jupyter_lab.root_dir / "nb7.ipynb", notebook_dict("y = 2"))
    open_notebook(page, jupyter_lab.lab_url("notebooks/nb7.ipynb"))
    assert page.locator(".jp-NotebookPanel-toolbar .nepnb-OpenRuns").count() == 1
    checkpoint = upload(page, "From Notebook 7")
    shot(page, artifacts_dir, "01-uploaded")
    toast(page, "From Notebook 7").get_by_role("button", name="Show").click()
    panel = page.locator("#nepnb-checkpoints-panel")
    expect(panel.locator(".nepnb-Checkpoint").first).to_have_attribute(
        "data-checkpoint-id", checkpoint
    )
    shot(page, artifacts_dir, "02-panel")
    # Notebook 7's main area holds only the notebook: the compare view opens in a large dialog.
    panel.locator(f"[data-checkpoint-id='{checkpoint}'] input").check()
    panel.get_by_role("button", name="Compare with current").click()
    view = page.locator(".jp-Dialog .nepnb-CompareView")
    expect(view).to_have_attribute("data-loaded", "true", timeout=30_000)
    expect(view.locator(".nepnb-Compare-summary")).to_have_text("no changes")
    shot(page, artifacts_dir, "03-compare-dialog")
    page.locator(".jp-Dialog").get_by_role("button", name="Close").click()
    expect(view).to_have_count(0)
    saved = json.loads(notebook.read_text())
    history = store_checkpoints(jupyter_lab).history(saved["metadata"]["nepnb"]["notebook_id"])
    assert [c.id for c in history] == [checkpoint]


def test_compare_shows_changed_images_and_the_context_menu_uploads(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path
) -> None:
    write_notebook(
        jupyter_lab.root_dir / "plot.ipynb",
        notebook_dict("from PIL import Image\ncolor = 'red'", "Image.new('RGB', (120, 80), color)"),
    )
    open_notebook(page, jupyter_lab.lab_url("lab/tree/plot.ipynb"))
    run_cells(page, 2)
    expect(cell(page, 1).locator(".jp-OutputArea-output img")).to_have_count(1)

    # The notebook's context menu has the command.
    cell(page, 1).locator(".jp-InputArea-editor").click(button="right")
    page.locator(".lm-Menu-item", has_text="Upload checkpoint").click()
    page.locator(".nepnb-MessageForm-summary").fill("Red")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    red = re.search(r"[0-9a-f]{12}", toast(page, 'uploaded: "Red"').inner_text()).group(0)  # type: ignore[union-attr]

    replace_cell_source(page, 0, "from PIL import Image\ncolor = 'blue'")
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')]"
        ".some(p => p.textContent.includes('[4]'))",
        timeout=60_000,
    )
    wait_kernel_idle(page)
    blue = upload(page, "Blue")

    panel = page.locator("#nepnb-checkpoints-panel")
    page.locator(".jp-SideBar.jp-mod-right li[data-id='nepnb-checkpoints-panel']").click()
    panel.locator(f"[data-checkpoint-id='{red}'] input").check()
    panel.locator(f"[data-checkpoint-id='{blue}'] input").check()
    panel.get_by_role("button", name="Compare selected").click()
    view = page.locator(f"#nepnb-compare-{red}-{blue}")
    expect(view).to_have_attribute("data-loaded", "true", timeout=30_000)
    expect(view.locator(".nepnb-Compare-summary")).to_have_text(re.compile(r"^2 changed"))
    images = view.locator(".nepnb-DiffImages figure")
    expect(images).to_have_count(3)
    expect(images.nth(0).locator("figcaption")).to_have_text("before")
    expect(images.nth(1).locator("figcaption")).to_have_text("after")
    expect(images.nth(2).locator("figcaption")).to_have_text("100.0% of pixels differ")
    # The pictures are the checkpoints' own outputs, decoded by the browser.
    sizes = images.locator("img").evaluate_all(
        "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    assert sizes[:2] == [[True, 120, 80], [True, 120, 80]], sizes
    shot(page, artifacts_dir, "01-images")


def test_settings_choose_the_project_and_the_token_stays_on_the_server(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path
) -> None:
    settings = (
        jupyter_lab.root_dir.parent
        / "jupyter"
        / "settings"
        / "nepnb"
        / "plugin.jupyterlab-settings"
    )
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(
        json.dumps({"project": "team/vision", "serverUrl": "https://tracking.example:8443"})
    )
    write_notebook(jupyter_lab.root_dir / "p.ipynb", notebook_dict("z = 3"))
    open_notebook(page, jupyter_lab.lab_url("lab/tree/p.ipynb"))
    checkpoint = upload(page, "Into the team project")
    saved = json.loads((jupyter_lab.root_dir / "p.ipynb").read_text())
    team = Checkpoints(LocalStore(jupyter_lab.home), "team/vision")
    assert [c.id for c in team.history(saved["metadata"]["nepnb"]["notebook_id"])] == [checkpoint]
    assert not store_checkpoints(jupyter_lab).notebooks()  # nothing in local/default
    page.locator(".jp-SideBar.jp-mod-left li[data-id='nepnb-runs-panel']").click()
    expect(page.locator("#nepnb-runs-panel .nepnb-Panel-subtitle")).to_contain_text("team/vision")

    server_settings = f"{jupyter_lab.url}/nepnb/api/settings?token={jupyter_lab.token}"
    assert page.request.get(server_settings).json()["server_url"] == "https://tracking.example:8443"

    # The token goes to the Jupyter server through a dialog and is never kept in the browser.
    secret = "nepnb-token-" + "x" * 24
    page.keyboard.press("Control+Shift+c")
    page.locator(".lm-CommandPalette-input").fill("Set the tracking server token")
    page.keyboard.press("Enter")
    page.locator(".jp-Dialog input[type='password']").fill(secret)
    shot(page, artifacts_dir, "01-token-dialog")
    page.locator(".jp-Dialog").get_by_role("button", name="Save", exact=True).click()
    toast(page, "Token saved on the Jupyter server")
    answer = page.request.get(server_settings)
    assert answer.json()["has_token"] is True and secret not in answer.text()
    stored = jupyter_lab.home / "jupyter-server.json"
    assert secret in stored.read_text() and stored.stat().st_mode & 0o777 == 0o600
    kept = page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    assert secret not in kept
    workspace = page.request.get(f"{jupyter_lab.url}/lab/api/workspaces?token={jupyter_lab.token}")
    assert secret not in workspace.text()

    # And it can be forgotten.
    page.keyboard.press("Control+Shift+c")
    page.locator(".lm-CommandPalette-input").fill("Set the tracking server token")
    page.keyboard.press("Enter")
    page.locator(".jp-Dialog").get_by_role("button", name="Forget token").click()
    toast(page, "Token forgotten")
    assert page.request.get(server_settings).json()["has_token"] is False
    assert secret not in stored.read_text()


def two_cells_with_a_checkpoint(lab: JupyterLab, page: Page, name: str, summary: str) -> str:
    """Open a new two-cell notebook, upload a checkpoint of it and show the checkpoints
    panel; the checkpoint's id."""
    write_notebook(lab.root_dir / name, notebook_dict("x = 1", "print(x)"))
    open_notebook(page, lab.lab_url(f"lab/tree/{name}"))
    checkpoint = upload(page, summary)
    page.locator(".jp-SideBar.jp-mod-right li[data-id='nepnb-checkpoints-panel']").click()
    return checkpoint


def test_compare_with_current_uses_the_live_notebook_and_follows_its_saves(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path
) -> None:
    base = two_cells_with_a_checkpoint(jupyter_lab, page, "live.ipynb", "Base")
    panel = page.locator("#nepnb-checkpoints-panel")
    panel.locator(f"[data-checkpoint-id='{base}'] input").check()
    compare = panel.get_by_role("button", name="Compare with current")
    view = page.locator(f"#nepnb-compare-{base}-current")
    summary = view.locator(".nepnb-Compare-summary")

    # An unsaved edit: compared with the editor's notebook, not the file.
    replace_cell_source(page, 0, "x = 2")
    compare.click()
    expect(summary).to_have_text(re.compile(r"^1 changed"), timeout=30_000)
    # Named by message, not hash; the changed characters marked within the line; the
    # unchanged cell folded until "Show unchanged cells" is ticked.
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="live.ipynb:")
    expect(tab).to_contain_text("live.ipynb: “Base” → now")
    row = view.locator("tr.nepnb-Diff-change").first
    expect(row.locator(".nepnb-Diff-a mark")).to_have_text("1")
    expect(row.locator(".nepnb-Diff-b mark")).to_have_text("2")
    expect(view.locator(".nepnb-DiffFold")).to_have_text(re.compile(r"1 unchanged cell"))
    expect(view.locator(".nepnb-DiffCell")).to_have_count(1)
    shot(page, artifacts_dir, "01-unsaved-edit")
    view.get_by_label("Show unchanged cells").check()
    expect(view.locator(".nepnb-DiffFold")).to_have_count(0)
    expect(view.locator(".nepnb-DiffCell")).to_have_count(2)
    view.get_by_label("Show unchanged cells").uncheck()
    expect(view.locator(".nepnb-DiffCell")).to_have_count(1)

    # Another edit, then asked again: the open tab compares again.
    notebook_tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="live.ipynb")
    notebook_tab.first.click()
    replace_cell_source(page, 1, "print(x)\nprint(x * 2)")
    compare.click()
    expect(summary).to_have_text(re.compile(r"^2 changed"), timeout=30_000)

    # Saving the notebook (after adding a cell) refreshes the open tab by itself.
    notebook_tab.first.click()
    cell(page, 1).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")  # a new cell below
    page.keyboard.press("Enter")
    page.keyboard.type("y = 3")
    page.keyboard.press("Control+s")
    expect(summary).to_have_text(re.compile(r"^2 changed, 1 added"), timeout=30_000)
    shot(page, artifacts_dir, "02-saved")
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="live.ipynb:").click()
    shot(page, artifacts_dir, "03-compare-light")
    dark_theme(page)
    shot(page, artifacts_dir, "04-compare-dark")


def test_a_notebook_opened_from_a_checkpoint_says_where_it_came_from(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path
) -> None:
    base = two_cells_with_a_checkpoint(jupyter_lab, page, "walk.ipynb", "Base model")
    panel = page.locator("#nepnb-checkpoints-panel")
    expect(panel.locator(".nepnb-Panel-origin")).to_be_hidden()  # the original: no origin
    panel.locator(f"[data-checkpoint-id='{base}'] input").check()
    panel.get_by_role("button", name="Open as notebook").click()
    copy = f"walk.checkpoint-{base[:8]}.ipynb"
    expect(panel.locator(".nepnb-Panel-subtitle")).to_have_text(copy, timeout=30_000)
    origin = panel.locator(".nepnb-Panel-origin")
    expect(origin).to_contain_text(
        f"Restored from checkpoint “Base model” ({base}) of walk.ipynb", timeout=30_000
    )
    shot(page, artifacts_dir, "01-origin-light")
    origin.get_by_role("button", name="Compare with it").click()
    view = page.locator(f"#nepnb-compare-{base}-current")
    expect(view).to_have_attribute("data-loaded", "true", timeout=30_000)
    expect(view.locator(".nepnb-Compare-title")).to_contain_text("“Base model”")
    dark_theme(page)
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=copy).first.click()
    shot(page, artifacts_dir, "02-origin-dark")
