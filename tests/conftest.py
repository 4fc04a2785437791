"""Fixtures shared by the whole suite: real Jupyter servers, kernels and stores in temp folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT
from tests.helpers.servers import ServerPool

#: tests/helpers/markers.py marks each test by what it starts (see `./dev test --fast`).
pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.helpers.markers"]

ARTIFACTS = REPO_ROOT / "test-artifacts"


@pytest.fixture
def nepnb_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty local store folder, set as ``NEPNB_HOME`` for the test."""
    home = tmp_path / "nepnb-home"
    home.mkdir()
    monkeypatch.setenv("NEPNB_HOME", str(home))
    return home


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    """A folder under ``test-artifacts/`` for this test's screenshots and logs."""
    folder = ARTIFACTS / request.node.module.__name__.split(".")[-1] / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def server_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    """Tracking servers (over SQLite, over PostgreSQL) started on first use, for the session."""
    pool = ServerPool(tmp_path_factory.mktemp("tracking-servers"))
    yield pool
    pool.close()
