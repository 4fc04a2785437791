"""Virtual environments of their own for the peer clients (Neptune 1.x, MLflow, W&B).

Used by bench/logging.py and by the tests that run the real Neptune client
(tests/importers): each peer gets ``bench/.venvs/<peer>`` (gitignored), created on first use
with only the package registry, and reused while its pins are unchanged. Peers never go into
the project's venv: their pins would fight ours.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

VENVS = Path(__file__).resolve().parent / ".venvs"
PINS_MARKER = "bench-pins.txt"

#: What each peer's venv gets. mlflow brings its SQLAlchemy and Alembic (for the SQLite store);
#: mlflow 3.18.0 is on PyPI without its mlflow-skinny 3.18.0, so 3.17.2 is the newest that installs.
PEER_PINS = {
    "neptune": ["neptune==1.14.0.post2"],
    "mlflow": ["mlflow==3.17.2"],
    "wandb": ["wandb==0.31.0"],
}


def peer_python(peer: str) -> Path:
    """The interpreter of ``peer``'s venv (it may not exist yet: see ``setup_venvs``)."""
    return VENVS / peer / "bin" / "python"


def _ready(peer: str) -> bool:
    marker = VENVS / peer / PINS_MARKER
    wanted = "\n".join(PEER_PINS[peer]) + "\n"
    return peer_python(peer).exists() and marker.exists() and marker.read_text() == wanted


def setup_venvs(
    peers: Iterable[str], log: Callable[[str], None] = lambda message: None
) -> dict[str, str]:
    """Creates the venvs that are missing or pinned differently, in parallel.

    Returns the peers whose setup failed, with why.
    """
    VENVS.mkdir(parents=True, exist_ok=True)
    ignore = VENVS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by bench/_venvs.py: the peers' venvs are not sources\n*\n")
    jobs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    failed: dict[str, str] = {}
    for peer in peers:
        if _ready(peer):
            continue
        venv = VENVS / peer
        if venv.exists():
            shutil.rmtree(venv)
        install_log = VENVS / f"{peer}-install.log"
        log(f"setup: creating {venv} with {' '.join(PEER_PINS[peer])}")
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True
        )
        if made.returncode != 0:
            failed[peer] = f"python -m venv failed: {made.stderr.strip()[-500:]}"
            continue
        command = [str(peer_python(peer)), "-m", "pip", "install", "--disable-pip-version-check"]
        with install_log.open("wb") as out:
            proc = subprocess.Popen(
                [*command, *PEER_PINS[peer]], stdout=out, stderr=subprocess.STDOUT
            )
        jobs[peer] = (proc, install_log)
    for peer, (proc, install_log) in jobs.items():
        if proc.wait() != 0:
            lines = install_log.read_text(errors="replace").splitlines()
            errors = [line for line in lines if line.startswith("ERROR")] or lines[-5:]
            failed[peer] = f"pip install failed (see {install_log}): " + " | ".join(errors[-3:])
            continue
        (VENVS / peer / PINS_MARKER).write_text("\n".join(PEER_PINS[peer]) + "\n")
        log(f"setup: {peer} ready")
    for peer, why in failed.items():
        log(f"setup: {peer} FAILED: {why}")
    return failed
