"""Start real server processes (JupyterLab, later the tracking server) on loopback ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 90
) -> None:
    """Poll `url` until it answers 200; fail with the server's log if it dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}:\n{log.read_text()[-4000:]}"
            )
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"server at {url} not up after {timeout}s:\n{log.read_text()[-4000:]}")


@dataclass(frozen=True)
class JupyterLab:
    """A running `jupyter lab` process."""

    url: str
    token: str
    root_dir: Path
    home: Path
    log: Path

    def lab_url(self, path: str = "lab") -> str:
        return f"{self.url}/{path}?token={self.token}"


@contextmanager
def running_jupyter_lab(
    workdir: Path, log: Path, token: str = "nepnb-test-token", app: str = "jupyterlab"
) -> Iterator[JupyterLab]:
    """Start JupyterLab on a free loopback port, isolated in `workdir`; stop it afterwards.

    `app` is the Python module started: "jupyterlab", or "notebook" for Notebook 7
    (same server and extensions, its pages under /tree and /notebooks).
    """
    root_dir, home, config = workdir / "root", workdir / "nepnb-home", workdir / "jupyter"
    for folder in (root_dir, home, config):
        folder.mkdir(parents=True, exist_ok=True)
    # No "get notified about Jupyter news?" toast over the pages under test.
    news = (
        config
        / "settings"
        / "@jupyterlab"
        / "apputils-extension"
        / "notification.jupyterlab-settings"
    )
    news.parent.mkdir(parents=True, exist_ok=True)
    news.write_text('{"fetchNews": "false"}')
    port = free_port()
    env = {
        **os.environ,
        "NEPNB_HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(config / "config"),
        "JUPYTER_RUNTIME_DIR": str(config / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(config / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(config / "workspaces"),
        "IPYTHONDIR": str(config / "ipython"),
    }
    command = [
        sys.executable, "-m", app,
        "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{url}/api/status?token={token}", process, log)
            yield JupyterLab(url=url, token=token, root_dir=root_dir, home=home, log=log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
