"""Browser fixtures: Debian's Chromium through Playwright, against a real JupyterLab."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.helpers.lab import CHROMIUM, CHROMIUM_ARGS
from tests.helpers.runs import LoggedRun, log_run
from tests.helpers.servers import JupyterLab, running_jupyter_lab


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> Iterator[None]:
    """Turn off pytest-jupyter's per-test event loop here: Playwright's sync API runs its own."""
    yield None


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> Iterator[None]:
    yield None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module. Not for the session: Playwright's event loop runs as
    long as the browser does, and pytest-jupyter's per-test loop of the modules after tests/ui
    (tests/widgets) would find it running and fail to close it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install it (`apt-get install chromium`) "
            "or set NEPNB_CHROMIUM to a Chromium or Chrome binary"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def jupyter_lab(tmp_path: Path, artifacts_dir: Path) -> Iterator[JupyterLab]:
    with running_jupyter_lab(tmp_path, artifacts_dir / "jupyter-lab.log") as lab:
        yield lab


@pytest.fixture
def page(browser: Browser, artifacts_dir: Path) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    console = artifacts_dir / "console.log"
    with console.open("w") as log:
        page.on("console", lambda message: log.write(f"{message.type}: {message.text}\n"))
        yield page
        page.screenshot(path=str(artifacts_dir / "final.png"))
        context.close()


@pytest.fixture
def logged_runs(
    jupyter_lab: JupyterLab, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[LoggedRun]]:
    """Three runs in the Lab's store; the third is still running while the test runs."""
    monkeypatch.setenv("NEPNB_HOME", str(jupyter_lab.home))
    monkeypatch.delenv("NEPTUNE_API_TOKEN", raising=False)
    _, baseline = log_run("baseline", ["cnn", "small"], 0.80, 3000)
    _, wide = log_run("wide", ["cnn"], 0.95, 3000)
    running, transformer = log_run("transformer", ["attention"], 0.60, 2000, stop=False)
    try:
        yield [baseline, wide, transformer]
    finally:
        running.stop()
