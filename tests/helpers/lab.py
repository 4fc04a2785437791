"""Playwright helpers for driving JupyterLab (and Notebook 7) pages in the browser tests."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from playwright.sync_api import Locator, Page

#: Debian's Chromium, or the Chromium or Chrome binary NEPNB_CHROMIUM names.
CHROMIUM = os.environ.get("NEPNB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
UPLOAD_BUTTON = ".jp-NotebookPanel-toolbar .nepnb-UploadButton"


def open_notebook(page: Page, url: str) -> None:
    """Open a notebook page and wait until its kernel is up and idle."""
    page.goto(url)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function("() => document.body.dataset.nepnbActivated === 'true'", timeout=60_000)
    wait_kernel_idle(page)


def wait_kernel_idle(page: Page, timeout: float = 60) -> None:
    """Wait until the server says the page's kernels are idle (twice in a row, 0.2 s apart).

    The server is asked rather than the page: the toolbar's indicator says "idle" before the
    kernel has even started, and moves into the overflow menu when the toolbar is narrow.
    """
    sessions_url = re.sub(r"^(https?://[^/]+).*$", r"\1/api/sessions", page.url)
    deadline = time.monotonic() + timeout
    calm = 0
    while time.monotonic() < deadline:
        sessions = page.request.get(sessions_url).json()
        states = [s["kernel"]["execution_state"] for s in sessions if s.get("kernel")]
        calm = calm + 1 if states and all(state == "idle" for state in states) else 0
        if calm == 2:
            return
        time.sleep(0.2)
    raise TimeoutError(f"the kernels of {page.url} were not idle after {timeout} s")


def cell(page: Page, index: int) -> Locator:
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def run_cells(page: Page, count: int) -> None:
    """Run the first ``count`` cells one after the other (Shift+Enter from the first)."""
    cell(page, 0).locator(".jp-InputArea-editor").click()
    for index in range(count):
        page.keyboard.press("Shift+Enter")
        page.wait_for_function(
            "i => { const p = document.querySelectorAll('.jp-Notebook .jp-Cell .jp-InputPrompt')[i];"
            " return p && /\\[\\d+\\]/.test(p.textContent); }",
            arg=index,
            timeout=60_000,
        )
    wait_kernel_idle(page)


def replace_cell_source(page: Page, index: int, source: str) -> None:
    """Select everything in a cell's editor and type ``source`` instead."""
    cell(page, index).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+a")
    page.keyboard.type(source)


def toast(page: Page, pattern: str) -> Locator:
    """The notification whose text matches ``pattern`` (a regular expression)."""
    notification = page.locator(".Toastify__toast", has_text=re.compile(pattern))
    notification.first.wait_for(timeout=30_000)
    return notification.first


def shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"))


def drag_across(
    page: Page, chart: Locator, start: float, end: float, *, shift: bool = False
) -> None:
    """Drag over a chart's plot area from ``start`` to ``end`` (fractions of its width), at
    mid height; with Shift held to pan instead of zoom."""
    box = chart.locator(".u-over").bounding_box()
    assert box is not None, "the chart has no plot area on screen"
    middle = box["y"] + box["height"] / 2
    if shift:
        page.keyboard.down("Shift")
    page.mouse.move(box["x"] + box["width"] * start, middle)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end, middle, steps=5)
    page.mouse.up()
    if shift:
        page.keyboard.up("Shift")


def upload(page: Page, summary: str, body: str = "", *, shortcut: bool = False) -> str:
    """Upload a checkpoint through the dialog; the id the notification shows."""
    if shortcut:
        cell(page, 0).click()
        page.keyboard.press("Escape")  # command mode: the shortcut belongs to the notebook
        page.keyboard.press("Control+Alt+u")
    else:
        page.locator(UPLOAD_BUTTON).click()
    page.locator(".nepnb-MessageForm-summary").fill(summary)
    if body:
        page.locator(".nepnb-MessageForm-body").fill(body)
    page.locator(".jp-Dialog .jp-mod-accept").click()
    message = toast(page, f'uploaded: "{re.escape(summary)}"')
    found = re.search(r"Checkpoint ([0-9a-f]{12}) uploaded", message.inner_text())
    assert found, message.inner_text()
    return found.group(1)


def use_theme(page: Page, name: str) -> None:
    """Settings → Theme → ``name`` (e.g. "JupyterLab Dark"), as a user would; wait until it applies."""
    page.get_by_role("menuitem", name="Settings").click()
    page.locator(".lm-Menu-item", has_text=re.compile(r"^\s*Theme\s*$")).hover()
    page.get_by_role("menuitem", name=name, exact=True).click()
    page.wait_for_function(
        "name => document.body.dataset.jpThemeName === name", arg=name, timeout=30_000
    )
    page.wait_for_timeout(500)  # the theme's stylesheet settles


def dark_theme(page: Page) -> None:
    """Switch JupyterLab to its dark theme (Settings → Theme), and wait until it applies."""
    use_theme(page, "JupyterLab Dark")
