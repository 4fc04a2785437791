"""The kernel and the client on a tracking server: `%neptune checkpoint` with no open run goes to
the server the token names; init_run says it opened the run there."""

from __future__ import annotations

from pathlib import Path

import pytest

from nepnb.notebooks import Checkpoints
from nepnb.store.http import HTTPStore, encode_token
from nepnb.store.local import LocalStore
from tests.helpers import QUIET
from tests.helpers.kernel import run_cells
from tests.helpers.nbrun import stream_text
from tests.helpers.servers import ServerPool

pytestmark = pytest.mark.kernel

PROJECT = "team/notebooks"


def test_a_checkpoint_without_a_run_goes_to_the_tracking_server(
    tmp_path: Path, nepnb_home: Path, server_pool: ServerPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = server_pool.get("sqlite")
    deployment.reset()
    remote = HTTPStore(deployment.server.url, deployment.admin_key, retry_for=5)
    remote.get_project(PROJECT, create=True)
    monkeypatch.setenv(
        "NEPTUNE_API_TOKEN", encode_token(deployment.server.url, deployment.admin_key)
    )
    monkeypatch.setenv("NEPTUNE_PROJECT", PROJECT)
    run_cells(tmp_path, "%load_ext nepnb", "%neptune checkpoint -m 'Before any run'")
    [notebook] = Checkpoints(remote, PROJECT).notebooks()
    [checkpoint] = Checkpoints(remote, PROJECT).history(notebook.notebook_id)
    assert checkpoint.summary == "Before any run"
    local = LocalStore(nepnb_home)
    assert Checkpoints(local, PROJECT).notebooks() == []  # nothing went to the local store


def test_a_run_on_the_tracking_server_says_so(
    tmp_path: Path,
    nepnb_home: Path,
    server_pool: ServerPool,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import nepnb

    deployment = server_pool.get("sqlite")
    deployment.reset()
    token = encode_token(deployment.server.url, deployment.admin_key)
    run = nepnb.init_run(project=PROJECT, api_token=token, mode="sync", **QUIET)
    run.stop()
    said = capsys.readouterr().err
    assert f"(tracking server {deployment.server.url})" in said
    assert "local store" not in said

    monkeypatch.setenv("NEPTUNE_API_TOKEN", token)
    monkeypatch.setenv("NEPTUNE_PROJECT", PROJECT)
    cells = run_cells(tmp_path, "%load_ext nepnb", "%neptune init_run", "run.stop()")
    opened = stream_text(cells[1])
    assert f"in project {PROJECT}, tracking server {deployment.server.url})" in opened, opened
