"""The package as users get it: a wheel with the prebuilt extension, and the installed extensions."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import nbformat
import pytest

import nepnb
from tests.helpers import REPO_ROOT
from tests.helpers.nbrun import error_of, execute, stream_text
from tests.helpers.servers import free_port, wait_until_up

BIN = Path(sys.executable).parent
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "lib", "test-artifacts", "labextension", "_version.py",
    "*.tsbuildinfo", "__pycache__", ".nepnb-home", ".pytest_cache", ".hypothesis", "*.egg-info",
)  # fmt: skip


def _copy_sources(dest: Path) -> Path:
    def ignore(folder: str, names: list[str]) -> set[str]:
        ignored = set(NOT_SOURCES(folder, names))
        # Keep the TypeScript sources; drop only the build output nepnb/labextension.
        if Path(folder) == REPO_ROOT:
            ignored.discard("labextension")
        return ignored

    shutil.copytree(REPO_ROOT, dest, ignore=ignore)
    return dest


@pytest.mark.slow
def test_wheel_ships_the_prebuilt_labextension_and_server_config(tmp_path: Path) -> None:
    source = _copy_sources(tmp_path / "src")
    assert not (source / "nepnb" / "labextension").exists()
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("nepnb-*.whl")
    assert wheel.name.startswith(f"nepnb-{nepnb.__version__}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = f"nepnb-{nepnb.__version__}.data/data"
    assert f"{data}/share/jupyter/labextensions/nepnb/package.json" in names
    assert f"{data}/share/jupyter/labextensions/nepnb/install.json" in names
    assert any(
        n.startswith(f"{data}/share/jupyter/labextensions/nepnb/static/remoteEntry.") for n in names
    )
    assert f"{data}/etc/jupyter/jupyter_server_config.d/nepnb.json" in names
    assert "nepnb/_version.py" in names
    assert "nepnb/py.typed" in names
    # The chart widget's bundle (build output, gitignored) ships inside the package.
    assert "nepnb/widgets/static/chart.js" in names
    # Sources of the extension and the tests stay out of the wheel.
    assert not any(n.startswith(("labextension/", "tests/", "node_modules/")) for n in names)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "line"),
    [
        (["labextension", "list"], f"nepnb v{nepnb.__version__} enabled OK (python, nepnb)"),
        (["server", "extension", "list"], f"nepnb {nepnb.__version__} OK"),
    ],
)
def test_installed_extensions_are_enabled_and_ok(command: list[str], line: str) -> None:
    result = subprocess.run(
        [str(BIN / "jupyter"), *command], capture_output=True, text=True, timeout=120,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "NO_COLOR": "1", "HOME": str(Path.home())},
    )  # fmt: skip
    output = _strip_ansi(result.stdout + result.stderr)
    assert result.returncode == 0, output
    assert line in output, output
    if command[0] == "server":
        assert "nepnb enabled" in output


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.mark.kernel
def test_example_notebook_runs(tmp_path: Path, nepnb_home: Path) -> None:
    import shutil

    import nepnb
    from nepnb.client.config import local_store
    from nepnb.notebooks import Checkpoints

    copy = tmp_path / "getting-started.ipynb"
    shutil.copy(REPO_ROOT / "examples" / "getting-started.ipynb", copy)
    notebook = nbformat.read(copy, as_version=4)
    executed = execute(notebook, tmp_path)
    code_cells = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(error_of(cell) is None for cell in code_cells)
    printed = "".join(stream_text(cell) for cell in code_cells)
    errors = "".join(stream_text(cell, "stderr") for cell in code_cells)
    assert "%neptune: track runs" in printed
    assert "nepnb warning" not in errors and "UsageError" not in errors
    run = nepnb.init_run(with_id="DEF-1", mode="read-only")
    assert run["sys/name"].fetch() == "getting-started"
    assert len(run["train/loss"].fetch_values()) == 20
    ref = run["source_code/notebook"].fetch()
    history = Checkpoints(local_store(), "local/default").history(ref["notebook_id"])
    assert [info.summary for info in history] == [
        "Getting started: first training loop",
        "Run DEF-1 opened: headless run",  # nbclient runs it here
    ]


@pytest.mark.server
def test_readme_start_command_serves_lab_with_nepnb(tmp_path: Path) -> None:
    port, token = free_port(), "start-command-test"
    home = tmp_path / "home"
    log = tmp_path / "start.log"
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(Path.home()),
        "NEPNB_HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(REPO_ROOT / "dev"), "start", "--no-browser", f"--port={port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/api/status?token={token}", process, log, timeout=300)
            health = httpx.get(f"{base}/nepnb/api/health", params={"token": token}).json()
            assert health == {
                "version": nepnb.__version__,
                "store": "local",
                "location": str(home),
                "project": "local/default",
            }
            lab = httpx.get(f"{base}/lab", params={"token": token})
            assert lab.status_code == 200 and '"name": "nepnb"' in lab.text.replace('":"', '": "')
            example = httpx.get(
                f"{base}/api/contents/getting-started.ipynb", params={"token": token}
            ).json()
            assert "%load_ext nepnb" in str(example["content"])
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert "getting-started.ipynb" in log.read_text()
