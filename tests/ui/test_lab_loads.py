"""End to end: JupyterLab in Chromium activates the nepnb plugin and reaches the server extension."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

import nepnb
from tests.helpers.servers import JupyterLab

pytestmark = pytest.mark.browser


def test_plugin_activates_and_health_answers_through_the_page_session(
    jupyter_lab: JupyterLab, page: Page, artifacts_dir: Path
) -> None:
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))

    page.goto(jupyter_lab.lab_url())
    page.wait_for_selector("body[data-nepnb-activated='true']", state="attached", timeout=60_000)
    # The plugin itself called the health endpoint and recorded the store folder.
    page.wait_for_selector("body[data-nepnb-store]", state="attached", timeout=30_000)
    assert page.get_attribute("body", "data-nepnb-store") == str(jupyter_lab.home)
    page.wait_for_selector(".jp-Launcher", timeout=60_000)

    # The page's authenticated session (cookie set by the token login) reaches the endpoint,
    # with no token in the request itself.
    health = page.evaluate(
        """async () => {
            const response = await fetch('/nepnb/api/health', {credentials: 'same-origin'});
            return {status: response.status, body: await response.json()};
        }"""
    )
    assert health == {
        "status": 200,
        "body": {
            "version": nepnb.__version__,
            "store": "local",
            "location": str(jupyter_lab.home),
            "project": "local/default",
        },
    }
    assert f"nepnb {nepnb.__version__} is active (local store at {jupyter_lab.home})" in messages

    # JupyterLab lists nepnb among the federated extensions it loaded.
    extensions = page.evaluate(
        "() => JSON.parse(document.getElementById('jupyter-config-data').textContent)"
        ".federated_extensions.map(e => e.name)"
    )
    assert "nepnb" in extensions
    page.screenshot(path=str(artifacts_dir / "lab-with-nepnb.png"))


def test_health_refuses_a_browser_without_the_session(jupyter_lab: JupyterLab, page: Page) -> None:
    response = page.request.get(f"{jupyter_lab.url}/nepnb/api/health")
    assert response.status == 403
