"""JupyterLab against a real tracking server: the user sets its address in the settings and
its token with the command, both the UI way; the panels then read from the server, the
kernel logs to it, "Upload checkpoint" stores there, and the token never reaches the browser.
A refused token and a stopped server are clear messages, and the panels recover."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect

import nepnb
from nepnb.notebooks import Checkpoints
from nepnb.store.http import HTTPStore, encode_token
from nepnb.store.local import LocalStore
from tests.helpers import QUIET
from tests.helpers.lab import open_notebook, run_cells, shot, toast, upload
from tests.helpers.nbrun import notebook_dict, write_notebook
from tests.helpers.servers import ServerPool, running_jupyter_lab

pytestmark = [pytest.mark.browser, pytest.mark.kernel, pytest.mark.timeout(600)]

PROJECT = "team/ui"
RUNS = "#nepnb-runs-panel"
CHECKPOINTS = "#nepnb-checkpoints-panel"


def palette(page: Page, command: str) -> None:
    """Run a command from JupyterLab's command palette, as a user would."""
    page.keyboard.press("Control+Shift+c")
    search = page.locator(".lm-CommandPalette-input")
    search.fill(command)
    page.locator(".lm-CommandPalette-item", has_text=command).first.click()


def set_token(page: Page, token: str) -> None:
    palette(page, "Set the tracking server token")
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_label("API token").fill(token)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_have_count(0)


def set_server_address(page: Page, url: str) -> None:
    """Settings → Settings Editor → nepnb → "Tracking server address"."""
    palette(page, "Settings Editor")
    page.locator("input[placeholder='Search settings…']").fill("nepnb")
    page.locator(".jp-PluginList-entry", has_text=re.compile(r"^\s*nepnb\s*$")).click()
    label = page.get_by_text("Tracking server address", exact=True)
    field = label.locator("xpath=following::input[1]")
    field.fill(url)
    field.press("Tab")  # the form saves on change, after a moment, and tells the server
    settings = re.sub(r"^(https?://[^/]+).*$", r"\1/nepnb/api/settings", page.url)
    deadline = time.monotonic() + 30
    while page.request.get(settings).json()["server_url"] != url:
        assert time.monotonic() < deadline, "the address never reached the Jupyter server"
        time.sleep(0.2)


def kernel_with_token(folder: Path, token: str) -> Path:
    """A JUPYTER_PATH folder whose "python3" kernel starts with NEPTUNE_API_TOKEN set, read
    from a file by its launcher: neither the Jupyter server's environment nor the kernel
    spec it shows the browser holds the token."""
    secret = folder / "token"
    secret.parent.mkdir(parents=True)
    secret.write_text(token)
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    launcher = spec / "launch.sh"
    launcher.write_text(
        f'#!/bin/sh\nNEPTUNE_API_TOKEN="$(cat {secret})" exec {sys.executable} '
        '-m ipykernel_launcher -f "$1"\n'
    )
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": ["/bin/sh", str(launcher), "{connection_file}"],
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            }
        )
    )
    return folder


def show_runs(page: Page) -> None:
    """Open the runs panel (its sidebar tab toggles it: click only when it is closed)."""
    if not page.locator(RUNS).is_visible():
        page.locator(".jp-SideBar.jp-mod-left li[data-id='nepnb-runs-panel']").click()
    expect(page.locator(RUNS)).to_be_visible()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_lab_reads_and_writes_the_tracking_server_set_in_its_ui(
    database: str,
    tmp_path: Path,
    page: Page,
    artifacts_dir: Path,
    server_pool: ServerPool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployment = server_pool.get(database)
    deployment.reset()
    url, key = deployment.server.url, deployment.admin_key
    token = encode_token(url, key)
    # The token pasted in the UI names an address where nothing answers: the address in the
    # settings is the one used.
    ui_token = encode_token("http://127.0.0.1:9", key)
    remote = HTTPStore(url, key, retry_for=10)
    remote.get_project(PROJECT, create=True)

    # A script logs a run to the server with the token in its environment.
    monkeypatch.setenv("NEPTUNE_API_TOKEN", token)
    monkeypatch.setenv("NEPTUNE_PROJECT", PROJECT)
    script_run = nepnb.init_run(mode="sync", name="from a script", tags=["script"], **QUIET)
    script_run["metrics/loss"].extend([1 / (1 + step) for step in range(200)])
    script_run["params/lr"] = 0.01
    script_id = script_run["sys/id"].fetch()
    script_run.stop()

    # The Lab's kernels get the token (a kernel spec's launcher reads it from a file); the
    # Jupyter server has none until the user sets one in the UI.
    monkeypatch.delenv("NEPTUNE_API_TOKEN")
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_with_token(tmp_path / "kernels", token)))
    write_notebook(
        tmp_path / "lab" / "root" / "train.ipynb",
        notebook_dict(
            "%load_ext nepnb",
            "%neptune init_run --name notebook",
            "run['acc'] = 0.9\nrun.wait()",
        ),
    )
    with running_jupyter_lab(tmp_path / "lab", artifacts_dir / "jupyter-lab.log") as lab:
        bodies: list[str] = []

        def keep_body(response: Response) -> None:
            try:
                bodies.append(f"{response.url}\n{response.text()}")
            except Exception:  # a redirect or a stream has no body to read
                bodies.append(response.url)

        page.on("response", keep_body)
        open_notebook(page, lab.lab_url("lab/tree/train.ipynb"))
        assert page.evaluate("document.body.dataset.nepnbStore") == str(lab.home)

        set_server_address(page, url)
        set_token(page, ui_token)
        toast(page, f"uses the tracking server at {re.escape(url)}")
        shot(page, artifacts_dir, "01-settings-and-token")

        # The runs panel lists the script's run; its chart is drawn.
        show_runs(page)
        row = page.locator(f"{RUNS} tr[data-run-id='{script_id}']")
        expect(row).to_be_visible(timeout=30_000)
        expect(page.locator(f"{RUNS} .nepnb-Panel-subtitle")).to_have_text(f"{PROJECT} · 1 run")
        expect(page.locator(f"{RUNS} .nepnb-RunsPanel-source")).to_have_text(
            f"server {url.removeprefix('http://')}"
        )
        row.locator("td[data-column='name']").dblclick()
        chart = page.locator(".nepnb-RunDetail-chartCard[data-path='metrics/loss'] .nepnb-Chart")
        page.wait_for_function(
            "chart => Number(chart.dataset.points) === 200",
            arg=chart.element_handle(timeout=30_000),
            timeout=30_000,
        )
        shot(page, artifacts_dir, "02-run-from-the-server")

        # The notebook's kernel logs to the server.
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="train.ipynb").click()
        run_cells(page, 3)
        expect(page.locator(".nepnb-OpenRuns")).to_have_text(
            re.compile(r"nepnb: UI-\d+ open"), timeout=30_000
        )
        notebook_run = page.locator(".nepnb-OpenRuns").inner_text().split()[1]
        found = remote.find_object(PROJECT, sys_id=notebook_run)
        assert remote.get_fields(found.uid, ["acc"])["acc"].value == 0.9

        # Two checkpoints uploaded from the toolbar: they are on the server.
        first = upload(page, "Baseline on the server")
        second = upload(page, "Second on the server")
        on_server = Checkpoints(remote, PROJECT)
        [notebook] = [n for n in on_server.notebooks() if n.path.endswith("train.ipynb")]
        history = on_server.history(notebook.notebook_id)
        assert {first, second} <= {c.id for c in history}
        assert any(notebook_run in c.runs for c in history)

        # The checkpoints panel lists them; compare works.
        toast(page, "Second on the server").get_by_role("button", name="Show").click()
        # The oldest (history is newest first) is the one init_run took before the cells ran.
        opened = history[-1].id
        assert opened not in (first, second)
        panel = page.locator(CHECKPOINTS)
        expect(panel.locator(f"[data-checkpoint-id='{opened}']")).to_be_visible()
        panel.locator(f"[data-checkpoint-id='{opened}'] input").check()
        panel.locator(f"[data-checkpoint-id='{second}'] input").check()
        panel.get_by_role("button", name="Compare selected").click()
        view = page.locator(f"#nepnb-compare-{opened}-{second}")
        expect(view).to_have_attribute("data-loaded", "true", timeout=30_000)
        expect(view.locator(".nepnb-Compare-summary")).to_contain_text("changed")
        shot(page, artifacts_dir, "03-checkpoints-compared")

        # A token the server refuses: both panels say so, and how to fix it.
        set_token(page, encode_token(url, "not-a-key-of-this-server"))
        toast(page, "refused the API token")
        refused = re.compile(r"refused the API token.*nepnb: Set the tracking server token")
        expect(panel.locator(".nepnb-Panel-hint")).to_have_text(refused, timeout=30_000)
        shot(page, artifacts_dir, "04-token-refused-checkpoints")
        show_runs(page)
        expect(page.locator(f"{RUNS} .nepnb-Panel-hint")).to_have_text(refused, timeout=30_000)
        shot(page, artifacts_dir, "05-token-refused-runs")

        # The right token again, then the server stops: "cannot reach"; it comes back.
        set_token(page, ui_token)
        expect(page.locator(f"{RUNS} .nepnb-Panel-hint")).to_have_text("", timeout=30_000)
        stale = page.locator(".Toastify__toast", has_text="refused the API token")
        expect(stale).to_have_count(0)  # the warning about the replaced token is gone
        deployment.server.stop()
        try:
            unreachable = f"cannot reach the tracking server at {url}"
            for hint in (f"{RUNS} .nepnb-Panel-hint", f"{CHECKPOINTS} .nepnb-Panel-hint"):
                page.locator(hint.replace(".nepnb-Panel-hint", ".nepnb-refresh")).click()
                expect(page.locator(hint)).to_contain_text(unreachable, timeout=30_000)
            shot(page, artifacts_dir, "06-server-stopped")
        finally:
            deployment.server.start()
        # No reload, no click: both panels try again by themselves and find the server.
        expect(page.locator(f"{RUNS} .nepnb-Panel-hint")).to_have_text("", timeout=30_000)
        expect(row).to_be_visible()
        expect(panel.locator(".nepnb-Panel-hint")).not_to_contain_text("Could not", timeout=30_000)
        expect(panel.locator(f"[data-checkpoint-id='{second}']")).to_be_visible()
        shot(page, artifacts_dir, "07-server-back")

        # The token never reached the browser: not in a response, not in localStorage.
        storage = page.evaluate("JSON.stringify({...window.localStorage})")
        page.remove_listener("response", keep_body)
        for secret in (token, ui_token, key):
            assert secret not in storage
            leaks = [body.split("\n", 1)[0] for body in bodies if secret in body]
            assert leaks == [], f"the token is in the responses of {leaks}"
        settings_bodies = [b for b in bodies if "/nepnb/api/settings" in b.split("\n", 1)[0]]
        assert settings_bodies, "the settings were never read"
        assert all(json.loads(b.split("\n", 1)[1])["has_token"] for b in settings_bodies[-1:])

        # Nothing went to the Lab's local store; the server's refusals left no traceback.
        assert LocalStore(lab.home).list_projects() == []
        assert "Traceback" not in lab.log.read_text()
