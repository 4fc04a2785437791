"""Virtual environments of their own for the peer clients (Neptune 1.x, MLflow, W&B) and for
the integrations the `neptune` alias is verified with.

Used by bench/logging.py, by the tests that run the real Neptune client (tests/importers,
tests/alias) and by tests/integrations: each gets ``bench/.venvs/<name>`` (gitignored), created
on first use with only the package registry, and reused while its pins are unchanged. Peers
never go into the project's venv: their pins would fight ours. The ``nepnb-integrations*``
venvs run nepnb from this checkout (a .pth) on its declared dependencies.
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
#: The integrations the alias is verified with (tests/integrations), and what they run on:
#: the same pins under the real Neptune client ("neptune-integrations") and under nepnb
#: ("nepnb-integrations"). neptune-sklearn caps scipy below 1.12 (its scikit-plot needs
#: scipy.interp), which caps numpy below 2; transformers 4.x is the last with NeptuneCallback.
INTEGRATION_PINS = [
    "neptune-optuna==1.4.1",
    "optuna==4.9.0",
    "neptune-sklearn==2.1.4",
    "scikit-learn==1.5.2",
    "scikit-plot==0.3.7",
    "yellowbrick==1.5",
    "scipy==1.11.4",
    "neptune-lightgbm==2.0.0",
    "lightgbm==4.7.0",
    "graphviz==0.21",
    "transformers==4.57.6",
    "lightning-utilities==0.15.3",
    "numpy==1.26.4",
    "pandas==2.2.3",
    "pillow==12.3.0",
    "matplotlib==3.11.2",
    "plotly==7.1.0",
]

#: The heavy integrations (tests/integrations, run with -m integrations_heavy): TensorFlow/Keras
#: and Prophet, in venvs of their own.
HEAVY_INTEGRATION_PINS = [
    "neptune-tensorflow-keras==2.2.2",
    "tensorflow==2.21.0",
    "keras==3.15.1",
    "prophet==1.5.0",
    "statsmodels==0.15.0",
    "scipy==1.17.1",
    "numpy==2.4.6",
    "pandas==2.3.3",
    "matplotlib==3.11.2",
    "plotly==7.1.0",
]
#: Installed last with --no-deps: neptune-prophet pins pandas<2, which nepnb cannot share (as
#: MIGRATING.md tells users to do).
HEAVY_NO_DEPS = ["neptune-prophet==1.0.2"]

PEER_PINS = {
    "neptune": ["neptune==1.14.0.post2"],
    "mlflow": ["mlflow==3.17.2"],
    "wandb": ["wandb==0.31.0"],
    "neptune-integrations": ["neptune==1.14.0.post2", *INTEGRATION_PINS],
    "neptune-integrations-heavy": ["neptune==1.14.0.post2", *HEAVY_INTEGRATION_PINS],
}
#: Venvs that run nepnb from this checkout (a .pth names it) on its declared dependencies
#: plus their pins: nepnb is not pip-installed there, so no extension build is needed.
SOURCE_PINS = {
    "nepnb-integrations": INTEGRATION_PINS,
    "nepnb-integrations-heavy": HEAVY_INTEGRATION_PINS,
}
NO_DEPS_PINS = {
    "neptune-integrations-heavy": HEAVY_NO_DEPS,
    "nepnb-integrations-heavy": HEAVY_NO_DEPS,
}
ROOT = Path(__file__).resolve().parent.parent


def nepnb_dependencies() -> list[str]:
    """nepnb's runtime dependencies, as pyproject.toml declares them."""
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as project:
        return list(tomllib.load(project)["project"]["dependencies"])


def _pins(peer: str) -> list[str]:
    if peer in SOURCE_PINS:
        return [*SOURCE_PINS[peer], *nepnb_dependencies()]
    return PEER_PINS[peer]


def _marker_text(peer: str) -> str:
    no_deps = NO_DEPS_PINS.get(peer, [])
    return "\n".join([*_pins(peer), *(["--no-deps", *no_deps] if no_deps else [])]) + "\n"


def peer_python(peer: str) -> Path:
    """The interpreter of ``peer``'s venv (it may not exist yet: see ``setup_venvs``)."""
    return VENVS / peer / "bin" / "python"


def _ready(peer: str) -> bool:
    marker = VENVS / peer / PINS_MARKER
    wanted = _marker_text(peer)
    return peer_python(peer).exists() and marker.exists() and marker.read_text() == wanted


def _add_source(peer: str) -> None:
    """Make this checkout's nepnb importable in ``peer``'s venv."""
    found = subprocess.run(
        [str(peer_python(peer)), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    (Path(found.stdout.strip()) / "nepnb-checkout.pth").write_text(f"{ROOT}\n")


def _pip(peer: str) -> list[str]:
    return [str(peer_python(peer)), "-m", "pip", "install", "--disable-pip-version-check"]


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
        log(f"setup: creating {venv} with {' '.join(_pins(peer))}")
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True
        )
        if made.returncode != 0:
            failed[peer] = f"python -m venv failed: {made.stderr.strip()[-500:]}"
            continue
        with install_log.open("wb") as out:
            proc = subprocess.Popen(
                [*_pip(peer), *_pins(peer)], stdout=out, stderr=subprocess.STDOUT
            )
        jobs[peer] = (proc, install_log)
    for peer, (proc, install_log) in jobs.items():
        if proc.wait() != 0:
            lines = install_log.read_text(errors="replace").splitlines()
            errors = [line for line in lines if line.startswith("ERROR")] or lines[-5:]
            failed[peer] = f"pip install failed (see {install_log}): " + " | ".join(errors[-3:])
            continue
        if peer in NO_DEPS_PINS:
            with install_log.open("ab") as out:
                extra = [*_pip(peer), "--no-deps", *NO_DEPS_PINS[peer]]
                if subprocess.run(extra, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                    failed[peer] = f"pip install --no-deps failed (see {install_log})"
                    continue
        if peer in SOURCE_PINS:
            _add_source(peer)
        (VENVS / peer / PINS_MARKER).write_text(_marker_text(peer))
        log(f"setup: {peer} ready")
    for peer, why in failed.items():
        log(f"setup: {peer} FAILED: {why}")
    return failed
